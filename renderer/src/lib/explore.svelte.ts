import type { Player } from './player.js';
import type { LatentMap, StudioClient } from './types.js';

/** What the explorer shows and plays: the map of one model, and the last thing heard from it. */
export class Explorer {
  model = $state<string | null>(null);
  map = $state.raw<LatentMap | null>(null);
  loading = $state(false);
  /** What is playing, in words ("bells.wav at 1.25 s", "the point (0.50, −1.20)"). */
  hearing = $state<string | null>(null);
  error = $state<string | null>(null);
  readonly #audio = new Map<string, { samples: Float32Array; sampleRate: number }>();

  async open(client: StudioClient, model: string): Promise<void> {
    this.model = model;
    this.map = null;
    this.error = null;
    this.loading = true;
    try {
      const map = await client.with({ timeoutMs: 0 }).getMap(model);
      if (this.model === model) this.map = map;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** Plays half a second of the source around training frame `index`. */
  async playFrame(client: StudioClient, player: Player, index: number): Promise<void> {
    const map = this.map;
    if (!map) return;
    const source = map.sources[map.source[index]];
    let audio = this.#audio.get(source);
    if (!audio) {
      audio = await client.getSourceAudio(source);
      this.#audio.set(source, audio);
    }
    const centre = map.frame[index] * map.hopSeconds;
    const from = Math.max(0, Math.round((centre - 0.25) * audio.sampleRate));
    const to = Math.min(audio.samples.length, Math.round((centre + 0.25) * audio.sampleRate));
    await player.play(audio.samples.slice(from, to), audio.sampleRate);
    this.hearing = `${source} at ${centre.toFixed(2)} s`;
  }

  async playPoint(client: StudioClient, player: Player, p1: number, p2: number): Promise<void> {
    if (!this.model) return;
    try {
      const audio = await client.renderPoint(this.model, p1, p2, 1);
      await player.play(audio.samples, audio.sampleRate);
      this.hearing = `the point (${p1.toFixed(2)}, ${p2.toFixed(2)})`;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Forgets cached audio (after an import or removal the project's sources may differ). */
  forget(): void {
    this.#audio.clear();
  }
}
