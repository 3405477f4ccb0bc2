import type { Samples } from '../units.js';
import { frameCount } from '../features/settings.js';
import type { RealFft } from './fft.js';

/**
 * A complex spectrogram of a centred STFT: `frames` rows of `bins` = N/2 + 1 values, frame-major
 * (value (f, k) at f * bins + k). Frame f's window starts at sample f·hop − N/2, so it is centred on
 * sample f·hop; the phase is the FFT's, relative to the start of that window.
 */
export interface Spectrogram {
  frames: number;
  bins: number;
  re: Float32Array;
  im: Float32Array;
}

/** Magnitudes (or phases) laid out like a Spectrogram. */
export interface SpectrogramPlane {
  frames: number;
  bins: number;
  data: Float32Array;
}

export interface StftShape {
  windowSize: Samples;
  hop: Samples;
}

/**
 * The symmetric Hann window meyda applies ("hanning": 0.5 − 0.5·cos(2πi/(N−1)), in single precision).
 * Every spectrum in the app uses it, so magnitudes and phases agree with the analysed frames.
 */
export function hannWindow(size: Samples): Float32Array {
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
  return w;
}

export function emptySpectrogram(frames: number, bins: number): Spectrogram {
  return { frames, bins, re: new Float32Array(frames * bins), im: new Float32Array(frames * bins) };
}

/**
 * The STFT machinery for one frame shape: forward transform, inverse with window-sum-normalised
 * overlap-add, and the caches both need. Reused across Griffin-Lim iterations, so it allocates once.
 */
export class Stft {
  readonly window: Float32Array;
  readonly bins: number;
  /** The window divided by the FFT size: synthesis also undoes the unnormalised inverse FFT. */
  readonly #synthesisWindow: Float32Array;
  readonly fft: RealFft;
  readonly hop: number;
  readonly #size: number;
  #normLength = -1;
  #inverseWindowSum = new Float32Array(0);

  constructor(fft: RealFft, shape: StftShape) {
    if (fft.size !== shape.windowSize)
      throw new RangeError(`FFT of ${fft.size} points for a ${shape.windowSize}-sample window`);
    this.fft = fft;
    this.#size = shape.windowSize;
    this.hop = shape.hop;
    this.window = hannWindow(shape.windowSize);
    this.#synthesisWindow = this.window.map((v) => v / shape.windowSize);
    this.bins = shape.windowSize / 2 + 1;
  }

  frameCount(length: Samples): number {
    return frameCount(length, this.hop);
  }

  /** The complex STFT of x; writes into `out` when it has the right shape. */
  forward(x: Float32Array, out?: Spectrogram): Spectrogram {
    const frames = this.frameCount(x.length);
    const spec =
      out && out.frames === frames && out.bins === this.bins ? out : emptySpectrogram(frames, this.bins);
    const n = this.#size;
    const half = n / 2;
    const w = this.window;
    const fft = this.fft;
    // Views fetched once: nothing allocates in WebAssembly memory while this loop runs.
    const time = fft.time;
    const packed = fft.spectrum;
    for (let f = 0; f < frames; f++) {
      const start = f * this.hop - half;
      if (start >= 0 && start + n <= x.length) {
        for (let k = 0; k < n; k++) time[k] = x[start + k] * w[k];
      } else {
        for (let k = 0; k < n; k++) {
          const t = start + k;
          time[k] = t >= 0 && t < x.length ? x[t] * w[k] : 0;
        }
      }
      fft.forward();
      unpack(packed, spec, f);
    }
    return spec;
  }

