/**
 * Live input's capture ('vae-live-input'): the microphone's first channel, gathered into chunks of
 * `chunk` frames and posted to the page with the context frame of each chunk's first sample — the
 * clock the engine echoes back on the output, so the page can measure microphone to output in
 * frames of one context. Built by Vite as a bundle of its own (`?worker&url`).
 */
declare const currentFrame: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(
  name: string,
  processor: new (options: { processorOptions?: unknown }) => unknown,
): void;

export interface LiveInputChunk {
  samples: Float32Array;
  /** Context frame of samples[0]. */
  frame: number;
}

class LiveInputProcessor extends AudioWorkletProcessor {
  readonly #chunk: number;
  #buffer: Float32Array;
  #length = 0;
  #first = 0;

  constructor(options: { processorOptions?: unknown }) {
    super();
    const { chunk = 256 } = (options.processorOptions ?? {}) as { chunk?: number };
    this.#chunk = chunk;
    this.#buffer = new Float32Array(chunk);
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    if (this.#length === 0) this.#first = currentFrame;
    this.#buffer.set(channel, this.#length);
    this.#length += channel.length;
    if (this.#length + channel.length > this.#chunk) {
      const samples = this.#buffer.slice(0, this.#length);
      this.port.postMessage({ samples, frame: this.#first } satisfies LiveInputChunk, [samples.buffer]);
      this.#length = 0;
    }
    return true;
  }
}

registerProcessor('vae-live-input', LiveInputProcessor);
