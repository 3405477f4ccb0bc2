import { seededRandom } from '../random.js';
import { MaxHeap } from './heap.js';
import type { SpectrogramPlane, StftShape } from './stft.js';

/**
 * Phase from magnitude alone by phase-gradient heap integration (PGHI): Průša, Balazs & Søndergaard,
 * "A noniterative method for reconstruction of phase from STFT magnitude", IEEE/ACM TASLP 25(5), 2017,
 * and its real-time variant (Průša & Søndergaard, DAFx-16). Written from the papers.
 *
 * For a Gaussian window e^{-πt²/λ} the log-magnitude s and the phase φ of the STFT are tied together;
 * with our centred frames (phase taken at the window's centre, sample units, bin m of N):
 *   time direction, phase advance per hop a:   a·(2πm/N + (N/λ)·∂s/∂m)
 *   frequency direction, increment per bin:     −(λ/(N·a))·∂s/∂n
 * Our FFT phase is taken at the window's start, (N−1)/2 samples before its centre, which adds
 * −π(N−1)/N per bin. A Hann window of length L behaves like a Gaussian with λ = 0.25645·L².
 */
const HANN_LAMBDA = 0.25645;
/** Log-magnitudes are clipped this many nepers below the maximum (about −96 dB), as in the paper. */
const LOG_RANGE = 11;

export interface PghiOptions {
  /**
   * Relative magnitude thresholds, integrated in turn: the strongest coefficients first, then the
   * rest starting from them. Coefficients below the last threshold get random phase.
   */
  tolerances?: number[];
  seed?: number;
}

interface Gradients {
  /** Phase advance from frame n to n+1 at each coefficient (radians per hop). */
  time: Float32Array;
  /** Phase increment from bin m to m+1 (radians per bin). */
  freq: Float32Array;
}

function logMagnitude(mag: Float32Array, floorLog: number, out = new Float32Array(mag.length)): Float32Array {
  for (let i = 0; i < mag.length; i++) {
    const v = mag[i] > 0 ? Math.log(mag[i]) : -Infinity;
    out[i] = v > floorLog ? v : floorLog;
  }
  return out;
}

function floorLogOf(mag: Float32Array): number {
  let max = 0;
  for (let i = 0; i < mag.length; i++) if (mag[i] > max) max = mag[i];
  return max > 0 ? Math.log(max) - LOG_RANGE : 0;
}

/** Time-direction gradient of one frame's log-magnitude `s` (bins values from `offset`). */
function timeGradient(
  s: Float32Array,
  offset: number,
  bins: number,
  shape: StftShape,
  out: Float32Array,
  outOffset: number,
): void {
  const n = shape.windowSize;
  const a = shape.hop;
  const lambda = HANN_LAMBDA * n * n;
  for (let m = 0; m < bins; m++) {
    // The spectrum of a real signal is mirrored at DC and Nyquist, so the centred difference is 0 there.
    const ds = m === 0 || m === bins - 1 ? 0 : (s[offset + m + 1] - s[offset + m - 1]) / 2;
    out[outOffset + m] = a * ((2 * Math.PI * m) / n + (n / lambda) * ds);
  }
}

function freqIncrement(dsdn: number, shape: StftShape): number {
  const n = shape.windowSize;
  const lambda = HANN_LAMBDA * n * n;
  return (-lambda / (n * shape.hop)) * dsdn - (Math.PI * (n - 1)) / n;
}

function gradients(mag: SpectrogramPlane, shape: StftShape): Gradients {
  const { frames, bins } = mag;
  const s = logMagnitude(mag.data, floorLogOf(mag.data));
  const time = new Float32Array(frames * bins);
  const freq = new Float32Array(frames * bins);
  for (let f = 0; f < frames; f++) {
    timeGradient(s, f * bins, bins, shape, time, f * bins);
    const prev = f > 0 ? f - 1 : f;
    const next = f < frames - 1 ? f + 1 : f;
    const span = next - prev || 1;
    for (let m = 0; m < bins; m++) {
      const dsdn = (s[next * bins + m] - s[prev * bins + m]) / span;
      freq[f * bins + m] = freqIncrement(dsdn, shape);
    }
  }
  return { time, freq };
}

