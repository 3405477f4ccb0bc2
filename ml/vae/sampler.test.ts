import { describe, expect, it } from 'vitest';
import { GENERATED_SOUND } from '../../common/api.js';
import { SeededRandom } from '../random.js';
import { DEFAULT_MATERIAL_DB, materialLoudness, Sampler } from './sampler.js';
import type { VaeModel } from './vae-model.js';

/** A stand-in model: two latent dimensions, stored latents of two sources moving in known ways. */
function fakeModel(options: { latents?: boolean; posterior?: boolean; level?: number } = {}): VaeModel {
  const d = 2;
  // Source a: frames walking right along x at y = 0; source b: walking up along y at x = 10.
  const a = Array.from({ length: 10 }, (_, i) => [i, 0]);
  const b = Array.from({ length: 5 }, (_, i) => [10, i]);
  const latents = Float32Array.from([...a, ...b].flat());
  return {
    latent: d,
    latents: options.latents === false ? null : latents,
    studio: {
      frames: { sampleRate: 22050, hop: 128, windowSize: 512, bins: 256, floorDb: -80 },
      pca: {
        mean: [5, 1],
        components: [
          [1, 0],
          [0, 1],
        ],
        std: [3, 1.5],
        explainedVariance: [9, 2.25],
      },
      ...(options.posterior === false
        ? {}
        : {
            posterior: {
              weights: [0.5, 0.5],
              means: [
                [2, 0],
                [10, 2],
              ],
              stds: [
                [0.1, 0.1],
                [0.1, 0.1],
              ],
            },
          }),
      ...(options.level !== undefined ? { level: { loudnessDb: options.level } } : {}),
      ...(options.latents === false
        ? {}
        : {
            latents: {
              file: 'latents.bin',
              frames: 15,
              segments: [
                { source: 'a', start: 0, length: 10 },
                { source: 'b', start: 10, length: 5 },
              ],
            },
          }),
    },
  } as unknown as VaeModel;
}

const rows = (t: Float32Array, d = 2) =>
  Array.from({ length: t.length / d }, (_, f) => Array.from(t.subarray(f * d, f * d + d)));

