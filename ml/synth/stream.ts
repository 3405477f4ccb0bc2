import type { Samples } from '../units.js';
import type { RealFft } from './fft.js';
import { RtPghi } from './pghi.js';
import { hannWindow, type SpectrogramPlane, type StftShape } from './stft.js';

export interface RtPghiSynthOptions {
  /**
   * Refinement passes per frame (RTISI: Zhu, Beauregard & Wyse 2007): frame n's RTPGHI phase is
   * replaced by the phase of the signal it makes together with the frames already played, and fed
   * back to RTPGHI. Measured on speech: −11.8 dB spectral convergence with none, −14.5 with 4,
   * −15.1 with 8, each pass one inverse and one forward FFT per frame (npm run bench).
   */
  refine?: number;
  tolerance?: number;
  seed?: number;
}

/**
 * Magnitude frames in, audio out, frame by frame with one frame of delay: RTPGHI phase, refined
 * against the past, then windowed overlap-add. What live audition streams, and the `rtpghi` method.
 * Each `push` returns the samples that no later frame can change (one hop once running); `finish`
 * returns the rest. The stream starts half a window before the first frame's centre.
 */
export class RtPghiSynth {
  readonly #fft: RealFft;
  readonly #rt: RtPghi;
  readonly #n: number;
  readonly #hop: number;
  readonly #bins: number;
  readonly #refine: number;
  readonly #window: Float32Array;
  /** Overlap-add of the frames committed so far over the next frame's window, and their Σw². */
  readonly #acc: Float32Array;
  readonly #wss: Float32Array;
  readonly #segment: Float32Array;
  #pending: Float32Array | null = null;

  constructor(fft: RealFft, shape: StftShape, options: RtPghiSynthOptions = {}) {
    if (fft.size !== shape.windowSize)
      throw new RangeError(`FFT of ${fft.size} points for a ${shape.windowSize}-sample window`);
    this.#fft = fft;
    this.#n = shape.windowSize;
    this.#hop = shape.hop;
    this.#bins = shape.windowSize / 2 + 1;
    this.#refine = options.refine ?? 4;
    this.#rt = new RtPghi(shape, options);
    this.#window = hannWindow(shape.windowSize);
    this.#acc = new Float32Array(this.#n);
    this.#wss = new Float32Array(this.#n);
    this.#segment = new Float32Array(this.#n);
  }

  push(magnitude: Float32Array): Float32Array {
    const previous = this.#pending;
    this.#pending = Float32Array.from(magnitude);
    const phase = this.#rt.push(magnitude);
    if (!phase || !previous) return new Float32Array(0);
    return this.#commit(previous, phase, false);
  }

  finish(): Float32Array {
    const last = this.#pending;
    this.#pending = null;
    const phase = this.#rt.finish();
    if (!last || !phase) return new Float32Array(0);
    return this.#commit(last, phase, true);
  }

  #commit(mag: Float32Array, phase: Float32Array, final: boolean): Float32Array {
    const n = this.#n;
    const w = this.#window;
    const acc = this.#acc;
    const wss = this.#wss;
    const seg = this.#segment;
    for (let pass = 0; pass < this.#refine; pass++) {
      this.#synthesize(mag, phase);
      const time = this.#fft.time;
      // The signal frame n makes with the frames before it, re-analysed with the same window.
      for (let k = 0; k < n; k++) {
        const den = wss[k] + w[k] * w[k];
        seg[k] = den > 1e-6 ? (acc[k] + (time[k] / n) * w[k]) / den : 0;
      }
      for (let k = 0; k < n; k++) time[k] = seg[k] * w[k];
      this.#fft.forward();
      const s = this.#fft.spectrum;
      phase[0] = s[0] >= 0 ? 0 : Math.PI;
      phase[this.#bins - 1] = s[1] >= 0 ? 0 : Math.PI;
      for (let k = 1; k < this.#bins - 1; k++) phase[k] = Math.atan2(s[2 * k + 1], s[2 * k]);
    }
    if (this.#refine > 0) this.#rt.commit(phase);
    this.#synthesize(mag, phase);
    const time = this.#fft.time;
    for (let k = 0; k < n; k++) {
      acc[k] += (time[k] / n) * w[k];
      wss[k] += w[k] * w[k];
    }
    const ready = final ? n : this.#hop;
    const out = new Float32Array(ready);
    for (let k = 0; k < ready; k++) out[k] = wss[k] > 1e-6 ? acc[k] / wss[k] : 0;
    const h = this.#hop;
    acc.copyWithin(0, h);
    acc.fill(0, n - h);
    wss.copyWithin(0, h);
    wss.fill(0, n - h);
    return out;
  }

  /** One frame's inverse FFT (unnormalised) into fft.time. */
  #synthesize(mag: Float32Array, phase: Float32Array): void {
    const s = this.#fft.spectrum;
    const last = this.#bins - 1;
    s[0] = mag[0] * Math.cos(phase[0]);
    s[1] = mag[last] * Math.cos(phase[last]);
    for (let k = 1; k < last; k++) {
      s[2 * k] = mag[k] * Math.cos(phase[k]);
      s[2 * k + 1] = mag[k] * Math.sin(phase[k]);
    }
    this.#fft.inverse();
  }
}

/** A whole spectrogram through RtPghiSynth, trimmed to `length` samples aligned with the input. */
export function rtpghiResynth(
  magnitude: SpectrogramPlane,
  length: Samples,
  fft: RealFft,
  shape: StftShape,
  options: RtPghiSynthOptions = {},
): Float32Array {
  const synth = new RtPghiSynth(fft, shape, options);
  const padded = new Float32Array(magnitude.frames * shape.hop + shape.windowSize);
  let at = 0;
  const take = (chunk: Float32Array) => {
    padded.set(chunk, at);
    at += chunk.length;
  };
  const { bins, data } = magnitude;
  for (let f = 0; f < magnitude.frames; f++) take(synth.push(data.subarray(f * bins, (f + 1) * bins)));
  take(synth.finish());
  return padded.slice(shape.windowSize / 2, shape.windowSize / 2 + length);
}
