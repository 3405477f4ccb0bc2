/**
 * Live resynthesis: any length of input through the model, hop by hop, in constant memory — the
 * microphone in the engine's live worker and `vae-studio stream` on a file run this same class.
 *
 * Every input frame (the project's 256-bin frame: a centred 512-sample Hann window every 128
 * samples) is scaled to [0, 1] against a reference level, encoded to its posterior mean, moved in
 * latent space (a morph toward a vector, then an offset), decoded, brought back to the input's
 * level and given the input's own STFT phase; overlap-add with the summed squared window gives the
 * wet signal, exactly as `resynth --phase source` does over a whole file (ml/vae/generate.ts). The
 * dry signal is the input itself, sample-aligned, and the output is (1 − mix)·dry + mix·wet.
 *
 * Latency: output sample t is final once the last frame whose window reaches it is in, the frame
 * centred on t + window/2 − hop at most, which needs input up to t + window − 1; hop by hop, a hop
 * of output comes out as the hop of input one window later goes in: one window (512 samples,
 * 23.2 ms at 22.05 kHz). The encoder sees one frame at a time, so there is no look-ahead beyond it.
 */
import type { FrameSettings } from '../features/settings.js';
import type { RealFft } from './fft.js';
import { hannWindow } from './stft.js';

/** What the live path needs of a model (VaeModel has it). */
export interface LiveModel {
  readonly latent: number;
  readonly studio: { frames: FrameSettings };
  encode(frames: Float32Array): { mu: Float32Array };
  decode(z: Float32Array): Float32Array;
}

/**
 * The level the input's frames are scaled against (the level that maps to 1 in the model's frames).
 * `fixed`: a known reference, e.g. a file's peak amplitude, which makes the output equal
 * `resynth --phase source`; `running`: the loudest frame bin heard so far, never below `min` (so
 * the first quiet noise of a microphone is not blown up to the model's full scale).
 */
export type LiveLevel = { kind: 'fixed'; ref: number } | { kind: 'running'; min: number };

export interface LiveSettings {
  /** 0: the input alone (dry), 1: the model alone (wet). */
  mix: number;
  /** Added to every frame's latent vector (after the morph). */
  offset: Float32Array | null;
  /** Every frame's latent vector blended toward `target`: 0 is the input's own, 1 the target. */
  morph: { target: Float32Array; amount: number } | null;
  /** Linear gain on the input, before everything (dry included). */
  gain: number;
}

export const DEFAULT_LIVE_SETTINGS: Readonly<LiveSettings> = Object.freeze({
  mix: 1,
  offset: null,
  morph: null,
  gain: 1,
});

/** The peak magnitude of a full-scale sine in one frame: Hann window sum / 2. */
export function fullScaleMagnitude(windowSize: number): number {
  const w = hannWindow(windowSize);
  let sum = 0;
  for (const v of w) sum += v;
  return sum / 2;
}

/**
 * A map axis (0 or 1, in its standard deviations) or a latent dimension (in units) as the vector
 * added to every frame — what `resynthesize`'s offset adds (main/engine/synthesis-ops.ts).
 */
export function offsetVector(
  pca: { components: number[][]; std: number[] },
  latent: number,
  direction: 'axis1' | 'axis2' | number,
  amount: number,
): Float32Array {
  if (direction === 'axis1' || direction === 'axis2') {
    const axis = direction === 'axis1' ? 0 : 1;
    return Float32Array.from(pca.components[axis], (v) => v * amount * pca.std[axis]);
  }
  if (!Number.isInteger(direction) || direction < 0 || direction >= latent)
    throw new RangeError(`the model has ${latent} latent dimensions; there is no z${direction + 1}`);
  const v = new Float32Array(latent);
  v[direction] = amount;
  return v;
}

export class LiveResynth {
  /** Input samples before the output sample that the same input sample makes (one window). */
  readonly latencySamples: number;
  readonly sampleRate: number;
  readonly #model: LiveModel;
  readonly #fft: RealFft;
  readonly #n: number;
  readonly #hop: number;
  readonly #bins: number;
  readonly #floorDb: number;
  readonly #window: Float32Array;
  readonly #synthesisWindow: Float32Array;
  #level: LiveLevel;
  #settings: LiveSettings = { ...DEFAULT_LIVE_SETTINGS };
  /** Running level: the loudest bin so far. */
  #runningPeak = 0;
  /**
   * Input from the start of the next frame's window (absolute sample `#frame·hop − n/2`), gain
   * applied; the first half window is the centred STFT's zeros before the signal.
   */
  #input: Float32Array;
  #inputLength: number;
  /** Overlap-add of the wet signal and of the squared window, from the same sample as #input. */
  readonly #ola: Float32Array;
  readonly #olaWeight: Float32Array;
  /** The next frame's index. */
  #frame = 0;
  /** Input samples pushed so far (the signal's length so far). */
  #pushed = 0;
  #finished = false;
  /** The largest magnitude (after gain) of the last frame analysed, for a meter. */
  lastFramePeak = 0;