describe('the sampler', () => {
  it("borrows the nearest stretch's motion, re-centred on the point, turning back at the source's end", () => {
    const s = new Sampler(fakeModel());
    // Nearest stored frame to (7.2, 0.5) is a[7] = (7, 0): the walk goes 7, 8, 9, then back 8, 7 ...
    const t = rows(s.around(Float32Array.from([7.2, 0.5]), 6));
    const expected = [7, 8, 9, 8, 7, 6].map((x) => [x + 0.2, 0.5]);
    t.forEach((r, i) => {
      expect(r[0]).toBeCloseTo(expected[i][0], 5);
      expect(r[1]).toBeCloseTo(expected[i][1], 5);
    });
    // Near source b, it moves as b does (up), not as a.
    const up = rows(s.around(Float32Array.from([10.3, 1]), 3));
    expect(up.map((r) => r[1])).toEqual([1, 2, 3].map((v) => expect.closeTo(v, 5)));
    expect(up.every((r) => Math.abs(r[0] - 10.3) < 1e-5)).toBe(true);
  });

  it('keeps only the map-plane offset for a map point', () => {
    const model = fakeModel();
    // Map plane: the x axis only.
    (model.studio.pca.components as number[][])[1] = [0, 0];
    const t = rows(new Sampler(model).around(Float32Array.from([7.2, 0.5]), 2, { plane: true }));
    expect(t[0][0]).toBeCloseTo(7.2, 5);
    expect(t[0][1]).toBeCloseTo(0, 5); // y follows the real frame, not the point
  });

  it('holds a point when asked, and when the model has no stored latents', () => {
    for (const [model, motion] of [
      [fakeModel(), 'hold'],
      [fakeModel({ latents: false }), 'material'],
    ] as const) {
      const t = rows(new Sampler(model).around(Float32Array.from([3, 4]), 4, { motion }));
      expect(t).toEqual(Array(4).fill([3, 4]));
    }
  });

  it('draws random points where the material lies, repeatably for a seed; the prior on request', () => {
    const s = new Sampler(fakeModel());
    const a = s.random(8, { seed: 5 });
    const b = s.random(8, { seed: 5 });
    expect(Array.from(a.trajectory)).toEqual(Array.from(b.trajectory));
    expect(Array.from(s.random(8, { seed: 6 }).point)).not.toEqual(Array.from(a.point));
    const points = Array.from({ length: 200 }, (_, i) => s.draw(new SeededRandom(i)));
    // Every draw lies near one of the two components: none near the prior's centre (0, 0).
    expect(points.every((p) => Math.hypot(p[0] - 2, p[1]) < 1 || Math.hypot(p[0] - 10, p[1] - 2) < 1)).toBe(
      true,
    );
    const prior = Array.from({ length: 2000 }, (_, i) => s.draw(new SeededRandom(i), 2, 'prior'));
    const sd = Math.sqrt(prior.reduce((acc, p) => acc + p[0] ** 2, 0) / prior.length);
    expect(sd).toBeGreaterThan(1.85);
    expect(sd).toBeLessThan(2.15);
  });

  it("falls back to the PCA's Gaussian without a fitted mixture, and to a default loudness", () => {
    const model = fakeModel({ posterior: false });
    const spread = (temperature?: number) => {
      const points = Array.from({ length: 2000 }, (_, i) =>
        new Sampler(model).draw(new SeededRandom(i), temperature),
      );
      const mean = points.reduce((acc, p) => acc + p[0], 0) / points.length;
      return { mean, sd: Math.sqrt(points.reduce((acc, p) => acc + (p[0] - mean) ** 2, 0) / points.length) };
    };
    const { mean, sd } = spread(1);
    expect(mean).toBeCloseTo(5, 0);
    expect(sd).toBeGreaterThan(2.7);
    expect(sd).toBeLessThan(3.3);
    // Without a temperature, GENERATED_SOUND's: 0.7 of the material's spread.
    expect(spread().sd / sd).toBeCloseTo(GENERATED_SOUND.temperature, 1);
    expect(materialLoudness(model)).toBe(DEFAULT_MATERIAL_DB);
    expect(materialLoudness(fakeModel({ level: -17.5 }))).toBe(-17.5);
  });

  it('wanders: a random sound visits several places of the material, gliding between them', () => {
    const s = new Sampler(fakeModel());
    // 172 frames a second: a fresh point every 86 frames, a 21-frame glide.
    const t = rows(s.random(600, { seed: 3 }).trajectory);
    const steps = t.slice(1).map((r, f) => Math.hypot(r[0] - t[f][0], r[1] - t[f][1]));
    // The stored material moves one unit a frame; the clusters are 8 apart: glides, not jumps.
    expect(Math.max(...steps)).toBeLessThan(1.5);
    const nearB = t.filter((r) => r[0] > 8).length;
    const nearA = t.filter((r) => r[0] < 6).length;
    expect(nearA).toBeGreaterThan(50);
    expect(nearB).toBeGreaterThan(50);
  });

  it('finds the nearest stored frames, in latent space or on the map', () => {
    const model = fakeModel();
    const s = new Sampler(model);
    expect(s.nearestFrames(Float32Array.from([7.2, 0.5]), 3)).toEqual([7, 8, 6]);
    // On a map that sees only x, (9.9, 4) is nearest the frames at x = 10 (source b's), whatever its y.
    (model.studio.pca.components as number[][])[1] = [0, 0];
    const onMap = s.nearestFrames(Float32Array.from([9.9, 40]), 5, true);
    expect(onMap.every((i) => i >= 10)).toBe(true);
    // A held map point wanders among its nearest frames, still gliding.
    const t = rows(s.around(Float32Array.from([3, 0]), 400, { plane: true, wander: true, seed: 2 }));
    const steps = t.slice(1).map((r, f) => Math.hypot(r[0] - t[f][0], r[1] - t[f][1]));
    // The material moves a unit a frame; a glide between two stretches adds at most about as much.
    expect(Math.max(...steps)).toBeLessThan(2.5);
  });
});
