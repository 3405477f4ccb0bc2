// Live audition streams: a model's sound at a moving point of its latent map, synthesised frame by
// frame with RTPGHI (ml/synth/stream.ts), one hop of 128 samples at a time, paced by the wall
// clock a few hops ahead of real time. A move takes effect at once (within the run-ahead bound):
// the next frames are made from the new point, and the first chunk that carries the changed sound
// echoes the move's timestamp, so the UI can measure the latency from its pointer event to that
// sound. This class runs inside the audition worker (audition-worker.ts); every stream holds a
// lease on its model and ends — saying why — on stop, on an error, after a minute without a move,
// or when its model is deleted.
import { fromUnitFrames } from '../../ml/features/scale.js';
import { createRealFft, type RealFft } from '../../ml/synth/fft.js';
import { RtPghiSynth } from '../../ml/synth/stream.js';
import type { ModelLease } from './model-cache.js';
import { clampLatent, pointToLatent } from './synthesis-ops.js';

/** Hops produced ahead of the wall clock: the stream's own latency, traded against gaps. */
const LEAD_HOPS = 2;
/**
 * The most hops a stream is ever ahead of the wall clock, moves included: a move makes its frames
 * at once only within this bound, so pointer events at any rate cannot grow the listener's queue.
 */
export const MAX_AHEAD_HOPS = LEAD_HOPS + 2;
const TICK_MS = 5;
/**
 * A move glides the latent point to its new place over this many hops (3 × 5.8 ms = 17 ms at
 * 22.05 kHz): a jump between frames is zipper noise, a glide is a sweep.
 */
export const GLIDE_HOPS = 3;
/** An audition that hears no move for this long stops by itself (a closed window, a lost client). */
export const IDLE_STOP_MS = 60_000;

export interface AuditionOutput {
  /**
   * A chunk of whole hops. `echo` (a move's sentAt) comes with `echoAt`, the sample of the chunk
   * where the move's glide begins; with tracing on, `trace` holds the latent vector of each hop's frame.
   */
  audio(
    stream: number,
    samples: Float32Array,
    echo: { sentAt: number; at: number } | undefined,
    trace?: Float32Array,
  ): void;
  /** The stream ended by itself (not by stop()), with the reason to show. */
  ended(stream: number, reason: string): void;
}

interface Stream {
  id: number;
  key: string;
  lease: ModelLease;
  fft: RealFft;
  synth: RtPghiSynth;
  /** The point sounding now, and the one it glides toward (the last move's). */
  z: Float32Array;
  target: Float32Array;
  /** Glide steps left to reach the target. */
  glide: number;
  trace: boolean;
  startedAt: number;
  hops: number;
  /** The timestamp of the last move whose changed sound has not been sent yet. */
  pendingEcho: number | null;
  /** Frames still to push before the move's frame comes out of RTPGHI's one-frame delay. */
  echoAfter: number;
  lastMove: number;
}

