// The aggregate posterior: where a trained model's data actually lies in its latent space. With a
// small beta the training frames' posterior means spread far wider than the N(0, I) prior and in
// clusters (a voice, a plucked string, a bell), so draws from the prior land between them. A small
// diagonal Gaussian mixture fitted to the means (k-means++ then each cluster's spread) is stored
// with the model (studio.json `posterior`) and is what random sounds are drawn from by default.
import { SeededRandom } from '../random.js';

export interface Mixture {
  weights: number[];
  means: number[][];
  /** Each component's standard deviation per dimension. */
  stds: number[][];
}

/** Components fitted by default: enough for a few kinds of sound, few enough to stay smooth. */
export const MIXTURE_COMPONENTS = 8;

/** Fits a diagonal Gaussian mixture to `rows` (n × d) by k-means; deterministic for a seed. */
export function fitMixture(rows: Float32Array, d: number, k = MIXTURE_COMPONENTS, seed = 0): Mixture {
  const n = rows.length / d;
  if (n === 0) throw new RangeError('no rows to fit a mixture to');
  k = Math.max(1, Math.min(k, n));
  const rng = new SeededRandom(seed);
  const centres = new Float64Array(k * d);
  const dist2 = (i: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (rows[i * d + j] - centres[c * d + j]) ** 2;
    return s;
  };
  // k-means++ seeding.
  const first = Math.floor(rng.next() * n);
  for (let j = 0; j < d; j++) centres[j] = rows[first * d + j];
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i], dist2(i, c - 1));
      total += nearest[i];
    }
    let pick = rng.next() * total;
    let chosen = n - 1;
    for (let i = 0; i < n; i++) {
      pick -= nearest[i];
      if (pick <= 0) {
        chosen = i;
        break;
      }
    }
    for (let j = 0; j < d; j++) centres[c * d + j] = rows[chosen * d + j];
  }
  const label = new Int32Array(n);
  for (let iteration = 0; iteration < 30; iteration++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const e = dist2(i, c);
        if (e < bestD) {
          bestD = e;
          best = c;
        }
      }
      if (label[i] !== best || iteration === 0) moved++;
      label[i] = best;
    }
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[label[i]]++;
      for (let j = 0; j < d; j++) sums[label[i] * d + j] += rows[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its centre
      for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j] / counts[c];
    }
    if (moved === 0) break;
  }
  const counts = new Float64Array(k);
  const squares = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    counts[label[i]]++;
    for (let j = 0; j < d; j++)
      squares[label[i] * d + j] += (rows[i * d + j] - centres[label[i] * d + j]) ** 2;
  }
  const mixture: Mixture = { weights: [], means: [], stds: [] };
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) continue;
    mixture.weights.push(counts[c] / n);
    mixture.means.push(Array.from(centres.subarray(c * d, (c + 1) * d)));
    mixture.stds.push(
      Array.from({ length: d }, (_, j) => Math.max(1e-3, Math.sqrt(squares[c * d + j] / counts[c]))),
    );
  }
  return mixture;
}

/** One draw: a component by weight, then its Gaussian with the spread scaled by `temperature`. */
export function drawFromMixture(mixture: Mixture, rng: SeededRandom, temperature = 1): Float32Array {
  let pick = rng.next();
  let c = 0;
  while (c < mixture.weights.length - 1 && pick >= mixture.weights[c]) pick -= mixture.weights[c++];
  const mean = mixture.means[c];
  const std = mixture.stds[c];
  return Float32Array.from(mean, (m, j) => m + temperature * std[j] * rng.normal());
}
