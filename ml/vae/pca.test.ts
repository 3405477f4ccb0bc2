import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { latentToMapPoint, mapPointToLatent, pca } from './pca.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const unit = (v: number[]) => {
  const n = Math.sqrt(dot(v, v));
  return v.map((x) => x / n);
};

/** n points: mean + t·u + s·w + noise, with t ~ N(0, 3²), s ~ N(0, 1²), noise ~ N(0, 0.05²) per dimension. */
function cloud(n: number, mean: number[], u: number[], w: number[], seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const d = mean.length;
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const t = 3 * rng.normal();
    const s = rng.normal();
    for (let j = 0; j < d; j++) rows[i * d + j] = mean[j] + t * u[j] + s * w[j] + 0.05 * rng.normal();
  }
  return rows;
}

/** Sample standard deviation of the rows projected on an axis. */
function spread(rows: Float32Array, d: number, axis: number[]): number {
  const n = rows.length / d;
  const p = Array.from({ length: n }, (_, i) => dot(rows.subarray(i * d, (i + 1) * d), axis));
  const m = p.reduce((a, b) => a + b) / n;
  return Math.sqrt(p.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
}

describe('pca', () => {
  const d = 4;
  const mean = [1, -2, 0.5, 3];
  // The largest entry of u is negative: the sign rule must flip it.
  const u = unit([0.3, -2, 0.5, 1]);
  // w is orthogonal to u.
  const w = unit([2, 0.5, 0.8, 0]);
  const rows = cloud(2000, mean, u, w, 1);
  const p = pca(rows, d);

  it('finds the mean and the direction of most variance, largest entry positive', () => {
    expect(Math.abs(dot(u, w))).toBeLessThan(1e-12);
    p.mean.forEach((m, j) => expect(m).toBeCloseTo(mean[j], 1));
    expect(p.components).toHaveLength(d);
    const v1 = p.components[0];
    expect(dot(v1, u)).toBeCloseTo(-1, 3);
    // (Sampling correlates t and s a little, which turns the axis by about a degree.)
    v1.forEach((x, j) => expect(Math.abs(x + u[j])).toBeLessThan(0.03));
    expect(dot(p.components[1], w)).toBeCloseTo(1, 3);
    for (const axis of p.components) {
      const biggest = axis.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0);
      expect(biggest).toBeGreaterThan(0);
    }
  });

  it('gives orthonormal axes', () => {
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        expect(dot(p.components[a], p.components[b])).toBeCloseTo(a === b ? 1 : 0, 10);
  });

  it('gives the standard deviation along each axis and the share of variance it explains', () => {
    p.components.forEach((axis, i) => expect(p.std[i]).toBeCloseTo(spread(rows, d, axis), 6));
    expect(p.std[0]).toBeCloseTo(3, 0);
    expect(p.std[1]).toBeCloseTo(1, 0);
    expect(p.std[2]).toBeCloseTo(0.05, 1);
    for (let i = 1; i < d; i++) expect(p.std[i]).toBeLessThanOrEqual(p.std[i - 1]);
    const variance = p.std.map((s) => s * s);
    const total = variance.reduce((a, b) => a + b);
    p.explainedVariance.forEach((e, i) => expect(e).toBeCloseTo(variance[i] / total, 10));
    expect(p.explainedVariance.reduce((a, b) => a + b)).toBeCloseTo(1, 10);
    expect(p.explainedVariance[0]).toBeCloseTo(9 / (9 + 1 + 4 * 0.0025), 1);
  });

  it('keeps the strongest components when asked for fewer, shares still of the whole variance', () => {
    const two = pca(rows, d, 2);
    expect(two.components).toEqual(p.components.slice(0, 2));
    expect(two.std).toEqual(p.std.slice(0, 2));
    expect(two.explainedVariance).toEqual(p.explainedVariance.slice(0, 2));
    expect(two.explainedVariance[0] + two.explainedVariance[1]).toBeLessThan(1);
  });

  it('refuses fewer than two rows or a ragged array', () => {
    expect(() => pca(new Float32Array(4), 4)).toThrow(RangeError);
    expect(() => pca(new Float32Array(7), 4)).toThrow(RangeError);
  });

  it('gives zero spread and zero shares for identical rows', () => {
    const same = pca(Float32Array.from([1, 2, 1, 2, 1, 2]), 2);
    expect(same.mean).toEqual([1, 2]);
    expect(same.std).toEqual([0, 0]);
    expect(same.explainedVariance).toEqual([0, 0]);
  });
});

describe('map points', () => {
  const rows = cloud(500, [0.5, -1, 2], unit([1, 1, 0]), unit([1, -1, 0.5]), 2);
  const p = pca(rows, 3);

  it('the origin of the map is the data mean', () => {
    const z = mapPointToLatent(p, 0, 0);
    expect(z).toBeInstanceOf(Float32Array);
    Array.from(z).forEach((v, j) => expect(v).toBeCloseTo(p.mean[j], 6));
  });

  it('mapPointToLatent is mean + p1·v1 + p2·v2', () => {
    const z = mapPointToLatent(p, 1.5, -0.25);
    z.forEach((v, j) =>
      expect(v).toBeCloseTo(p.mean[j] + 1.5 * p.components[0][j] - 0.25 * p.components[1][j], 6),
    );
  });

  it('latentToMapPoint inverts mapPointToLatent', () => {
    for (const [p1, p2] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [-2.5, 3.25],
      [7, -0.001],
    ]) {
      const [q1, q2] = latentToMapPoint(p, mapPointToLatent(p, p1, p2));
      expect(q1).toBeCloseTo(p1, 5);
      expect(q2).toBeCloseTo(p2, 5);
    }
  });

  it('a latent vector in the plane maps back to itself; one off it to its projection', () => {
    const inPlane = mapPointToLatent(p, 0.7, -1.1);
    const back = mapPointToLatent(p, ...latentToMapPoint(p, inPlane));
    back.forEach((v, j) => expect(v).toBeCloseTo(inPlane[j], 5));
    // Moving along the third axis does not move the map point.
    const off = inPlane.map((v, j) => v + 0.8 * p.components[2][j]);
    const [o1, o2] = latentToMapPoint(p, off);
    expect(o1).toBeCloseTo(0.7, 5);
    expect(o2).toBeCloseTo(-1.1, 5);
  });
});