export class AuditionStreams {
  readonly #streams = new Map<number, Stream>();
  readonly #out: AuditionOutput;
  readonly #idleMs: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(out: AuditionOutput, options: { idleMs?: number } = {}) {
    this.#out = out;
    this.#idleMs = options.idleMs ?? IDLE_STOP_MS;
  }

  /**
   * Starts stream `id` on a leased model (the stream owns the lease from here on), keyed by
   * `key` (its model folder) for endModel. Returns the stream's format.
   */
  async start(
    id: number,
    key: string,
    lease: ModelLease,
    p1: number,
    p2: number,
    options: { trace?: boolean } = {},
  ): Promise<{ stream: number; sampleRate: number; hop: number }> {
    const { model } = lease;
    const settings = model.studio.frames;
    let fft: RealFft;
    try {
      fft = await createRealFft(settings.windowSize);
    } catch (err) {
      lease.release();
      throw err;
    }
    const now = performance.now();
    const stream: Stream = {
      id,
      key,
      lease,
      fft,
      synth: new RtPghiSynth(fft, settings),
      z: pointToLatent(model, p1, p2).slice(),
      target: pointToLatent(model, p1, p2),
      glide: 0,
      trace: options.trace ?? false,
      startedAt: now,
      hops: 0,
      pendingEcho: null,
      echoAfter: 0,
      lastMove: now,
    };
    this.#streams.set(id, stream);
    this.#timer ??= setInterval(() => this.#tickAll(), TICK_MS);
    this.#guard(stream, () => this.#tick(stream));
    return { stream: id, sampleRate: settings.sampleRate, hop: settings.hop };
  }

  move(id: number, p1: number, p2: number, sentAt: number): void {
    const stream = this.#streams.get(id);
    if (stream) this.moveTo(id, pointToLatent(stream.lease.model, p1, p2), sentAt);
  }

  moveTo(id: number, z: Float32Array, sentAt: number): void {
    const stream = this.#streams.get(id);
    if (!stream || z.length !== stream.lease.model.latent) return;
    stream.target = clampLatent(stream.lease.model, z);
    stream.glide = GLIDE_HOPS;
    stream.pendingEcho = sentAt;
    // The first frame of the glide leaves RTPGHI one push later.
    stream.echoAfter = 2;
    stream.lastMove = performance.now();
    this.#guard(stream, () => {
      const room = this.#due(stream, performance.now()) + MAX_AHEAD_HOPS - LEAD_HOPS - stream.hops;
      if (room > 0) this.#produce(stream, Math.min(2, room));
    });
  }

  /** Ends a stream without telling anyone (its owner asked). */
  stop(id: number): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#streams.delete(id);
    stream.fft.dispose();
    stream.lease.release();
    if (this.#streams.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** Ends every stream of the model keyed `key`, telling each why. */
  endModel(key: string, reason: string): void {
    for (const stream of [...this.#streams.values()]) if (stream.key === key) this.#end(stream, reason);
  }

  rekey(from: string, to: string): void {
    for (const stream of this.#streams.values()) if (stream.key === from) stream.key = to;
  }

  get size(): number {
    return this.#streams.size;
  }

  dispose(): void {
    for (const id of [...this.#streams.keys()]) this.stop(id);
  }

  #end(stream: Stream, reason: string): void {
    this.stop(stream.id);
    this.#out.ended(stream.id, reason);
  }

  /** Runs a step of a stream; an error ends that stream (with the reason) and nothing else. */
  #guard(stream: Stream, step: () => void): void {
    try {
      step();
    } catch (err) {
      this.#end(stream, `stopped by an error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #tickAll(): void {
    for (const stream of [...this.#streams.values()]) this.#guard(stream, () => this.#tick(stream));
  }

  /** Hops that should have been made by `now`, lead included. */
  #due(stream: Stream, now: number): number {
    const settings = stream.lease.model.studio.frames;
    return Math.floor(((now - stream.startedAt) / 1000) * (settings.sampleRate / settings.hop)) + LEAD_HOPS;
  }

  #tick(stream: Stream): void {
    const now = performance.now();
    if (now - stream.lastMove > this.#idleMs) {
      this.#end(stream, `no move for ${Math.round(this.#idleMs / 1000)} s`);
      return;
    }
    const due = this.#due(stream, now);
    // After a stall (a busy machine) the stream does not rush to catch up: it skips ahead.
    if (due - stream.hops > 64) stream.hops = due - 64;
    if (due > stream.hops) this.#produce(stream, due - stream.hops);
  }

  /** Makes `count` hops of audio from the current point and sends them as one chunk. */
  #produce(stream: Stream, count: number): void {
    const { model } = stream.lease;
    const settings = model.studio.frames;
    const d = model.latent;
    const z = new Float32Array(count * d);
    for (let i = 0; i < count; i++) {
      if (stream.glide > 0) {
        // One step of the glide: the rest of the way divided by the steps left.
        const w = 1 / stream.glide--;
        for (let j = 0; j < d; j++) stream.z[j] += w * (stream.target[j] - stream.z[j]);
      }
      z.set(stream.z, i * d);
    }
    const unit = model.decode(z);
    const magnitude = fromUnitFrames(unit, model.studio.ref, settings.floorDb);
    const bins = settings.bins;
    const frame = new Float32Array(bins + 1);
    const samples = new Float32Array(count * settings.hop);
    let filled = 0;
    let echo: { sentAt: number; at: number } | undefined;
    for (let i = 0; i < count; i++) {
      frame.set(magnitude.subarray(i * bins, (i + 1) * bins));
      const out = stream.synth.push(frame);
      samples.set(out, filled);
      if (stream.pendingEcho !== null && --stream.echoAfter <= 0) {
        // This push's hop is the glide's first frame (RTPGHI gives out the frame before).
        echo = { sentAt: stream.pendingEcho, at: filled };
        stream.pendingEcho = null;
      }
      filled += out.length;
    }
    stream.hops += count;
    this.#out.audio(stream.id, samples.subarray(0, filled), echo, stream.trace ? z : undefined);
  }
}
