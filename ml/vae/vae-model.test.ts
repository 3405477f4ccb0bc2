import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { saveModelFolder } from './folder.js';
import { bumpFrames, tempDir, tinyModelFiles } from './testing.js';
import { VaeModel, blend, stretchTrajectory } from './vae-model.js';

const BINS = 256;
const LATENT = 3;
/** Frames a second at the default settings (22050 Hz, hop 128). */
const FPS = 22050 / 128;

beforeAll(async () => {
  await initBackend('wasm');
});

const live: VaeModel[] = [];
function model(latent = LATENT, seed = 11): VaeModel {
  const m = new VaeModel(tinyModelFiles(latent, seed));
  live.push(m);
  return m;
}
afterEach(() => {
  live.splice(0).forEach((m) => m.dispose());
});

/** Largest distance between consecutive rows of a trajectory. */
function maxStep(rows: Float32Array, d: number): number {
  let m = 0;
  for (let i = d; i < rows.length; i += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (rows[i + j] - rows[i - d + j]) ** 2;
    m = Math.max(m, Math.sqrt(s));
  }
  return m;
}

describe('VaeModel', () => {
  it('encodes frames to a posterior mean and a positive deviation per dimension', () => {
    const m = model();
    expect(m.latent).toBe(LATENT);
    expect(m.bins).toBe(BINS);
    const { mu, sigma } = m.encode(bumpFrames(10, BINS, 1));
    expect(mu).toHaveLength(10 * LATENT);
    expect(sigma).toHaveLength(10 * LATENT);
    mu.forEach((v) => expect(Number.isFinite(v)).toBe(true));
    sigma.forEach((v) => expect(v).toBeGreaterThan(0));
    // Different frames, different means.
    expect(Array.from(mu.subarray(0, LATENT))).not.toEqual(Array.from(mu.subarray(9 * LATENT)));
    const none = m.encode(new Float32Array(0));
    expect(none.mu).toHaveLength(0);
  });

  it('decodes latent vectors to frames in [0, 1]', () => {
    const m = model();
    const z = Float32Array.from({ length: 7 * LATENT }, (_, i) => 3 * Math.sin(1.7 * i));
    const frames = m.decode(z);
    expect(frames).toHaveLength(7 * BINS);
    frames.forEach((v) => expect(v >= 0 && v <= 1).toBe(true));
    // Far from the origin, the sigmoid saturates but stays inside [0, 1].
    m.decode(Float32Array.from({ length: LATENT }, () => 1e4)).forEach((v) =>
      expect(v >= 0 && v <= 1).toBe(true),
    );
  });

  it('refuses arrays that are not whole rows', () => {
    const m = model();
    expect(() => m.encode(new Float32Array(BINS + 1))).toThrow(RangeError);
    expect(() => m.decode(new Float32Array(LATENT + 1))).toThrow(RangeError);
  });

  it('gives each row the same result whatever the batch, across the 4096-row chunks', () => {
    const m = model(2);
    const n = 4100;
    const z = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(0.37 * i) * 2);
    const all = m.decode(z);
    for (const row of [0, 4095, 4096, 4099]) {
      const one = m.decode(z.slice(row * 2, row * 2 + 2));
      const inBatch = all.subarray(row * BINS, (row + 1) * BINS);
      one.forEach((v, k) => expect(inBatch[k]).toBeCloseTo(v, 5));
    }
    const frames = new Float32Array(n * BINS);
    for (let i = 0; i < n; i++) frames.set(bumpFrames(1, BINS, i), i * BINS);
    const { mu } = m.encode(frames);
    for (const row of [0, 4095, 4096, 4099]) {
      const one = m.encode(frames.slice(row * BINS, (row + 1) * BINS)).mu;
      expect(mu[row * 2]).toBeCloseTo(one[0], 4);
      expect(mu[row * 2 + 1]).toBeCloseTo(one[1], 4);
    }
  });

  it('leaves the tensor count unchanged after encode and decode, and releases everything on dispose', () => {
    const before = tf.memory().numTensors;
    const m = new VaeModel(tinyModelFiles());
    const loaded = tf.memory().numTensors;
    expect(loaded).toBeGreaterThan(before);
    m.encode(bumpFrames(5, BINS, 2));
    m.decode(new Float32Array(5 * LATENT));
    m.sampleTrajectory(10, { framesPerSecond: FPS });
    expect(tf.memory().numTensors).toBe(loaded);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.encode(bumpFrames(1, BINS, 1))).toThrow(/disposed/);
    expect(() => m.decode(new Float32Array(LATENT))).toThrow(/disposed/);
  });

  it('loads from a model folder and predicts as the saved networks did', async () => {
    const { dir, remove } = await tempDir('vae-model-');
    try {
      const files = tinyModelFiles(LATENT, 5);
      const original = new VaeModel(files);
      live.push(original);
      await saveModelFolder(join(dir, 'model'), files);
      const loaded = await VaeModel.load(join(dir, 'model'));
      live.push(loaded);
      expect(loaded.studio).toEqual(files.studio);
      const frames = bumpFrames(4, BINS, 9);
      expect(loaded.encode(frames)).toEqual(original.encode(frames));
      const z = Float32Array.from({ length: 4 * LATENT }, (_, i) => i / 5 - 1);
      expect(loaded.decode(z)).toEqual(original.decode(z));
    } finally {
      await remove();
    }
  });

  it('maps points through studio.json’s PCA', () => {
    const m = model();
    // tinyStudio's PCA: zero mean, unit axes.
    expect(Array.from(m.mapPointToLatent(1.5, -2))).toEqual([1.5, -2, 0]);
    expect(m.latentToMapPoint([0.25, 4, 9])).toEqual([0.25, 4]);
  });

  describe('sampleTrajectory', () => {
    it('is seeded: the same seed gives the same walk, another seed another', () => {
      const m = model();
      const a = m.sampleTrajectory(300, { seed: 4, framesPerSecond: FPS });
      expect(a).toHaveLength(300 * LATENT);
      expect(m.sampleTrajectory(300, { seed: 4, framesPerSecond: FPS })).toEqual(a);
      expect(m.sampleTrajectory(300, { seed: 5, framesPerSecond: FPS })).not.toEqual(a);
      // It depends on the seed only, not on the networks.
      expect(model(LATENT, 99).sampleTrajectory(300, { seed: 4, framesPerSecond: FPS })).toEqual(a);
    });

    it('motion 0 holds one point', () => {
      const m = model();
      const held = m.sampleTrajectory(200, { motion: 0, seed: 2, framesPerSecond: FPS });
      const first = Array.from(held.subarray(0, LATENT));
      expect(first.some((v) => v !== 0)).toBe(true);
      for (let f = 1; f < 200; f++)
        expect(Array.from(held.subarray(f * LATENT, (f + 1) * LATENT))).toEqual(first);
      // The held point is where a moving walk with the same seed starts.
      const moving = m.sampleTrajectory(200, { motion: 1, seed: 2, framesPerSecond: FPS });
      expect(Array.from(moving.subarray(0, LATENT))).toEqual(first);
    });

    it('temperature scales the walk: 0 is the origin, 2 doubles it', () => {
      const m = model();
      const zero = m.sampleTrajectory(100, { temperature: 0, seed: 3, framesPerSecond: FPS });
      zero.forEach((v) => expect(Math.abs(v)).toBe(0));
      const one = m.sampleTrajectory(100, { temperature: 1, seed: 3, framesPerSecond: FPS });
      const two = m.sampleTrajectory(100, { temperature: 2, seed: 3, framesPerSecond: FPS });
      two.forEach((v, i) => expect(v).toBe(2 * one[i]));
    });

    it('draws its points from the prior N(0, T²)', () => {
      const m = model();
      const values: number[] = [];
      for (let seed = 0; seed < 400; seed++)
        values.push(...m.sampleTrajectory(1, { temperature: 0.5, motion: 0, seed, framesPerSecond: FPS }));
      const mean = values.reduce((a, b) => a + b) / values.length;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
      expect(Math.abs(mean)).toBeLessThan(0.05);
      expect(std).toBeCloseTo(0.5, 1);
    });

    it('is smooth: small steps from frame to frame, and it passes through its control points', () => {
      const m = model();
      // 100 frames a second, 2 points a second: a new control point every 50 frames.
      const walk = m.sampleTrajectory(501, { motion: 2, seed: 8, framesPerSecond: 100 });
      let lo = Infinity;
      let hi = -Infinity;
      walk.forEach((v) => {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      });
      expect(hi - lo).toBeGreaterThan(1);
      // A raised-cosine glide over 50 frames moves at most π/100 of its distance a frame.
      expect(maxStep(walk, LATENT)).toBeLessThan((Math.PI / 100) * (hi - lo) * Math.sqrt(LATENT));
      expect(maxStep(walk, LATENT)).toBeLessThan(0.2);
      // The glide starts and ends at rest: the steps around a control point are tiny.
      const step = (f: number) => maxStep(walk.slice((f - 1) * LATENT, (f + 1) * LATENT), LATENT);
      for (const f of [50, 100, 150, 200]) expect(step(f)).toBeLessThan(0.2 * step(f - 25));
      // Over a faster walk the steps are larger, but still continuous.
      const fast = m.sampleTrajectory(501, { motion: 20, seed: 8, framesPerSecond: 100 });
      expect(maxStep(fast, LATENT)).toBeGreaterThan(maxStep(walk, LATENT));
    });

    it('holds no frames when asked for none', () => {
      expect(model().sampleTrajectory(0, { framesPerSecond: FPS })).toHaveLength(0);
    });
  });
});