  constructor(
    model: LiveModel,
    fft: RealFft,
    options: { level: LiveLevel; settings?: Partial<LiveSettings> },
  ) {
    const s = model.studio.frames;
    if (fft.size !== s.windowSize)
      throw new RangeError(`FFT of ${fft.size} points for a ${s.windowSize}-sample window`);
    if (s.windowSize % s.hop !== 0) throw new RangeError('the window must be a whole number of hops');
    this.#model = model;
    this.#fft = fft;
    this.#n = s.windowSize;
    this.#hop = s.hop;
    this.#bins = s.bins;
    this.#floorDb = s.floorDb;
    this.sampleRate = s.sampleRate;
    this.latencySamples = s.windowSize;
    this.#window = hannWindow(this.#n);
    this.#synthesisWindow = this.#window.map((v) => v / this.#n);
    this.#input = new Float32Array(4 * this.#n);
    this.#inputLength = this.#n / 2;
    this.#ola = new Float32Array(this.#n);
    this.#olaWeight = new Float32Array(this.#n);
    this.#level = checkLevel(options.level);
    this.set(options.settings ?? {});
  }

  get latencyMs(): number {
    return (1000 * this.latencySamples) / this.sampleRate;
  }

  get settings(): Readonly<LiveSettings> {
    return this.#settings;
  }

