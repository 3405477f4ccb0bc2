/**
 * How good generated sounds are beside the material a model learnt from: the metric of issue 9.
 *
 * "Frames of a 512-point Hann STFT, hop 128, 256 bins, in dB against the material's peak, floored at
 * −80; every 4th frame (neighbours overlap 75 %); only frames within 50 dB of the peak. Precision:
 * share of generated frames inside the 5-nearest-neighbour ball of some real frame; recall: share of
 * real frames inside such a ball of some generated frame (Kynkäänniemi et al. 2019). Novelty: median
 * distance of generated frames to the nearest real frame over the median distance of real frames to
 * the nearest real frame outside their own neighbourhood (same file, within 8 of those frames) — near
 * 0 means the material is replayed. Loudness: RMS in dBFS over 512-sample blocks within 30 dB of the
 * file's loudest block. Flux: median RMS over bins of the dB change between consecutive frames."
 *
 * Use `generationMetrics(material, generated)` for the whole metric; its parts are exported for tests
 * and other measurements: `dbSpectra` (the dB spectrograms of a set, against its own peak or a given
 * one), `metricFrames` (the frames compared), `compareFrames` (precision, recall, novelty), `knnRadii`,
 * `loudness`, `flux`. scripts/bench-sound.ts runs it on the CLI's sounds.
 *
 * What the text leaves open, decided here (METRIC holds the numbers):
 *
 * - Frames: the project's centred STFT (ml/synth/stft.ts: symmetric Hann window of 512, hop 128, frame
 *   f centred on sample f·128, zero beyond the file's ends), bins 0..255 (the Nyquist bin dropped, as
 *   in the model's frames). Both sets must be at the same sample rate (the model's, 22050 Hz).
 * - "In dB against the material's peak": 20·log10(|X| / peak), floored at −80, where peak is the largest
 *   |X| of any bin of any frame (every frame, hop 128) of any material file. Generated frames use the
 *   material's peak too, so a sound too loud or too quiet sits away from the real frames and is
 *   penalised.
 * - "Every 4th frame": frames 0, 4, 8, … of each file (a hop of 512 samples: no overlap between the
 *   frames kept); their position in that sequence (frame / 4) is the frame's `index`.
 * - "Within 50 dB of the peak": a frame is kept when its own loudest bin is ≥ −50 dB (against the
 *   material's peak, for generated frames too).
 * - Distance: Euclidean over the 256 dB values.
 * - The k-NN ball (k = 5) of a frame: centred on it, radius the distance to its 5th nearest neighbour in
 *   its own set, itself excluded but nothing else (Kynkäänniemi et al.'s definition; a real frame's
 *   neighbours in its own file count). Balls are closed (distance ≤ radius, as in the paper's code).
 *   Precision uses the real frames' balls; recall the generated frames' balls among the generated
 *   frames. A set of n ≤ k frames uses its (n−1)th neighbour (radius 0 for a single frame).
 * - Novelty's "own neighbourhood" of a real frame: the real frames of the same file whose index (in
 *   the every-4th-frame sequence, before the 50 dB gate) is within 8 of its own, itself included
 *   (±8 × 512 samples, ±186 ms at 22050 Hz). A real frame with nothing outside its neighbourhood
 *   does not count in the denominator.
 * - Loudness of a file: blocks of 512 samples from sample 0 (a last partial block dropped, unless the
 *   file is shorter than one block); the blocks whose mean square is within 30 dB of the file's
 *   loudest block (and not silent); 10·log10 of their mean square (an RMS in dB re full-scale DC, so a
 *   full-scale sine is −3.01 dBFS). Loudness of a set: the same over all qualifying blocks of all its
 *   files pooled (each file gated against its own loudest block): the level of the set played end to
 *   end. The difference is generated − material, in dB.
 * - Flux: "consecutive frames" are consecutive metric frames (frames f and f + 4: a hop of 512
 *   samples, 23 ms at 22050 Hz), before the 50 dB gate; a pair counts when at least one of its frames
 *   is within 50 dB of the peak (silence to silence does not; onsets do). Its value is the RMS over the
 *   256 bins of the difference of their dB values; the flux of a set is the median over all such pairs
 *   of all its files, and the ratio is generated / material. (Frames at hop 128 overlap by 75 %, which
 *   smooths the change: with the default model on the test recordings, the grid's held frames have
 *   0.48× the material's flux at hop 128 and 0.35× at hop 512, the "third" the issue reports.)
 * - Empty cases: no generated frame kept gives precision and novelty NaN and recall 0; a set with no
 *   pair for flux gives NaN.
 */
