import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { drawFromMixture, fitMixture } from './posterior.js';

/** n points around each centre, spread `s`. */
function clusters(centres: number[][], n: number, s: number, seed = 1): Float32Array {
  const rng = new SeededRandom(seed);
  const d = centres[0].length;
  const out = new Float32Array(centres.length * n * d);
  let k = 0;
  for (const c of centres)
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[k++] = c[j] + s * rng.normal();
  return out;
}

describe('the aggregate posterior mixture', () => {
  it('finds separated clusters, their spread and their share', () => {
    const centres = [
      [-10, 0, 3],
      [10, 0, -3],
      [0, 12, 0],
    ];
    const rows = clusters(centres, 200, 0.5);
    const mix = fitMixture(rows, 3, 3, 7);
    expect(mix.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    for (const c of centres) {
      const found = mix.means.findIndex((m) => Math.hypot(...m.map((v, j) => v - c[j])) < 0.3);
      expect(found).toBeGreaterThanOrEqual(0);
      expect(mix.weights[found]).toBeCloseTo(1 / 3, 2);
      for (const s of mix.stds[found]) {
        expect(s).toBeGreaterThan(0.4);
        expect(s).toBeLessThan(0.6);
      }
    }
  });

  it('draws near the clusters, never between them, and is repeatable for a seed', () => {
    const rows = clusters(
      [
        [-10, 0],
        [10, 0],
      ],
      300,
      0.5,
    );
    const mix = fitMixture(rows, 2, 2, 3);
    const draws = Array.from({ length: 500 }, (_, i) => drawFromMixture(mix, new SeededRandom(i), 1));
    const between = draws.filter((z) => Math.abs(z[0]) < 5).length;
    expect(between).toBe(0);
    const left = draws.filter((z) => z[0] < 0).length;
    expect(left).toBeGreaterThan(200);
    expect(left).toBeLessThan(300);
    expect(Array.from(drawFromMixture(mix, new SeededRandom(9), 1))).toEqual(
      Array.from(drawFromMixture(mix, new SeededRandom(9), 1)),
    );
    // Temperature 0: a component's centre.
    const centre = drawFromMixture(mix, new SeededRandom(4), 0);
    expect(mix.means.some((m) => m.every((v, j) => Math.abs(v - centre[j]) < 1e-5))).toBe(true);
  });
});