/** Offline PGHI over a whole magnitude spectrogram; returns the phase of every coefficient. */
export function pghi(mag: SpectrogramPlane, shape: StftShape, options: PghiOptions = {}): Float32Array {
  const { tolerances = [1e-1, 1e-10], seed = 0 } = options;
  const { frames, bins, data } = mag;
  const count = frames * bins;
  const { time, freq } = gradients(mag, shape);
  const phase = new Float32Array(count);
  const done = new Uint8Array(count);
  const random = seededRandom(seed);
  let max = 0;
  for (let i = 0; i < count; i++) if (data[i] > max) max = data[i];
  if (max === 0) return phase;

  const front = new MaxHeap(data, 1024);
  for (const tol of tolerances) {
    const threshold = tol * max;
    // Start again from everything already integrated, so weaker coefficients grow out of strong ones.
    front.clear();
    for (let i = 0; i < count; i++) if (done[i]) front.push(i);
    const seeds = new MaxHeap(data, 1024);
    for (let i = 0; i < count; i++) if (!done[i] && data[i] >= threshold) seeds.push(i);
    for (;;) {
      for (let i = front.pop(); i >= 0; i = front.pop()) {
        const f = (i / bins) | 0;
        const m = i - f * bins;
        if (f + 1 < frames) {
          const j = i + bins;
          if (!done[j] && data[j] >= threshold) {
            phase[j] = phase[i] + (time[i] + time[j]) / 2;
            done[j] = 1;
            front.push(j);
          }
        }
        if (f > 0) {
          const j = i - bins;
          if (!done[j] && data[j] >= threshold) {
            phase[j] = phase[i] - (time[i] + time[j]) / 2;
            done[j] = 1;
            front.push(j);
          }
        }
        if (m + 1 < bins) {
          const j = i + 1;
          if (!done[j] && data[j] >= threshold) {
            phase[j] = phase[i] + (freq[i] + freq[j]) / 2;
            done[j] = 1;
            front.push(j);
          }
        }
        if (m > 0) {
          const j = i - 1;
          if (!done[j] && data[j] >= threshold) {
            phase[j] = phase[i] - (freq[i] + freq[j]) / 2;
            done[j] = 1;
            front.push(j);
          }
        }
      }
      // The front ran dry: start a new island at the largest coefficient not yet reached.
      let start = seeds.pop();
      while (start >= 0 && done[start]) start = seeds.pop();
      if (start < 0) break;
      phase[start] = 0;
      done[start] = 1;
      front.push(start);
    }
  }
  for (let i = 0; i < count; i++) if (!done[i]) phase[i] = 2 * Math.PI * random();
  return phase;
}

/**
 * Real-time PGHI: phase frame by frame with one frame of look-ahead (the frequency-direction gradient
 * uses the centred time difference of the log-magnitude). `push(magnitude of frame n+1)` returns the
 * phase of frame n; `finish()` returns the last frame's. The returned arrays belong to the caller.
 */
export class RtPghi {
  readonly #shape: StftShape;
  readonly #bins: number;
  readonly #tolerance: number;
  readonly #random: () => number;
  /** Magnitudes of frames n−1 and n side by side: the heap's keys. */
  readonly #mags: Float32Array;
  readonly #heap: MaxHeap;
  readonly #done: Uint8Array;
  #sPrev: Float32Array | null = null;
  #sCur: Float32Array | null = null;
  #phasePrev: Float32Array | null = null;
  readonly #tgradPrev: Float32Array;
  readonly #tgradCur: Float32Array;
  readonly #fgradCur: Float32Array;
  /** Running maximum magnitude: the log-magnitude floor and the threshold follow it. */
  #peak = 0;

  constructor(shape: StftShape, options: { tolerance?: number; seed?: number } = {}) {
    this.#shape = shape;
    this.#bins = shape.windowSize / 2 + 1;
    this.#tolerance = options.tolerance ?? 1e-6;
    this.#random = seededRandom(options.seed ?? 0);
    this.#mags = new Float32Array(2 * this.#bins);
    this.#heap = new MaxHeap(this.#mags, 2 * this.#bins);
    this.#done = new Uint8Array(this.#bins);
    this.#tgradPrev = new Float32Array(this.#bins);
    this.#tgradCur = new Float32Array(this.#bins);
    this.#fgradCur = new Float32Array(this.#bins);
  }

  #pendingMag: Float32Array | null = null;