import { loudnessDb } from '../features/loudness.js';
import { createRealFft } from '../synth/fft.js';
import { Stft } from '../synth/stft.js';
import type { Decibels } from '../units.js';

export const METRIC = Object.freeze({
  windowSize: 512,
  hop: 128,
  bins: 256,
  floorDb: -80,
  /** Every `stride`-th frame is a metric frame. */
  stride: 4,
  /** A metric frame's loudest bin is at most this far (dB) below the material's peak. */
  rangeDb: 50,
  /** The k of the k-NN balls. */
  k: 5,
  /** Novelty: a real frame's neighbourhood in its own file, in metric frames either side. */
  neighbourhood: 8,
  /** Loudness: block length in samples and the gate below the file's loudest block (dB). */
  blockSize: 512,
  loudnessGateDb: 30,
});

const BINS = METRIC.bins;

/** A set's spectrograms in dB against a peak: every frame (hop 128) of each file. */
export interface DbSpectra {
  /** One array per file: frames × 256 values, frame-major, in dB re `peak`, floored at −80. */
  files: Float32Array[];
  /** The |X| that is 0 dB. */
  peak: number;
}

/** The frames the metric compares: every 4th frame within 50 dB of the peak, from all files. */
export interface MetricFrames {
  count: number;
  /** count × 256 dB values, frame-major. */
  data: Float32Array;
  /** The file each frame came from. */
  file: Int32Array;
  /** Its place in that file's every-4th-frame sequence (STFT frame / 4). */
  index: Int32Array;
}

export interface GenerationMetrics {
  precision: number;
  recall: number;
  novelty: number;
  /** dBFS, and generated − material in dB. */
  loudness: { material: Decibels; generated: Decibels; difference: Decibels };
  /** dB per metric frame, and generated / material. */
  flux: { material: Decibels; generated: Decibels; ratio: number };
  /** Metric frames of each set (after the 50 dB gate). */
  frames: { material: number; generated: number };
  /** The material's peak |X| (the 0 dB of every frame). */
  peak: number;
}

/** The metric's STFT; `dispose()` it when done. */
export async function createMetricStft(): Promise<Stft> {
  return new Stft(await createRealFft(METRIC.windowSize), METRIC);
}

/** |X|² of the first 256 bins of every frame of x. */
function power(stft: Stft, x: Float32Array): Float32Array {
  const spec = stft.forward(x);
  const out = new Float32Array(spec.frames * BINS);
  const { re, im, bins } = spec;
  for (let f = 0; f < spec.frames; f++) {
    const o = f * bins;
    const p = f * BINS;
    for (let k = 0; k < BINS; k++) out[p + k] = re[o + k] * re[o + k] + im[o + k] * im[o + k];
  }
  return out;
}

/** Power → dB re peak, floored, in place. */
function powerToDb(p: Float32Array, peak: number): Float32Array {
  const offset = 20 * Math.log10(peak);
  const floor = METRIC.floorDb;
  for (let i = 0; i < p.length; i++) {
    const db = 10 * Math.log10(p[i]) - offset;
    p[i] = db > floor ? db : floor;
  }
  return p;
}

/**
 * The dB spectrograms of a set of files. Without `peak`, the set is the material and its own largest
 * |X| is the peak; give the material's peak for generated sounds. A silent material (peak 0) is refused.
 */
