import type { Player } from './player.js';
import type { ResynthOptions, StudioClient } from './types.js';

/** Root-mean-square level of a sound, in dBFS (−Infinity for silence). */
export function rmsDb(samples: Float32Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

/**
 * Listening through a model: a recording and its resynthesis compared A/B (level-matched, switching
 * at the same place in the sound), and batches of random sounds.
 */
export class Listening {
  /** The original (A) and the resynthesis (B) of one source. */
  resynth = $state.raw<{
    source: string;
    a: { samples: Float32Array; sampleRate: number };
    b: { samples: Float32Array; sampleRate: number };
    /** dBFS RMS of each. */
    levelA: number;
    levelB: number;
  } | null>(null);
  resynthesizing = $state(false);
  playingAB = $state<'A' | 'B' | null>(null);
  /** The last batch of random sounds, and which of them plays. */
  samples = $state.raw<{ samples: Float32Array; sampleRate: number }[]>([]);
  sampling = $state(false);
  playingSample = $state<number | null>(null);
  error = $state<string | null>(null);
  readonly #player: Player;

  constructor(player: Player) {
    this.#player = player;
  }

  /** The gain that brings B to A's level (A/B compares sound, not loudness). */
  get matchGain(): number {
    const r = this.resynth;
    if (!r || !Number.isFinite(r.levelA) || !Number.isFinite(r.levelB)) return 1;
    return Math.pow(10, (r.levelA - r.levelB) / 20);
  }

  async resynthesize(
    client: StudioClient,
    model: string,
    source: string,
    options: ResynthOptions,
  ): Promise<void> {
    this.resynthesizing = true;
    this.error = null;
    try {
      const [a, b] = await Promise.all([
        client.getSourceAudio(source),
        client.with({ timeoutMs: 0 }).resynthesize(model, source, options),
      ]);
      this.resynth = { source, a, b, levelA: rmsDb(a.samples), levelB: rmsDb(b.samples) };
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.resynthesizing = false;
    }
  }

  /** Plays A or B; switching while one plays goes on from the same place in the sound. */
  async playAB(which: 'A' | 'B'): Promise<void> {
    const r = this.resynth;
    if (!r) return;
    const at = this.playingAB ? (this.#player.position?.seconds ?? 0) : 0;
    const audio = which === 'A' ? r.a : r.b;
    await this.#player.play(audio.samples, audio.sampleRate, {
      offset: at,
      gain: which === 'B' ? this.matchGain : 1,
    });
    this.playingAB = which;
  }

  async sample(
    client: StudioClient,
    model: string,
    batch: { count: number; seconds: number; temperature: number; seed: number },
  ): Promise<void> {
    this.sampling = true;
    this.error = null;
    try {
      this.samples = await client
        .with({ timeoutMs: 0 })
        .sample(model, batch.count, batch.seconds, batch.temperature, batch.seed);
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.sampling = false;
    }
  }

  async playSample(index: number): Promise<void> {
    const s = this.samples[index];
    if (!s) return;
    await this.#player.play(s.samples, s.sampleRate);
    this.playingSample = index;
  }

  /** Playback ended or was stopped. */
  ended(): void {
    this.playingAB = null;
    this.playingSample = null;
  }

  /** Another model or project: its results no longer apply. */
  clear(): void {
    this.resynth = null;
    this.samples = [];
    this.ended();
    this.error = null;
  }
}
