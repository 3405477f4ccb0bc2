import type { Player } from './player.js';
import type { AuditionStream, LatentMap, StudioClient } from './types.js';

/** Latencies kept for the diagnostics panel (the most recent ones). */
const LATENCY_WINDOW = 100;

/** What the explorer shows and plays: the map of one model, and the last thing heard from it. */
export class Explorer {
  model = $state<string | null>(null);
  map = $state.raw<LatentMap | null>(null);
  loading = $state(false);
  /** What is playing, in words ("bells.wav at 1.25 s", "the point (0.50, −1.20)"). */
  hearing = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Why the last live audition ended by itself (its model deleted, idle a minute, an error). */
  ended = $state<string | null>(null);
  readonly #audio = new Map<string, { samples: Float32Array; sampleRate: number }>();
  /** The live audition, while one runs. */
  audition = $state.raw<AuditionStream | null>(null);
  /** Pointer event to first changed sample entering the output buffer, ms, most recent last. */
  latencies = $state.raw<number[]>([]);
  /** The device's own output latency (ms), beside ours, where the platform says. */
  outputLatency = $state<number | null>(null);
  #starting: Promise<void> | null = null;

  readonly medianLatency = $derived.by(() => {
    if (this.latencies.length === 0) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  });

  async startAudition(client: StudioClient, p1: number, p2: number): Promise<void> {
    if (!this.model || this.audition || this.#starting) return;
    this.latencies = [];
    this.ended = null;
    this.#starting = (async () => {
      try {
        this.audition = await client.startAudition(this.model!, p1, p2);
        this.hearing = 'live audition';
      } catch (err) {
        this.error = (err as Error).message;
      } finally {
        this.#starting = null;
      }
    })();
    await this.#starting;
  }

  moveAudition(client: StudioClient, p1: number, p2: number, eventTime: number): void {
    if (!this.audition) return;
    client
      .moveAudition(this.audition.stream, p1, p2, eventTime)
      .catch((err: Error) => (this.error = err.message));
  }

  async stopAudition(client: StudioClient): Promise<void> {
    const stream = this.audition;
    this.audition = null;
    if (stream) await client.stopAudition(stream.stream).catch(() => undefined);
    if (this.hearing === 'live audition') this.hearing = null;
  }

  /** The engine ended a live audition of this window by itself: let it go, and say why. */
  onEnded(stream: number, reason: string): void {
    if (this.audition?.stream !== stream) return;
    this.audition = null;
    this.latencies = [];
    if (this.hearing === 'live audition') this.hearing = null;
    this.ended = `Live audition ended: ${reason}`;
  }

  /** A chunk of the live audition: queued gaplessly; an echoed move's latency is recorded. */
  onAudio(player: Player, stream: number, samples: Float32Array, echo?: number): void {
    const audition = this.audition;
    if (!audition || audition.stream !== stream) return;
    const untilPlayed = player.queue(samples, audition.sampleRate, { keep: echo !== undefined });
    this.outputLatency = player.outputLatencyMs;
    if (echo !== undefined && untilPlayed !== null) {
      this.latencies = [
        ...this.latencies.slice(-(LATENCY_WINDOW - 1)),
        performance.now() - echo + untilPlayed,
      ];
    }
  }

  async open(client: StudioClient, model: string): Promise<void> {
    this.model = model;
    this.map = null;
    this.error = null;
    this.ended = null;
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
  /** The latest request to hear something: an older one that finishes later is dropped, not played. */
  #ticket = 0;

  async playFrame(client: StudioClient, player: Player, index: number): Promise<void> {
    const map = this.map;
    if (!map) return;
    const ticket = ++this.#ticket;
    const source = map.sources[map.source[index]];
    let audio = this.#audio.get(source);
    if (!audio) {
      audio = await client.getSourceAudio(source);
      this.#audio.set(source, audio);
    }
    const centre = map.frame[index] * map.hopSeconds;
    const from = Math.max(0, Math.round((centre - 0.25) * audio.sampleRate));
    const to = Math.min(audio.samples.length, Math.round((centre + 0.25) * audio.sampleRate));
    if (ticket !== this.#ticket) return;
    await player.play(audio.samples.slice(from, to), audio.sampleRate);
    this.hearing = `${source} at ${centre.toFixed(2)} s`;
  }

  async playPoint(client: StudioClient, player: Player, p1: number, p2: number): Promise<void> {
    if (!this.model) return;
    const ticket = ++this.#ticket;
    try {
      const audio = await client.renderPoint(this.model, p1, p2, 1);
      if (ticket !== this.#ticket) return;
      await player.play(audio.samples, audio.sampleRate);
      this.hearing = `the point (${p1.toFixed(2)}, ${p2.toFixed(2)})`;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Closes the map (its model was deleted). */
  close(): void {
    this.model = null;
    this.map = null;
    this.hearing = null;
    this.ended = null;
  }

  /** Forgets cached audio (after an import or removal the project's sources may differ). */
  forget(): void {
    this.#audio.clear();
  }
}
