/**
 * The page's side of live audition playback: one AudioWorkletNode ('vae-live',
 * renderer/src/worklets/live-processor.ts) in front of the player's master volume and limiter,
 * fed the engine's chunks as they arrive. Where the page is cross-origin isolated (serve and the
 * desktop app send COOP and COEP) the chunks go through SharedArrayBuffer rings that the worklet
 * reads on its own thread with no message in between; elsewhere through the node's port.
 *
 * Each sample written gets the next absolute input index; a stream's start and stop and each move's
 * echo are markers at such indices. The worklet reports the context frame at which its read head
 * reached an echo's sample; after the limiter's own delay that is when the glide's first sample
 * leaves the graph, which getOutputTimestamp() puts on the performance.now() clock.
 */
import { RingBuffer } from 'ringbuf.js';
import liveProcessorUrl from '../worklets/live-processor.ts?worker&url';
import { Marker, type PlayheadReport } from './live-playhead.js';
import type { LiveFeed, LiveProcessorMessage, LiveProcessorOptions } from '../worklets/live-processor.js';

/** Seconds of input the rings hold: far more than the worklet ever lets wait. */
const RING_SECONDS = 2;

export interface LiveStats {
  underruns: number;
  skips: number;
  skipped: number;
  dropped: number;
}

export class LiveOutput {
  readonly node: AudioWorkletNode;
  /** Whether the samples travel through shared memory (else through messages). */
  readonly shared: boolean;
  /** A move's echo reached the output: its sentAt and the context frame of its first sample. */
  onEcho: (sentAt: number, frame: number) => void = () => {};
  onReport: (report: PlayheadReport) => void = () => {};

  readonly #audio: RingBuffer | null;
  readonly #markers: RingBuffer | null;
  /** Absolute index of the next sample written. */
  #written = 0;
  #logWaiter: ((log: { log: Float64Array; stats: LiveStats }) => void) | null = null;
  #dropped = 0;

  private constructor(node: AudioWorkletNode, audio: RingBuffer | null, markers: RingBuffer | null) {
    this.node = node;
    this.#audio = audio;
    this.#markers = markers;
    this.shared = audio !== null;
    node.port.onmessage = (event: MessageEvent<LiveProcessorMessage>) => {
      const m = event.data;
      if (m.type === 'echo') this.onEcho(m.sentAt, m.frame);
      else if (m.type === 'log') {
        this.#logWaiter?.({ log: m.log, stats: m.stats });
        this.#logWaiter = null;
      } else this.onReport(m);
    };
  }

  /** Adds the worklet to `context` and connects it to `destination`. */
  static async create(
    context: AudioContext,
    destination: AudioNode,
    options: { logQuanta?: number; inputRate?: number; messagesOnly?: boolean } = {},
  ): Promise<LiveOutput> {
    await context.audioWorklet.addModule(liveProcessorUrl);
    const capacity = Math.ceil(RING_SECONDS * (options.inputRate ?? 48000));
    const shared =
      !options.messagesOnly &&
      typeof SharedArrayBuffer === 'function' &&
      globalThis.crossOriginIsolated === true;
    const processorOptions: LiveProcessorOptions = { logQuanta: options.logQuanta };
    let audio: RingBuffer | null = null;
    let markers: RingBuffer | null = null;
    if (shared) {
      processorOptions.audio = RingBuffer.getStorageForCapacity(capacity, Float32Array);
      processorOptions.markers = RingBuffer.getStorageForCapacity(3 * 256, Float64Array);
      audio = new RingBuffer(processorOptions.audio, Float32Array);
      markers = new RingBuffer(processorOptions.markers, Float64Array);
    }
    const node = new AudioWorkletNode(context, 'vae-live', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions,
    });
    node.connect(destination);
    return new LiveOutput(node, audio, markers);
  }

  /** A new stream at `sampleRate` starts with the next sample written. Returns its first index. */
  begin(sampleRate: number): number {
    this.#send([Marker.Start, this.#written, sampleRate], null);
    return this.#written;
  }

  /**
   * Queues a chunk; `echo` marks the sample at `offset` in it as a move's first sound. Returns the
   * chunk's first index, or null when the ring had no room (the chunk is dropped whole).
   */
  write(samples: Float32Array, echo?: { offset: number; sentAt: number }): number | null {
    const index = this.#written;
    const markers = echo ? [Marker.Echo, index + echo.offset, echo.sentAt] : null;
    if (this.#audio && this.#audio.availableWrite() < samples.length) {
      this.#dropped += samples.length;
      return null;
    }
    this.#send(markers, samples);
    this.#written += samples.length;
    return index;
  }

  /** The stream ends: the sound fades out. */
  end(): void {
    this.#send([Marker.Stop, this.#written, 0], null);
  }

  /** The worklet's log of every quantum, where it keeps one (the probe's). */
  log(): Promise<{ log: Float64Array; stats: LiveStats }> {
    return new Promise((resolve) => {
      this.#logWaiter = resolve;
      this.node.port.postMessage({ type: 'log' });
    });
  }

  get dropped(): number {
    return this.#dropped;
  }

  dispose(): void {
    this.node.port.onmessage = null;
    this.node.disconnect();
  }

  #send(markers: number[] | null, samples: Float32Array | null): void {
    if (this.#audio && this.#markers) {
      // Markers first: the worklet reads samples, then markers (see live-processor.ts).
      if (markers && this.#markers.availableWrite() >= 3) this.#markers.push(Float64Array.from(markers));
      if (samples) this.#audio.push(samples);
      return;
    }
    const copy = samples ? samples.slice() : null;
    const feed: LiveFeed = {
      type: 'feed',
      markers: markers ? Float64Array.from(markers) : null,
      samples: copy,
    };
    this.node.port.postMessage(feed, copy ? [copy.buffer] : []);
  }
}