  /** Changes take effect from the next frame analysed. */
  set(settings: Partial<LiveSettings>): void {
    const next = { ...this.#settings, ...settings };
    const d = this.#model.latent;
    if (!(next.mix >= 0 && next.mix <= 1)) throw new RangeError(`mix must be in [0, 1], got ${next.mix}`);
    if (!(next.gain >= 0 && Number.isFinite(next.gain)))
      throw new RangeError(`gain must be ≥ 0, got ${next.gain}`);
    if (next.offset && (next.offset.length !== d || !next.offset.every(Number.isFinite)))
      throw new RangeError(`an offset must be ${d} finite values`);
    if (next.morph) {
      const { target, amount } = next.morph;
      if (target.length !== d || !target.every(Number.isFinite))
        throw new RangeError(`a morph target must be ${d} finite values`);
      if (!(amount >= 0 && amount <= 1))
        throw new RangeError(`a morph amount must be in [0, 1], got ${amount}`);
    }
    this.#settings = next;
  }

  setLevel(level: LiveLevel): void {
    this.#level = checkLevel(level);
  }

  /**
   * Takes the next input samples (any number); returns the output samples that became final, in
   * order from the first (whole hops while the input goes on).
   */
  push(samples: Float32Array): Float32Array {
    if (this.#finished) throw new Error('the stream has finished');
    const gain = this.#settings.gain;
    this.#reserve(samples.length);
    const to = this.#input;
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i];
      to[this.#inputLength + i] = Number.isFinite(v) ? v * gain : 0;
    }
    this.#inputLength += samples.length;
    this.#pushed += samples.length;
    const frames = Math.max(0, Math.floor((this.#inputLength - this.#n) / this.#hop) + 1);
    return this.#process(frames, Infinity);
  }

  /** The input has ended: the rest of the output, up to the input's length. */
  finish(): Float32Array {
    if (this.#finished) return new Float32Array(0);
    this.#finished = true;
    // The centred STFT's frames run to the one centred on the last whole hop; zeros follow the signal.
    const last = Math.floor(this.#pushed / this.#hop);
    const frames = last - this.#frame + 1;
    this.#reserve(this.#n + frames * this.#hop);
    this.#input.fill(0, this.#inputLength);
    return this.#process(frames, this.#pushed, true);
  }

  /** Frames `count` frames from the input; emits output below `end` (absolute). */
  #process(count: number, end: number, last = false): Float32Array {
    const n = this.#n;
    const hop = this.#hop;
    const bins = this.#bins;
    const fftBins = n / 2 + 1;
    const re = new Float32Array(count * fftBins);
    const im = new Float32Array(count * fftBins);
    const unit = new Float32Array(count * bins);
    const mags = new Float32Array(count * bins);
    const refs = new Float64Array(count);
    const fft = this.#fft;
    const time = fft.time;
    const packed = fft.spectrum;
    const w = this.#window;
    const minRatio = 10 ** (this.#floorDb / 20);
    for (let f = 0; f < count; f++) {
      const base = f * hop;
      for (let k = 0; k < n; k++) time[k] = this.#input[base + k] * w[k];
      fft.forward();
      const o = f * fftBins;
      re[o] = packed[0];
      re[o + fftBins - 1] = packed[1];
      for (let k = 1; k < fftBins - 1; k++) {
        re[o + k] = packed[2 * k];
        im[o + k] = packed[2 * k + 1];
      }
      let framePeak = 0;
      const u = f * bins;
      for (let k = 0; k < bins; k++) {
        const a = re[o + k];
        const b = im[o + k];
        const m = Math.sqrt(a * a + b * b);
        mags[u + k] = m;
        if (m > framePeak) framePeak = m;
      }
      this.lastFramePeak = framePeak;
      let ref: number;
      if (this.#level.kind === 'fixed') ref = this.#level.ref;
      else {
        if (framePeak > this.#runningPeak) this.#runningPeak = framePeak;
        ref = Math.max(this.#runningPeak, this.#level.min);
      }
      refs[f] = ref;
      if (!(ref > 0)) continue; // a silent reference: the wet signal is silence, as resynth's is
      const scale = 1 / ref;
      for (let k = 0; k < bins; k++) {
        const ratio = mags[u + k] * scale;
        unit[u + k] =
          ratio <= minRatio ? 0 : ratio >= 1 ? 1 : (20 * Math.log10(ratio) - this.#floorDb) / -this.#floorDb;
      }
    }
    const decoded = count > 0 ? this.#model.decode(this.#moved(this.#model.encode(unit).mu)) : unit;

    const out = new Float32Array(
      Math.max(0, Math.min(count * hop, end - this.#outputStart())) + (last ? n : 0),
    );
    let written = 0;
    const { mix } = this.#settings;
    const sw = this.#synthesisWindow;
    const nepersPerUnit = (-this.#floorDb / 20) * Math.LN10;
    for (let f = 0; f < count; f++) {
      const ref = refs[f];
      const o = f * fftBins;
      if (ref > 0) {
        packed[0] = 0;
        packed[1] = 0; // the Nyquist bin is dropped from the frame and comes back as zero
        for (let k = 0; k < bins; k++) {
          const u = Math.min(1, Math.max(0, decoded[f * bins + k]));
          const mag = ref * Math.exp(nepersPerUnit * (u - 1));
          const a = re[o + k];
          const b = im[o + k];
          const m = mags[f * bins + k];
          const cr = m > 0 ? (a / m) * mag : mag;
          const ci = m > 0 ? (b / m) * mag : 0;
          if (k === 0) packed[0] = cr;
          else {
            packed[2 * k] = cr;
            packed[2 * k + 1] = ci;
          }
        }
        fft.inverse();
        for (let k = 0; k < n; k++) this.#ola[k] += time[k] * sw[k];
      }
      for (let k = 0; k < n; k++) this.#olaWeight[k] += w[k] * w[k];
      // Samples before the next frame's window are final: emit them (those from 0, below `end`).
      const start = this.#outputStart();
      const from = Math.max(0, -start);
      const to = Math.min(hop, end - start);
      const base = f * hop;
      for (let k = from; k < to; k++) {
        const weight = this.#olaWeight[k];
        const wet = weight > 1e-8 ? this.#ola[k] / weight : 0;
        const dry = this.#input[base + k];
        out[written++] = mix === 0 ? dry : mix === 1 ? wet : (1 - mix) * dry + mix * wet;
      }
      this.#ola.copyWithin(0, hop);
      this.#ola.fill(0, n - hop);
      this.#olaWeight.copyWithin(0, hop);
      this.#olaWeight.fill(0, n - hop);
      this.#frame++;
    }
    const consumed = count * hop;
    if (last) {
      // No frame follows the last: everything left below the end is final.
      const start = this.#outputStart();
      for (let k = Math.max(0, -start); k < Math.min(n, end - start); k++) {
        const weight = this.#olaWeight[k];
        const wet = weight > 1e-8 ? this.#ola[k] / weight : 0;
        const dry = this.#input[consumed + k];
        out[written++] = mix === 0 ? dry : mix === 1 ? wet : (1 - mix) * dry + mix * wet;
      }
    }
    // What the frames were taken from is done with: the next frame's window starts the buffer.
    this.#input.copyWithin(0, consumed, Math.max(consumed, this.#inputLength));
    this.#inputLength = Math.max(0, this.#inputLength - consumed);
    return written === out.length ? out : out.subarray(0, written);
  }

  /** Absolute index of the first sample of #input, #ola and the next output hop. */
  #outputStart(): number {
    return this.#frame * this.#hop - this.#n / 2;
  }

  #moved(mu: Float32Array): Float32Array {
    const { offset, morph } = this.#settings;
    if (!offset && !morph) return mu;
    const d = this.#model.latent;
    for (let i = 0; i < mu.length; i++) {
      let v = mu[i];
      if (morph) v = (1 - morph.amount) * v + morph.amount * morph.target[i % d];
      if (offset) v += offset[i % d];
      mu[i] = v;
    }
    return mu;
  }

  #reserve(extra: number): void {
    const need = this.#inputLength + extra;
    if (need <= this.#input.length) return;
    const grown = new Float32Array(Math.max(need, 2 * this.#input.length));
    grown.set(this.#input.subarray(0, this.#inputLength));
    this.#input = grown;
  }
}

function checkLevel(level: LiveLevel): LiveLevel {
  if (level.kind === 'fixed' && !(level.ref >= 0 && Number.isFinite(level.ref)))
    throw new RangeError(`a fixed level must be ≥ 0, got ${level.ref}`);
  if (level.kind === 'running' && !(level.min > 0 && Number.isFinite(level.min)))
    throw new RangeError(`a running level's minimum must be > 0, got ${level.min}`);
  return level;
}

/**
 * The largest frame magnitude of a signal pushed in pieces (the centred STFT's frames, as analyze
 * makes them): the reference `resynth` scales a recording against, found in constant memory.
 */
export class FramePeak {
  readonly #fft: RealFft;
  readonly #window: Float32Array;
  readonly #n: number;
  readonly #hop: number;
  readonly #bins: number;
  #input: Float32Array;
  #length: number;
  #pushed = 0;
  #frame = 0;
  peak = 0;

  constructor(fft: RealFft, settings: FrameSettings) {
    this.#fft = fft;
    this.#n = settings.windowSize;
    this.#hop = settings.hop;
    this.#bins = settings.bins;
    this.#window = hannWindow(this.#n);
    this.#input = new Float32Array(4 * this.#n);
    this.#length = this.#n / 2;
  }

  push(samples: Float32Array): void {
    this.#append(samples);
    this.#pushed += samples.length;
    this.#frames(Math.max(0, Math.floor((this.#length - this.#n) / this.#hop) + 1));
  }

  /** The peak over every frame of the whole signal. */
  finish(): number {
    const frames = Math.floor(this.#pushed / this.#hop) - this.#frame + 1;
    this.#append(new Float32Array(this.#n + frames * this.#hop));
    this.#frames(frames);
    return this.peak;
  }

  #frames(count: number): void {
    const { time, spectrum } = this.#fft;
    for (let f = 0; f < count; f++) {
      const base = f * this.#hop;
      for (let k = 0; k < this.#n; k++) time[k] = this.#input[base + k] * this.#window[k];
      this.#fft.forward();
      let peak = Math.abs(spectrum[0]);
      for (let k = 1; k < this.#bins; k++)
        peak = Math.max(peak, Math.sqrt(spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2));
      if (peak > this.peak) this.peak = peak;
    }
    const used = count * this.#hop;
    this.#input.copyWithin(0, used, Math.max(used, this.#length));
    this.#length = Math.max(0, this.#length - used);
    this.#frame += count;
  }

  #append(x: Float32Array): void {
    if (this.#length + x.length > this.#input.length) {
      const grown = new Float32Array(Math.max(this.#length + x.length, 2 * this.#input.length));
      grown.set(this.#input.subarray(0, this.#length));
      this.#input = grown;
    }
    this.#input.set(x, this.#length);
    this.#length += x.length;
  }
}
