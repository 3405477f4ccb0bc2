/**
 * The live audition's AudioWorkletProcessor ('vae-live'): its input arrives through two lock-free
 * single-producer, single-consumer rings in SharedArrayBuffers (ringbuf.js) — the samples, and the
 * markers as Float64 triples — where the page is cross-origin isolated, else through its port as
 * 'feed' messages. LivePlayhead (renderer/src/lib/live-playhead.ts) turns it into the output.
 * Built by Vite as a bundle of its own (`?worker&url`), loaded with audioWorklet.addModule.
 */
import { RingBuffer } from 'ringbuf.js';
import { LivePlayhead, type Marker, type PlayheadReport } from '../lib/live-playhead.js';

// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe.
declare const sampleRate: number;
declare const currentFrame: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(
  name: string,
  processor: new (options: { processorOptions?: unknown }) => unknown,
): void;

export interface LiveProcessorOptions {
  /** The rings' storage, where the page is cross-origin isolated. */
  audio?: SharedArrayBuffer;
  markers?: SharedArrayBuffer;
  /** Keep a log of every quantum (the test probe's), for this many quanta. */
  logQuanta?: number;
}

/** What the page posts without shared memory: markers (triples) first, then the samples they index. */
export interface LiveFeed {
  type: 'feed';
  markers: Float64Array | null;
  samples: Float32Array | null;
}

export type LiveProcessorMessage =
  PlayheadReport | { type: 'log'; log: Float64Array; stats: LivePlayhead['stats'] };

class LiveProcessor extends AudioWorkletProcessor {
  readonly #playhead: LivePlayhead;
  readonly #audio: RingBuffer | null;
  readonly #markers: RingBuffer | null;
  readonly #scratch = new Float32Array(4096);
  readonly #triple = new Float64Array(3);

  constructor(options: { processorOptions?: unknown }) {
    super();
    const o = (options.processorOptions ?? {}) as LiveProcessorOptions;
    this.#playhead = new LivePlayhead(sampleRate, { logQuanta: o.logQuanta });
    this.#playhead.onReport = (report) => this.port.postMessage(report);
    this.#audio = o.audio ? new RingBuffer(o.audio, Float32Array) : null;
    this.#markers = o.markers ? new RingBuffer(o.markers, Float64Array) : null;
    this.port.onmessage = (event: MessageEvent<LiveFeed | { type: 'log' }>) => {
      const message = event.data;
      if (message.type === 'feed') {
        const m = message.markers;
        if (m)
          for (let i = 0; i + 2 < m.length; i += 3) this.#playhead.mark(m[i] as Marker, m[i + 1], m[i + 2]);
        if (message.samples) this.#playhead.write(message.samples);
      } else if (message.type === 'log') {
        const log = this.#playhead.log();
        this.port.postMessage({ type: 'log', log, stats: { ...this.#playhead.stats } }, [log.buffer]);
      }
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    this.#drain();
    const channels = outputs[0];
    this.#playhead.render(channels[0], currentFrame);
    for (let c = 1; c < channels.length; c++) channels[c].set(channels[0]);
    return true;
  }

  /**
   * Takes what the rings hold: samples first, then markers. The page writes a chunk's markers
   * before its samples, so every marker of the samples read here has arrived by the time the
   * markers are read.
   */
  #drain(): void {
    const audio = this.#audio;
    const markers = this.#markers;
    if (!audio || !markers) return;
    for (let n = audio.pop(this.#scratch); n > 0; n = audio.pop(this.#scratch)) {
      this.#playhead.write(this.#scratch.subarray(0, n));
    }
    const t = this.#triple;
    while (markers.availableRead() >= 3 && markers.pop(t) === 3)
      this.#playhead.mark(t[0] as Marker, t[1], t[2]);
  }
}

registerProcessor('vae-live', LiveProcessor);
