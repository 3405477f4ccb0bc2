/**
 * The test probe's tap ('vae-tap'): passes its input through unchanged and records its first
 * channel (what goes to the speakers, after the master volume and the limiter), with the context
 * frame of the first sample recorded. Only the probe (renderer/src/lib/live-probe.ts) loads it.
 */
declare const currentFrame: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(
  name: string,
  processor: new (options: { processorOptions?: unknown }) => unknown,
): void;

export type TapMessage = { type: 'start' } | { type: 'take' };

class TapProcessor extends AudioWorkletProcessor {
  readonly #recording: Float32Array;
  #length = 0;
  #first = -1;
  #on = false;

  constructor(options: { processorOptions?: unknown }) {
    super();
    const { seconds = 60, rate = 48000 } = (options.processorOptions ?? {}) as {
      seconds?: number;
      rate?: number;
    };
    this.#recording = new Float32Array(Math.ceil(seconds * rate));
    this.port.onmessage = (event: MessageEvent<TapMessage>) => {
      if (event.data.type === 'start') {
        this.#on = true;
        this.#length = 0;
        this.#first = -1;
      } else {
        this.#on = false;
        const samples = this.#recording.slice(0, this.#length);
        this.port.postMessage({ first: this.#first, samples }, [samples.buffer]);
      }
    };
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = inputs[0];
    const output = outputs[0];
    for (let c = 0; c < output.length; c++) {
      if (input.length > 0) output[c].set(input[Math.min(c, input.length - 1)]);
      else output[c].fill(0);
    }
    if (this.#on) {
      const frames = output[0].length;
      if (this.#first < 0) this.#first = currentFrame;
      const n = Math.min(frames, this.#recording.length - this.#length);
      this.#recording.set(input.length > 0 ? input[0].subarray(0, n) : new Float32Array(n), this.#length);
      this.#length += n;
    }
    return true;
  }
}

registerProcessor('vae-tap', TapProcessor);