  push(magnitude: Float32Array): Float32Array | null {
    if (magnitude.length !== this.#bins)
      throw new RangeError(`frame of ${magnitude.length} bins, expected ${this.#bins}`);
    for (let m = 0; m < magnitude.length; m++) if (magnitude[m] > this.#peak) this.#peak = magnitude[m];
    const next = Float32Array.from(magnitude);
    const pending = this.#pendingMag;
    this.#pendingMag = next;
    if (!pending) return null;
    return this.#emit(pending, next);
  }

  /**
   * Replaces the phase just returned for frame n by the one actually used (after a refinement such as
   * RtPghiSynth's), so frame n+1 grows from what was really played.
   */
  commit(phase: Float32Array): void {
    if (!this.#phasePrev || phase.length !== this.#bins)
      throw new Error('commit() follows a push() that returned a phase');
    this.#phasePrev.set(phase);
  }

  finish(): Float32Array | null {
    const pending = this.#pendingMag;
    this.#pendingMag = null;
    return pending ? this.#emit(pending, null) : null;
  }

  #emit(mag: Float32Array, nextMag: Float32Array | null): Float32Array {
    const b = this.#bins;
    const floorLog = this.#peak > 0 ? Math.log(this.#peak) - LOG_RANGE : 0;
    const sCur = this.#sCur ?? logMagnitude(mag, floorLog);
    const sNext = nextMag ? logMagnitude(nextMag, floorLog) : null;
    const sPrev = this.#sPrev;
    timeGradient(sCur, 0, b, this.#shape, this.#tgradCur, 0);
    for (let m = 0; m < b; m++) {
      const dsdn =
        sPrev && sNext
          ? (sNext[m] - sPrev[m]) / 2
          : sNext
            ? sNext[m] - sCur[m]
            : sPrev
              ? sCur[m] - sPrev[m]
              : 0;
      this.#fgradCur[m] = freqIncrement(dsdn, this.#shape);
    }

    const phase = new Float32Array(b);
    const done = this.#done.fill(0);
    const mags = this.#mags;
    const prevPhase = this.#phasePrev;
    mags.set(mags.subarray(b), 0); // frame n−1's magnitudes were frame n's last time
    mags.set(mag, b);
    let frameMax = 0;
    for (let m = 0; m < b; m++) frameMax = Math.max(frameMax, mag[m], prevPhase ? mags[m] : 0);
    const threshold = this.#tolerance * frameMax;
    let remaining = 0;
    for (let m = 0; m < b; m++) {
      if (mag[m] < threshold || frameMax === 0) {
        phase[m] = 2 * Math.PI * this.#random();
        done[m] = 1;
      } else remaining++;
    }
    const heap = this.#heap;
    heap.clear();
    if (prevPhase) for (let m = 0; m < b; m++) if (mags[m] >= threshold) heap.push(m);
    const tPrev = this.#tgradPrev;
    const tCur = this.#tgradCur;
    const fCur = this.#fgradCur;
    while (remaining > 0) {
      const id = heap.pop();
      if (id < 0) {
        // Nothing to grow from (the first frame, or after silence): start at this frame's largest.
        let best = -1;
        for (let m = 0; m < b; m++) if (!done[m] && (best < 0 || mag[m] > mag[best])) best = m;
        phase[best] = 0;
        done[best] = 1;
        remaining--;
        heap.push(b + best);
        continue;
      }
      if (id < b) {
        if (!done[id] && prevPhase) {
          phase[id] = prevPhase[id] + (tPrev[id] + tCur[id]) / 2;
          done[id] = 1;
          remaining--;
          heap.push(b + id);
        }
        continue;
      }
      const m = id - b;
      if (m + 1 < b && !done[m + 1]) {
        phase[m + 1] = phase[m] + (fCur[m] + fCur[m + 1]) / 2;
        done[m + 1] = 1;
        remaining--;
        heap.push(b + m + 1);
      }
      if (m > 0 && !done[m - 1]) {
        phase[m - 1] = phase[m] - (fCur[m] + fCur[m - 1]) / 2;
        done[m - 1] = 1;
        remaining--;
        heap.push(b + m - 1);
      }
    }
    // Keep phases bounded so single-precision sums do not lose resolution over long streams.
    for (let m = 0; m < b; m++) phase[m] = phase[m] % (2 * Math.PI);

    this.#phasePrev = phase.slice();
    this.#tgradPrev.set(tCur);
    this.#sPrev = sCur;
    this.#sCur = sNext;
    return phase;
  }
}

/** Phase of a whole spectrogram through RtPghi, frame by frame, as live audition would produce it. */
export function rtpghi(
  mag: SpectrogramPlane,
  shape: StftShape,
  options: { tolerance?: number; seed?: number } = {},
): Float32Array {
  const { frames, bins, data } = mag;
  const rt = new RtPghi(shape, options);
  const phase = new Float32Array(frames * bins);
  let f = 0;
  for (let n = 0; n < frames; n++) {
    const out = rt.push(data.subarray(n * bins, (n + 1) * bins));
    if (out) phase.set(out, bins * f++);
  }
  const last = rt.finish();
  if (last) phase.set(last, bins * f);
  return phase;
}

/**
 * The naive baseline PGHI must beat: every bin's phase advances by its centre frequency each hop (a
 * phase vocoder without peak locking), from a random start.
 */
export function phaseVocoder(mag: SpectrogramPlane, shape: StftShape, seed = 0): Float32Array {
  const { frames, bins } = mag;
  const random = seededRandom(seed);
  const phase = new Float32Array(frames * bins);
  for (let m = 0; m < bins; m++) phase[m] = 2 * Math.PI * random();
  for (let f = 1; f < frames; f++) {
    for (let m = 0; m < bins; m++) {
      const advance = (2 * Math.PI * m * shape.hop) / shape.windowSize;
      phase[f * bins + m] = (phase[(f - 1) * bins + m] + advance) % (2 * Math.PI);
    }
  }
  return phase;
}