describe('stretchTrajectory', () => {
  // 5 rows of 2: row r is (r, 10·r).
  const rows = Float32Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? i / 2 : 5 * (i - 1)));

  it('keeps both ends and interpolates linearly in between', () => {
    const out = stretchTrajectory(rows, 2, 9);
    expect(out).toHaveLength(18);
    expect(Array.from(out)).toEqual([0, 0, 0.5, 5, 1, 10, 1.5, 15, 2, 20, 2.5, 25, 3, 30, 3.5, 35, 4, 40]);
  });

  it('shrinks by sampling the same line', () => {
    const long = Float32Array.from({ length: 9 }, (_, i) => i * i);
    expect(Array.from(stretchTrajectory(long, 1, 3))).toEqual([0, 16, 64]);
    const out = stretchTrajectory(long, 1, 4);
    expect(out[0]).toBe(0);
    expect(out[3]).toBe(64);
    // Row 1 sits at 8/3 = 2.67 rows: between 4 and 9.
    expect(out[1]).toBeCloseTo(4 + (2 / 3) * 5, 5);
  });

  it('returns the rows unchanged at their own length, and repeats a single row', () => {
    expect(stretchTrajectory(rows, 2, 5)).toEqual(rows);
    const single = Float32Array.from([7, -3]);
    expect(Array.from(stretchTrajectory(single, 2, 4))).toEqual([7, -3, 7, -3, 7, -3, 7, -3]);
    expect(Array.from(stretchTrajectory(rows, 2, 1))).toEqual([0, 0]);
  });
});

describe('blend', () => {
  const a = Float32Array.from([1, -2, 3.5, 0]);
  const b = Float32Array.from([5, 2, -0.5, 8]);

  it('is A at 0 and B at 1', () => {
    expect(blend(a, b, 0)).toEqual(a);
    expect(blend(a, b, 1)).toEqual(b);
    expect(blend(a, b, 0)).not.toBe(a);
  });

  it('goes linearly from A to B', () => {
    expect(Array.from(blend(a, b, 0.5))).toEqual([3, 0, 1.5, 4]);
    expect(Array.from(blend(a, b, 0.25))).toEqual([2, -1, 2.5, 2]);
  });
});

afterAll(() => {
  live.splice(0).forEach((m) => m.dispose());
});
