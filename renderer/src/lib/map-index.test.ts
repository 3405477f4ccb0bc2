import { describe, expect, it } from 'vitest';
import { PointIndex } from './map-index.js';

/** The nearest point by looking at all of them (lowest index on a tie). */
function bruteNearest(xs: Float32Array, ys: Float32Array, x: number, y: number, radius = Infinity): number {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] - x) ** 2 + (ys[i] - y) ** 2;
    if (d < bestD || (d === bestD && best < 0)) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

function cloud(n: number, seed: number): [Float32Array, Float32Array] {
  let s = seed;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Clusters of very different density, as a map's sources are.
    const c = i % 3;
    xs[i] = c * 5 + (rand() - 0.5) * (c + 0.2) * 3;
    ys[i] = c * -2 + (rand() - 0.5) * (c + 0.2);
  }
  return [xs, ys];
}

describe('point index', () => {
  it('finds the same nearest point as a full search, inside and outside the cloud, with and without a radius', () => {
    const [xs, ys] = cloud(20_000, 7);
    const index = new PointIndex(xs, ys);
    let s = 99;
    const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (let q = 0; q < 500; q++) {
      const x = -8 + rand() * 28;
      const y = -10 + rand() * 14;
      const radius = q % 2 ? 0.05 + rand() * 0.5 : Infinity;
      const got = index.nearest(x, y, radius);
      const want = bruteNearest(xs, ys, x, y, radius);
      if (got !== want) {
        // Ties at equal distance may pick another index; the distance must still be the least.
        const d = (i: number) => (i < 0 ? Infinity : (xs[i] - x) ** 2 + (ys[i] - y) ** 2);
        expect(d(got)).toBe(d(want));
      }
    }
  });

  it('answers -1 when nothing is within the radius, and copes with one point, none, and all in one place', () => {
    const xs = Float32Array.of(0, 1, 5);
    const ys = Float32Array.of(0, 1, 5);
    const index = new PointIndex(xs, ys);
    expect(index.nearest(0.9, 0.8)).toBe(1);
    expect(index.nearest(3, 3, 0.5)).toBe(-1);
    expect(new PointIndex(Float32Array.of(2), Float32Array.of(3)).nearest(100, -100)).toBe(0);
    expect(new PointIndex(new Float32Array(0), new Float32Array(0)).nearest(0, 0)).toBe(-1);
    const same = new PointIndex(new Float32Array(50).fill(1), new Float32Array(50).fill(1));
    expect(same.nearest(0, 0)).toBeGreaterThanOrEqual(0);
  });

  it('answers a query among 200,000 points far faster than a full search', () => {
    const [xs, ys] = cloud(200_000, 3);
    const index = new PointIndex(xs, ys);
    const t0 = performance.now();
    for (let q = 0; q < 2_000; q++) index.nearest((q % 40) * 0.4, -(q % 13) * 0.5, 0.2);
    const indexed = performance.now() - t0;
    const t1 = performance.now();
    for (let q = 0; q < 20; q++) bruteNearest(xs, ys, (q % 40) * 0.4, -(q % 13) * 0.5, 0.2);
    const full = ((performance.now() - t1) / 20) * 2_000;
    expect(indexed).toBeLessThan(full / 10);
  });
});
