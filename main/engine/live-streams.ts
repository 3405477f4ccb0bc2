// Live input streams: input chunks (the microphone, at its own rate) through a model as they
// arrive — resampled in a stream to the model's rate, then ml/synth/live-resynth.ts frame by frame
// with the input's own phase — and the output sent on at once, with the caller's clock echoed at
// the sample whose input it knows. This class runs inside the live worker (live-worker.ts); each
// stream holds a lease on its model and ends, saying why, on stop, on an error, after a while
// without input, or when its model is deleted.
import { StreamResampler } from '../../ml/audio/wav-stream.js';
import { createRealFft, type RealFft } from '../../ml/synth/fft.js';
import {
  LiveResynth,
  fullScaleMagnitude,
  offsetVector,
  type LiveSettings,
} from '../../ml/synth/live-resynth.js';
import type { LiveInputSettings } from '../../common/api.js';
import type { ModelLease } from './model-cache.js';

/** A stream that hears no input for this long stops by itself (a closed tab, a lost microphone). */
export const LIVE_IDLE_MS = 10_000;
/** The level live input is scaled against never falls below a full-scale sine this far down. */
export const LIVE_LEVEL_MIN_DBFS = -60;

export interface LiveSink {
  /** Output samples at the model's rate; `echo` is the caller's clock at sample `at` of them. */
  audio(stream: number, samples: Float32Array, echo: { clock: number; at: number } | undefined): void;
  ended(stream: number, reason: string): void;
}

interface Stream {
  id: number;
  key: string;
  lease: ModelLease;
  fft: RealFft;
  live: LiveResynth;
  resampler: StreamResampler | null;
  inputRate: number;
  /** Input samples received (at the input rate), and output samples sent (at the model's). */
  received: number;
  sent: number;
  /** The caller's clock at input sample `index`: the last chunk's. */
  anchor: { clock: number; index: number } | null;
  lastInput: number;
}

export class LiveStreams {
  readonly #streams = new Map<number, Stream>();
  readonly #sink: LiveSink;
  readonly #idleMs: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(sink: LiveSink, options: { idleMs?: number } = {}) {
    this.#sink = sink;
    this.#idleMs = options.idleMs ?? LIVE_IDLE_MS;
  }

  /** Starts stream `id` on a leased model (the stream owns the lease from here on). */
  async start(
    id: number,
    key: string,
    lease: ModelLease,
    inputRate: number,
    settings: LiveInputSettings = {},
  ): Promise<{ stream: number; sampleRate: number; hop: number; latencyMs: number }> {
    const { model } = lease;
    const frames = model.studio.frames;
    let fft: RealFft | null = null;
    try {
      fft = await createRealFft(frames.windowSize);
      const live = new LiveResynth(model, fft, {
        level: {
          kind: 'running',
          min: fullScaleMagnitude(frames.windowSize) * 10 ** (LIVE_LEVEL_MIN_DBFS / 20),
        },
      });
      live.set(this.#convert(lease, settings));
      const stream: Stream = {
        id,
        key,
        lease,
        fft,
        live,
        resampler: inputRate === frames.sampleRate ? null : new StreamResampler(inputRate, frames.sampleRate),
        inputRate,
        received: 0,
        sent: 0,
        anchor: null,
        lastInput: performance.now(),
      };
      this.#streams.set(id, stream);
      this.#timer ??= setInterval(() => this.#checkIdle(), Math.min(1000, this.#idleMs / 2));
      return { stream: id, sampleRate: frames.sampleRate, hop: frames.hop, latencyMs: live.latencyMs };
    } catch (err) {
      fft?.dispose();
      lease.release();
      throw err;
    }
  }

  input(id: number, samples: Float32Array, clock: number): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    stream.lastInput = performance.now();
    this.#guard(stream, () => {
      stream.anchor = { clock, index: stream.received };
      stream.received += samples.length;
      const resampled = stream.resampler ? stream.resampler.push(samples) : samples;
      const out = stream.live.push(resampled);
      if (out.length === 0) return;
      // The last output sample's input time, on the caller's clock (which counts input samples).
      const last = stream.sent + out.length - 1;
      const inputIndex = (last * stream.inputRate) / stream.live.sampleRate;
      const echo = { clock: stream.anchor.clock + (inputIndex - stream.anchor.index), at: out.length - 1 };
      stream.sent += out.length;
      this.#sink.audio(id, out, echo);
    });
  }

  /** Changes a stream's settings; bad settings throw and change nothing. */
  set(id: number, settings: LiveInputSettings): void {
    const stream = this.#streams.get(id);
    if (stream) stream.live.set(this.#convert(stream.lease, settings));
  }

  stop(id: number): void {
    this.#end(id, null);
  }

  /** Ends every stream of the model in `key`, telling each why. */
  endModel(key: string, reason: string): void {
    for (const stream of [...this.#streams.values()]) if (stream.key === key) this.#end(stream.id, reason);
  }

  rekey(from: string, to: string): void {
    for (const stream of this.#streams.values()) if (stream.key === from) stream.key = to;
  }

  get count(): number {
    return this.#streams.size;
  }

  dispose(): void {
    for (const id of [...this.#streams.keys()]) this.#end(id, null);
  }

  #convert(lease: ModelLease, settings: LiveInputSettings): Partial<LiveSettings> {
    const { model } = lease;
    const out: Partial<LiveSettings> = {};
    if (settings.mix !== undefined) out.mix = settings.mix;
    if (settings.gain !== undefined) out.gain = settings.gain;
    if (settings.offset !== undefined)
      out.offset = settings.offset
        ? offsetVector(model.studio.pca, model.latent, settings.offset.direction, settings.offset.amount)
        : null;
    if (settings.morph !== undefined) {
      if (settings.morph && settings.morph.z.length !== model.latent)
        throw new RangeError(`a morph target must have the model's ${model.latent} latent values`);
      out.morph = settings.morph
        ? { target: Float32Array.from(settings.morph.z), amount: settings.morph.amount }
        : null;
    }
    return out;
  }

  /** Runs `work` for a stream; an error ends that stream (with the reason), never the worker. */
  #guard(stream: Stream, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.#end(stream.id, `live input failed: ${(err as Error).message}`);
    }
  }

  #checkIdle(): void {
    const now = performance.now();
    for (const stream of [...this.#streams.values()])
      if (now - stream.lastInput > this.#idleMs)
        this.#end(stream.id, `no input for ${Math.round(this.#idleMs / 1000)} s`);
  }

  /** Forgets a stream and releases what it holds; with a reason, its owner is told. */
  #end(id: number, reason: string | null): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#streams.delete(id);
    stream.fft.dispose();
    stream.lease.release();
    if (this.#streams.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
    if (reason !== null) this.#sink.ended(id, reason);
  }
}