export async function dbSpectra(files: Float32Array[], peak?: number, stft?: Stft): Promise<DbSpectra> {
  const own = stft ?? (await createMetricStft());
  try {
    const powers = files.map((x) => power(own, x));
    let ref = peak;
    if (ref === undefined) {
      let max = 0;
      for (const p of powers) for (let i = 0; i < p.length; i++) if (p[i] > max) max = p[i];
      ref = Math.sqrt(max);
    }
    if (!(ref > 0) || !Number.isFinite(ref)) throw new RangeError(`the peak must be positive, got ${ref}`);
    return { files: powers.map((p) => powerToDb(p, ref)), peak: ref };
  } finally {
    if (!stft) own.fft.dispose();
  }
}

function frameMax(data: Float32Array, frame: number): number {
  let max = -Infinity;
  const o = frame * BINS;
  for (let k = 0; k < BINS; k++) if (data[o + k] > max) max = data[o + k];
  return max;
}

/** Every 4th frame of each file whose loudest bin is within 50 dB of the peak. */
export function metricFrames(spectra: DbSpectra): MetricFrames {
  const gate = -METRIC.rangeDb;
  const picked: [number, number][] = [];
  spectra.files.forEach((db, file) => {
    const frames = db.length / BINS;
    for (let f = 0; f < frames; f += METRIC.stride) if (frameMax(db, f) >= gate) picked.push([file, f]);
  });
  const data = new Float32Array(picked.length * BINS);
  const file = new Int32Array(picked.length);
  const index = new Int32Array(picked.length);
  picked.forEach(([i, f], n) => {
    data.set(spectra.files[i].subarray(f * BINS, (f + 1) * BINS), n * BINS);
    file[n] = i;
    index[n] = f / METRIC.stride;
  });
  return { count: picked.length, data, file, index };
}

/** Squared Euclidean distance between row i of a and row j of b (256 values each). */
function distance2(a: Float32Array, i: number, b: Float32Array, j: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const oa = i * BINS;
  const ob = j * BINS;
  for (let k = 0; k < BINS; k += 4) {
    const d0 = a[oa + k] - b[ob + k];
    const d1 = a[oa + k + 1] - b[ob + k + 1];
    const d2 = a[oa + k + 2] - b[ob + k + 2];
    const d3 = a[oa + k + 3] - b[ob + k + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  return s0 + s1 + s2 + s3;
}

/** Inserts d into row r's ascending list of the k smallest (best holds n × k values, +∞ at first). */
function keepSmallest(best: Float64Array, r: number, k: number, d: number): void {
  const o = r * k;
  if (d >= best[o + k - 1]) return;
  let p = k - 1;
  while (p > 0 && best[o + p - 1] > d) {
    best[o + p] = best[o + p - 1];
    p--;
  }
  best[o + p] = d;
}

/**
 * Each frame's k-NN radius within its own set: the distance to its k-th nearest other frame (k is
 * clamped to count − 1; a lone frame has radius 0). Squared when `squared`.
 */
export function knnRadii(frames: MetricFrames, k: number = METRIC.k, squared = false): Float64Array {
  const n = frames.count;
  const kk = Math.max(1, Math.min(k, n - 1));
  const best = new Float64Array(n * kk).fill(Infinity);
  const x = frames.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = distance2(x, i, x, j);
      keepSmallest(best, i, kk, d);
      keepSmallest(best, j, kk, d);
    }
  }
  const radii = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = n > 1 ? best[i * kk + kk - 1] : 0;
    radii[i] = squared ? r : Math.sqrt(r);
  }
  return radii;
}

