import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Pca } from './folder.js';

/**
 * Principal components of row vectors (n × d, row-major): the mean, the axes by decreasing variance
 * (unit vectors, sign fixed so each axis's largest entry is positive, for stable maps), the standard
 * deviation along each, and the share of variance each explains.
 */
export function pca(rows: Float32Array, d: number, keep = d): Pca {
  const n = rows.length / d;
  if (!Number.isInteger(n) || n < 2)
    throw new RangeError(`PCA needs at least 2 rows of ${d}, got ${rows.length} values`);
  const mean = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j] / n;
  const cov = Matrix.zeros(d, d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = rows[i * d + a] - mean[a];
      for (let b = a; b < d; b++) cov.set(a, b, cov.get(a, b) + (da * (rows[i * d + b] - mean[b])) / (n - 1));
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov.set(a, b, cov.get(b, a));
  const eig = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((i, j) => values[j] - values[i]);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const components: number[][] = [];
  const std: number[] = [];
  const explainedVariance: number[] = [];
  for (const i of order.slice(0, keep)) {
    let axis = vectors.getColumn(i);
    const biggest = axis.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
    if (biggest < 0) axis = axis.map((v) => -v);
    components.push(axis);
    std.push(Math.sqrt(Math.max(0, values[i])));
    explainedVariance.push(total > 0 ? Math.max(0, values[i]) / total : 0);
  }
  return { mean, components, std, explainedVariance };
}

/** The latent vector of a map point: mean + p1·v1 + p2·v2 (every other component at the data mean). */
export function mapPointToLatent(p: Pca, p1: number, p2: number): Float32Array {
  const z = Float32Array.from(p.mean);
  for (let j = 0; j < z.length; j++) z[j] += p1 * p.components[0][j] + p2 * p.components[1][j];
  return z;
}

/** A latent vector's coordinates on the map (its projection on the first two axes around the mean). */
export function latentToMapPoint(p: Pca, z: ArrayLike<number>): [number, number] {
  let p1 = 0;
  let p2 = 0;
  for (let j = 0; j < p.mean.length; j++) {
    p1 += (z[j] - p.mean[j]) * p.components[0][j];
    p2 += (z[j] - p.mean[j]) * p.components[1][j];
  }
  return [p1, p2];
}
