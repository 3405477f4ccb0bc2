/**
 * Test instrumentation of live audition, off unless the page's URL has `live-probe` (the Chromium
 * spec test/e2e/audition-clicks.spec.ts opens it so; `live-probe=messages` also turns shared
 * memory off, to test the fallback). When on: auditions start with the engine's
 * latent trace, every chunk and echo is kept, the worklet logs its read position per quantum, and a
 * tap after the limiter records what goes to the speakers. The spec reads it all through
 * `window.__vaeLiveProbe.take()`.
 */
import tapProcessorUrl from '../worklets/tap-processor.ts?worker&url';
import type { LiveOutput, LiveStats } from './live-output.js';
import type { PlayheadReport } from './live-playhead.js';

/** The longest the probe records (seconds). */
const PROBE_SECONDS = 60;

export interface ProbeChunk<Data = Float32Array> {
  stream: number;
  /** Absolute input index of its first sample (null: dropped, the ring was full). */
  index: number | null;
  samples: Data;
  /** The move's sentAt, and the offset in the chunk of its glide's first sample. */
  echo: number | null;
  echoOffset: number | null;
  /** The latent vector of each hop (hops × latent). */
  trace: Data | null;
  /** performance.now() when it arrived. */
  at: number;
}

/** A typed array's bytes as base64 (what page.evaluate carries back cheaply). */
function base64(a: Float32Array | Float64Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export interface ProbeTake {
  shared: boolean;
  crossOriginIsolated: boolean;
  sampleRate: number;
  limiterDelay: number;
  outputLatency: number;
  baseLatency: number;
  /** Index of each stream's first sample. */
  starts: { stream: number; index: number; sampleRate: number; hop: number }[];
  /** Samples and traces as base64 Float32 bytes. */
  chunks: ProbeChunk<string>[];
  latencies: { sentAt: number; frame: number; ms: number }[];
  /** The moves sent (map points), and the worklet's underruns and skips. */
  moves: { stream: number; p1: number; p2: number; sentAt: number }[];
  reports: PlayheadReport[];
  /** The worklet's log: frame, read position, flags per quantum (base64 Float64 bytes). */
  log: string;
  stats: LiveStats;
  /** The tap's recording after the limiter, from context frame `first` (base64 Float32 bytes). */
  capture: { first: number; samples: string };
}

export class LiveProbe {
  /** `live-probe=messages`: feed the worklet by messages even where shared memory is there. */
  readonly messagesOnly: boolean;
  readonly chunks: ProbeChunk[] = [];
  readonly starts: ProbeTake['starts'] = [];
  readonly latencies: ProbeTake['latencies'] = [];
  readonly moves: ProbeTake['moves'] = [];
  readonly reports: PlayheadReport[] = [];
  #context: AudioContext | null = null;
  #tap: AudioWorkletNode | null = null;
  #output: LiveOutput | null = null;
  #limiterDelay = 0;

  constructor(mode: string) {
    this.messagesOnly = mode === 'messages';
  }

  logQuanta(rate: number): number {
    return Math.ceil((PROBE_SECONDS * rate) / 128);
  }

  /** Puts the tap between the limiter and the speakers, and starts recording. */
  async attach(
    context: AudioContext,
    limiter: AudioNode,
    output: LiveOutput,
    limiterDelay: number,
  ): Promise<void> {
    await context.audioWorklet.addModule(tapProcessorUrl);
    const tap = new AudioWorkletNode(context, 'vae-tap', {
      processorOptions: { seconds: PROBE_SECONDS, rate: context.sampleRate },
    });
    limiter.disconnect();
    limiter.connect(tap).connect(context.destination);
    tap.port.postMessage({ type: 'start' });
    this.#context = context;
    this.#tap = tap;
    this.#output = output;
    this.#limiterDelay = limiterDelay;
  }

  /** Everything recorded so far (the tap stops recording). */
  async take(): Promise<ProbeTake> {
    const context = this.#context!;
    const output = this.#output!;
    const capture = await new Promise<{ first: number; samples: Float32Array }>((resolve) => {
      this.#tap!.port.onmessage = (event: MessageEvent<{ first: number; samples: Float32Array }>) =>
        resolve(event.data);
      this.#tap!.port.postMessage({ type: 'take' });
    });
    const { log, stats } = await output.log();
    return {
      shared: output.shared,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      sampleRate: context.sampleRate,
      limiterDelay: this.#limiterDelay,
      outputLatency: context.outputLatency || 0,
      baseLatency: context.baseLatency || 0,
      starts: this.starts,
      chunks: this.chunks.map((c) => ({
        ...c,
        samples: base64(c.samples),
        trace: c.trace ? base64(c.trace) : null,
      })),
      latencies: this.latencies,
      moves: this.moves,
      reports: this.reports,
      log: base64(log),
      stats,
      capture: { first: capture.first, samples: base64(capture.samples) },
    };
  }
}

const probeMode =
  typeof location === 'object' ? new URLSearchParams(location.search).get('live-probe') : null;
export const liveProbe: LiveProbe | null = probeMode !== null ? new LiveProbe(probeMode) : null;
if (liveProbe) (globalThis as { __vaeLiveProbe?: LiveProbe }).__vaeLiveProbe = liveProbe;