function median(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Precision and recall (Kynkäänniemi et al. 2019, k-NN balls of `k`) and novelty (neighbourhoods of
 * `neighbourhood` metric frames) of generated frames against real ones, in one pass over each pair.
 */
export function compareFrames(
  real: MetricFrames,
  generated: MetricFrames,
  options: { k?: number; neighbourhood?: number } = {},
): { precision: number; recall: number; novelty: number } {
  const k = options.k ?? METRIC.k;
  const neighbourhood = options.neighbourhood ?? METRIC.neighbourhood;
  if (generated.count === 0 || real.count === 0)
    return { precision: generated.count === 0 ? NaN : 0, recall: 0, novelty: NaN };
  const genR = knnRadii(generated, k, true);
  // Real against real: the k-NN radii, and the nearest frame outside each frame's neighbourhood.
  const n = real.count;
  const kk = Math.max(1, Math.min(k, n - 1));
  const best = new Float64Array(n * kk).fill(Infinity);
  const outside = new Float64Array(n).fill(Infinity);
  const x = real.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = distance2(x, i, x, j);
      keepSmallest(best, i, kk, d);
      keepSmallest(best, j, kk, d);
      if (real.file[i] === real.file[j] && Math.abs(real.index[i] - real.index[j]) <= neighbourhood) continue;
      if (d < outside[i]) outside[i] = d;
      if (d < outside[j]) outside[j] = d;
    }
  }
  const realR = new Float64Array(n);
  for (let i = 0; i < n; i++) realR[i] = n > 1 ? best[i * kk + kk - 1] : 0;
  // Generated against real.
  const covered = new Uint8Array(n);
  const nearest = new Float64Array(generated.count);
  let inside = 0;
  for (let g = 0; g < generated.count; g++) {
    let found = false;
    let min = Infinity;
    const rg = genR[g];
    for (let r = 0; r < n; r++) {
      const d = distance2(generated.data, g, x, r);
      if (d <= realR[r]) found = true;
      if (d <= rg) covered[r] = 1;
      if (d < min) min = d;
    }
    if (found) inside++;
    nearest[g] = Math.sqrt(min);
  }
  let recalled = 0;
  for (let r = 0; r < n; r++) recalled += covered[r];
  const reference = median(Array.from(outside.filter(Number.isFinite), Math.sqrt));
  return {
    precision: inside / generated.count,
    recall: recalled / n,
    novelty: median(nearest) / reference,
  };
}

/**
 * Loudness in dBFS of a set of files (or one): the RMS over every 512-sample block within 30 dB of its
 * file's loudest block, pooled over the files; −∞ for silence. The same measure models store for
 * their material and generated sound is brought to (ml/features/loudness.ts).
 */
export function loudness(files: Float32Array | Float32Array[]): Decibels {
  return loudnessDb(files);
}

/**
 * Spectral flux of a set: the median, over pairs of consecutive metric frames (frames f and f + 4 of
 * a file) of which at least one is within 50 dB of the peak, of the RMS over bins of their dB change.
 */
export function flux(spectra: DbSpectra): Decibels {
  const gate = -METRIC.rangeDb;
  const step = METRIC.stride;
  const values: number[] = [];
  for (const db of spectra.files) {
    const frames = db.length / BINS;
    let prevLoud = frames > 0 && frameMax(db, 0) >= gate;
    for (let f = step; f < frames; f += step) {
      const loud = frameMax(db, f) >= gate;
      if (loud || prevLoud) values.push(Math.sqrt(distance2(db, f - step, db, f) / BINS));
      prevLoud = loud;
    }
  }
  return median(values);
}

/**
 * The whole metric: generated sounds against the material (both mono, at the same sample rate). The
 * material's largest |X| is the 0 dB of both sets.
 */
export async function generationMetrics(
  material: Float32Array[],
  generated: Float32Array[],
): Promise<GenerationMetrics> {
  const stft = await createMetricStft();
  try {
    const realDb = await dbSpectra(material, undefined, stft);
    const genDb = await dbSpectra(generated, realDb.peak, stft);
    const real = metricFrames(realDb);
    const gen = metricFrames(genDb);
    const { precision, recall, novelty } = compareFrames(real, gen);
    const loud = { material: loudness(material), generated: loudness(generated) };
    const fl = { material: flux(realDb), generated: flux(genDb) };
    return {
      precision,
      recall,
      novelty,
      loudness: { ...loud, difference: loud.generated - loud.material },
      flux: { ...fl, ratio: fl.generated / fl.material },
      frames: { material: real.count, generated: gen.count },
      peak: realDb.peak,
    };
  } finally {
    stft.fft.dispose();
  }
}
