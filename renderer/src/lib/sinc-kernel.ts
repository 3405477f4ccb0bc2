/**
 * A band-limited interpolator for streaming sample-rate conversion: a Kaiser-windowed sinc kept as
 * a polyphase table (PHASES rows per input sample, linear between rows), evaluated at any
 * fractional input position. The live audition's worklet reads the model's stream (22.05 kHz) at
 * the output's rate through it, one read head carried across chunks, so the stream is resampled
 * once and never per chunk. Written here rather than taken from npm: the maintained resamplers
 * there are WebAssembly builds (libsamplerate, speex) that an AudioWorkletGlobalScope cannot fetch,
 * or whole-buffer converters with no state to carry between chunks.
 *
 * For a 22.05 kHz stream the filter is flat within 0.01 dB to 9.5 kHz (−0.3 dB at 10 kHz, −6.5 dB
 * at 10.55 kHz), and the images an upsampler makes above 11.5 kHz are more than 75 dB down
 * (sinc-kernel.test.ts): the band above 11.5 kHz, which the click test watches, stays empty but
 * for discontinuities. Its cost in latency is HALF_WIDTH input samples (1.45 ms at 22.05 kHz).
 */

/** Taps on each side of the read position, in input samples (at the lower of the two rates). */
export const HALF_WIDTH = 32;
const PHASES = 512;
const KAISER_BETA = 7.5;
/** The −6 dB point, as a share of the lower Nyquist (10.53 kHz of a 22.05 kHz stream). */
const CUTOFF = 0.955;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

export class SincKernel {
  /** Input samples on each side of the read position the kernel reaches. */
  readonly half: number;
  readonly #taps: number;
  /** (PHASES + 1) rows of `taps` weights: row p is for a fractional position of p / PHASES. */
  readonly #table: Float32Array;

  /** For reading a stream of `inRate` at `outRate`. */
  constructor(inRate: number, outRate: number) {
    // Downsampling narrows the filter to the output's Nyquist (and widens it in input samples).
    const scale = Math.min(1, outRate / inRate);
    this.half = Math.ceil(HALF_WIDTH / scale);
    this.#taps = 2 * this.half;
    this.#table = new Float32Array((PHASES + 1) * this.#taps);
    const fc = (CUTOFF * scale) / 2; // cycles per input sample
    const i0 = besselI0(KAISER_BETA);
    for (let p = 0; p <= PHASES; p++) {
      const frac = p / PHASES;
      const row = this.#table.subarray(p * this.#taps, (p + 1) * this.#taps);
      let sum = 0;
      for (let j = 0; j < this.#taps; j++) {
        // Tap j weighs input sample floor(pos) − half + 1 + j, at distance t from the position.
        const t = j - this.half + 1 - frac;
        const u = t / this.half;
        const window = Math.abs(u) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / i0;
        const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
        row[j] = sinc * window;
        sum += row[j];
      }
      // Unity gain at DC for every phase: no ripple at the rate's beat.
      for (let j = 0; j < this.#taps; j++) row[j] /= sum;
    }
  }

  /**
   * The band-limited value at input position `pos` of `input`, whose element 0 is input sample
   * `start`; needs samples floor(pos) − half + 1 … floor(pos) + half to be there.
   */
  read(input: Float32Array, start: number, pos: number): number {
    const whole = Math.floor(pos);
    const phase = (pos - whole) * PHASES;
    const p = Math.floor(phase);
    const a = phase - p;
    const taps = this.#taps;
    const table = this.#table;
    const r0 = p * taps;
    const r1 = r0 + taps;
    const first = whole - this.half + 1 - start;
    let y0 = 0;
    let y1 = 0;
    for (let j = 0; j < taps; j++) {
      const x = input[first + j];
      y0 += x * table[r0 + j];
      y1 += x * table[r1 + j];
    }
    return y0 + a * (y1 - y0);
  }
}