  /**
   * The least-squares inverse (Griffin & Lim 1984): each frame's inverse FFT is windowed again,
   * overlap-added, and divided by the summed squared window, giving a signal of `length` samples
   * aligned with the one analysed. `magnitude`, when given, scales the spectrogram (which then holds
   * unit phasors): Griffin-Lim's "magnitude times current phase" without a temporary array.
   */
  inverse(spec: Spectrogram, length: Samples, magnitude?: Float32Array, out?: Float32Array): Float32Array {
    const frames = this.frameCount(length);
    if (spec.frames !== frames || spec.bins !== this.bins) {
      throw new RangeError(`spectrogram of ${spec.frames}×${spec.bins} cannot make ${length} samples`);
    }
    const y = out && out.length === length ? out.fill(0) : new Float32Array(length);
    const n = this.#size;
    const half = n / 2;
    const w = this.#synthesisWindow;
    const fft = this.fft;
    const time = fft.time;
    const packed = fft.spectrum;
    for (let f = 0; f < frames; f++) {
      pack(spec, f, packed, magnitude);
      fft.inverse();
      const start = f * this.hop - half;
      const k0 = Math.max(0, -start);
      const k1 = Math.min(n, length - start);
      for (let k = k0; k < k1; k++) y[start + k] += time[k] * w[k];
    }
    const norm = this.#windowNormalisation(length);
    for (let t = 0; t < length; t++) y[t] *= norm[t];
    return y;
  }

  #windowNormalisation(length: number): Float32Array {
    if (length === this.#normLength) return this.#inverseWindowSum;
    const sum = new Float64Array(length);
    const n = this.#size;
    const w = this.window;
    for (let f = 0; f < this.frameCount(length); f++) {
      const start = f * this.hop - n / 2;
      for (let k = Math.max(0, -start); k < Math.min(n, length - start); k++) sum[start + k] += w[k] * w[k];
    }
    const inv = new Float32Array(length);
    // A sample no window reaches (impossible with centred frames) stays at zero rather than dividing by 0.
    for (let t = 0; t < length; t++) inv[t] = sum[t] > 1e-8 ? 1 / sum[t] : 0;
    this.#normLength = length;
    this.#inverseWindowSum = inv;
    return inv;
  }
}

function unpack(packed: Float32Array, spec: Spectrogram, frame: number): void {
  const b = spec.bins;
  const o = frame * b;
  const re = spec.re;
  const im = spec.im;
  re[o] = packed[0];
  im[o] = 0;
  re[o + b - 1] = packed[1];
  im[o + b - 1] = 0;
  for (let k = 1; k < b - 1; k++) {
    re[o + k] = packed[2 * k];
    im[o + k] = packed[2 * k + 1];
  }
}

function pack(spec: Spectrogram, frame: number, packed: Float32Array, magnitude?: Float32Array): void {
  const b = spec.bins;
  const o = frame * b;
  const re = spec.re;
  const im = spec.im;
  if (magnitude) {
    packed[0] = re[o] * magnitude[o];
    packed[1] = re[o + b - 1] * magnitude[o + b - 1];
    for (let k = 1; k < b - 1; k++) {
      const m = magnitude[o + k];
      packed[2 * k] = re[o + k] * m;
      packed[2 * k + 1] = im[o + k] * m;
    }
  } else {
    packed[0] = re[o];
    packed[1] = re[o + b - 1];
    for (let k = 1; k < b - 1; k++) {
      packed[2 * k] = re[o + k];
      packed[2 * k + 1] = im[o + k];
    }
  }
}

/** |X| of every coefficient. */
export function magnitudes(spec: Spectrogram): SpectrogramPlane {
  const data = new Float32Array(spec.re.length);
  const { re, im } = spec;
  for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(re[i] * re[i] + im[i] * im[i]);
  return { frames: spec.frames, bins: spec.bins, data };
}

/** Magnitude and phase combined into a spectrogram. */
export function polar(magnitude: SpectrogramPlane, phase: Float32Array): Spectrogram {
  const spec = emptySpectrogram(magnitude.frames, magnitude.bins);
  for (let i = 0; i < phase.length; i++) {
    spec.re[i] = magnitude.data[i] * Math.cos(phase[i]);
    spec.im[i] = magnitude.data[i] * Math.sin(phase[i]);
  }
  return spec;
}
