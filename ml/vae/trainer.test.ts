import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { splitCorpus } from './corpus.js';
import {
  bumpFrames,
  maxAbsDiff,
  reportNumbers,
  sameValues,
  snapshot,
  tinyConfig,
  tinyCorpus,
} from './testing.js';
import {
  ACTIVE_UNIT_THRESHOLD,
  DEFAULT_TRAIN_CONFIG,
  type EpochReport,
  MIXED_WEIGHT,
  mixedLoss,
  NonFiniteLossError,
  type TrainConfig,
  Trainer,
} from './trainer.js';

beforeAll(async () => {
  // wasm: deterministic on one thread, and ten times the cpu backend's speed for these sizes.
  await initBackend('wasm');
});

/** Trainers made by a test, disposed after it whatever happens. */
const live: Trainer[] = [];
function trainer(config: Partial<TrainConfig> = {}, corpus = tinyCorpus()): Trainer {
  const t = new Trainer(tinyConfig(config), corpus);
  live.push(t);
  return t;
}
afterEach(() => {
  live.splice(0).forEach((t) => t.dispose());
});

/** Mean binary entropy (nats, summed over bins) of some frames: the floor of their BCE. */
function entropy(frames: Float32Array, bins: number, indices: Int32Array): number {
  let sum = 0;
  for (const i of indices) {
    for (let k = 0; k < bins; k++) {
      const x = frames[i * bins + k];
      if (x > 0 && x < 1) sum -= x * Math.log(x) + (1 - x) * Math.log(1 - x);
    }
  }
  return sum / indices.length;
}

async function train(t: Trainer, epochs: number): Promise<EpochReport[]> {
  const reports: EpochReport[] = [];
  for (let e = 0; e < epochs; e++) {
    const r = await t.runEpoch();
    if (!r) throw new Error('runEpoch stopped unexpectedly');
    reports.push(r);
  }
  return reports;
}

describe('Trainer', () => {
  it('has defaults inside the documented ranges', () => {
    expect(DEFAULT_TRAIN_CONFIG).toMatchObject({ preset: 'compact', latent: 16, epochs: 85, loss: 'mixed' });
    expect(DEFAULT_TRAIN_CONFIG.beta).toBeGreaterThan(0);
    expect(DEFAULT_TRAIN_CONFIG.warmupEpochs).toBeGreaterThanOrEqual(0);
    expect(DEFAULT_TRAIN_CONFIG.freeBits).toBeGreaterThanOrEqual(0);
    expect(Object.isFrozen(DEFAULT_TRAIN_CONFIG)).toBe(true);
  });

  it('weighs an error in a loud bin above the same dB error in a quiet one (the mixed loss)', () => {
    const x = tf.tensor2d([[1, 0.25]]);
    const loudOff = tf.tensor2d([[0.9, 0.25]]);
    const quietOff = tf.tensor2d([[1, 0.15]]);
    const [same, loud, quiet] = [x, loudOff, quietOff].map((y) => mixedLoss(y, x).dataSync()[0]);
    expect(same).toBe(0);
    // Both are 0.1 (8 dB) off; near the peak that is a large error in magnitude, 60 dB down a tiny one.
    expect(quiet).toBeCloseTo(0.01, 4);
    expect(loud).toBeGreaterThan(0.01 + MIXED_WEIGHT * 0.3);
    tf.dispose([x, loudOff, quietOff]);
  });

  it('refuses a bad latent size, batch size or an empty training set', () => {
    const corpus = tinyCorpus();
    expect(() => new Trainer(tinyConfig({ latent: 1 }), corpus)).toThrow(/latent size/);
    expect(() => new Trainer(tinyConfig({ latent: 65 }), corpus)).toThrow(/latent size/);
    expect(() => new Trainer(tinyConfig({ batch: 0 }), corpus)).toThrow(/batch/);
    expect(() => new Trainer(tinyConfig({ batch: 2.5 }), corpus)).toThrow(/batch/);
    const empty = splitCorpus([], 32, 1);
    expect(() => new Trainer(tinyConfig(), empty)).toThrow(/no training frames/);
  });

  it('learns: reconstruction falls epoch by epoch, on training and held-out frames', async () => {
    const t = trainer({ epochs: 6, learningRate: 3e-3 });
    const reports = await train(t, 6);
    // Binary cross-entropy cannot fall below the frames' own entropy: measure what is above it.
    const excess = (rec: number, frames: Int32Array) => rec - entropy(t.corpus.frames, 32, frames);
    const rec = reports.map((r) => excess(r.reconstruction, t.corpus.train));
    for (let i = 1; i < rec.length; i++) expect(rec[i]).toBeLessThan(rec[i - 1]);
    expect(rec[5]).toBeLessThan(0.4 * rec[0]);
    const held = reports.map((r) => excess(r.heldOut!.reconstruction, t.corpus.heldOut));
    expect(held[5]).toBeLessThan(0.6 * held[0]);
    expect(Math.min(...held)).toBeGreaterThan(0);
  });

  it('reports every documented figure, consistently', async () => {
    const t = trainer({ epochs: 3, latent: 4 });
    const reports = await train(t, 3);
    expect(t.epoch).toBe(3);
    expect(t.history).toEqual(reports);
    reports.forEach((r, i) => {
      expect(r.epoch).toBe(i + 1);
      expect(r.epochs).toBe(3);
      expect(r.beta).toBe(t.betaAt(i + 1));
      expect(r.klPerDim).toHaveLength(4);
      r.klPerDim.forEach((k) => expect(k).toBeGreaterThanOrEqual(0));
      expect(r.kl).toBeCloseTo(
        r.klPerDim.reduce((s, v) => s + v, 0),
        10,
      );
      expect(r.reconstruction).toBeGreaterThan(0);
      expect(r.elbo).toBe(-(r.reconstruction + r.kl));
      expect(r.loss).toBeCloseTo(r.reconstruction + r.beta * r.kl, 10);
      expect(r.heldOut).not.toBeNull();
      const h = r.heldOut!;
      expect(h.reconstruction).toBeGreaterThan(0);
      expect(h.kl).toBeGreaterThanOrEqual(0);
      expect(h.elbo).toBe(-(h.reconstruction + h.kl));
      expect(Number.isInteger(r.activeUnits)).toBe(true);
      expect(r.activeUnits).toBeGreaterThanOrEqual(0);
      expect(r.activeUnits).toBeLessThanOrEqual(4);
      expect(r.framesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(r.framesPerSecond)).toBe(true);
      expect(r.seconds).toBeGreaterThan(0);
      // Training frames only: the epoch took at least as long as its training batches.
      expect(r.framesPerSecond).toBeGreaterThanOrEqual(t.corpus.train.length / r.seconds);
      expect(r.etaSeconds).toBeCloseTo((3 - r.epoch) * r.seconds, 10);
    });
    expect(reports[0].etaSeconds).toBeGreaterThan(0);
    expect(reports[2].etaSeconds).toBe(0);
  });

  it('has no held-out figures when no source is long enough to hold frames out', async () => {
    const bins = 32;
    const corpus = splitCorpus(
      [
        { name: 'a.wav', frames: bumpFrames(9, bins, 1) },
        { name: 'b.wav', frames: bumpFrames(9, bins, 2) },
      ],
      bins,
      1,
    );
    expect(corpus.heldOut).toHaveLength(0);
    const [r] = await train(trainer({ epochs: 1 }, corpus), 1);
    expect(r.heldOut).toBeNull();
    expect(Number.isFinite(r.reconstruction)).toBe(true);
  });

  it('evaluate() and latentMeans() report on the frames asked for', async () => {
    const t = trainer({ latent: 2 });
    await train(t, 1);
    const held = await t.evaluate(t.corpus.heldOut);
    expect(held.klPerDim).toHaveLength(2);
    expect(held.kl).toBeCloseTo(held.klPerDim[0] + held.klPerDim[1], 10);
    // Seeded: the same frames give the same figures.
    expect(await t.evaluate(t.corpus.heldOut)).toEqual(held);
    const all = await t.latentMeans();
    const frames = t.corpus.frames.length / t.corpus.bins;
    expect(all).toHaveLength(frames * 2);
    const some = await t.latentMeans(Int32Array.from([5, 100]));
    expect(Array.from(some)).toEqual([all[10], all[11], all[200], all[201]]);
  });

  it('keeps the tensor count flat from epoch to epoch and releases everything on dispose()', async () => {
    const before = tf.memory().numTensors;
    const t = new Trainer(tinyConfig({ epochs: 4 }), tinyCorpus());
    try {
      await t.runEpoch();
      const steady = tf.memory().numTensors;
      for (let e = 0; e < 3; e++) {
        await t.runEpoch();
        expect(tf.memory().numTensors).toBe(steady);
      }
      await t.evaluate(t.corpus.heldOut);
      await t.latentMeans();
      await t.activeUnits();
      expect(tf.memory().numTensors).toBe(steady);
    } finally {
      t.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    t.dispose(); // twice is harmless
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeats exactly with the same seed and differs with another', async () => {
    const run = async (seed: number) => {
      const t = trainer({ seed, epochs: 2 });
      const reports = await train(t, 2);
      return { reports: reports.map(reportNumbers), weights: snapshot(t.variables) };
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(b.reports).toEqual(a.reports);
    expect(sameValues(a.weights, b.weights)).toBe(true);
    expect(c.reports[1].reconstruction).not.toBe(a.reports[1].reconstruction);
    expect(maxAbsDiff(a.weights, c.weights)).toBeGreaterThan(1e-3);
  });

  describe('KL warm-up', () => {
    it('ramps beta linearly from 0 to its full value over warmupEpochs', () => {
      const t = trainer({ beta: 0.5, warmupEpochs: 4 });
      expect(t.betaAt(0)).toBe(0);
      expect(t.betaAt(1)).toBeCloseTo(0.125, 12);
      expect(t.betaAt(2)).toBeCloseTo(0.25, 12);
      expect(t.betaAt(3.5)).toBeCloseTo(0.4375, 12);
      expect(t.betaAt(4)).toBe(0.5);
      expect(t.betaAt(10)).toBe(0.5);
      const noWarmup = trainer({ beta: 0.5, warmupEpochs: 0 });
      expect(noWarmup.betaAt(0)).toBe(0.5);
      expect(noWarmup.betaAt(3)).toBe(0.5);
    });

    it('reports the beta of the end of each epoch', async () => {
      const reports = await train(trainer({ beta: 0.2, warmupEpochs: 2, epochs: 3 }), 3);
      expect(reports.map((r) => r.beta)).toEqual([0.1, 0.2, 0.2]);
    });

    it('trains the first batches of epoch 1 on reconstruction alone', async () => {
      // One batch per epoch: the whole of epoch 1 sees beta = betaAt(0) = 0, whatever beta is.
      const corpus = tinyCorpus({ counts: [40] });
      const big = trainer({ beta: 100, warmupEpochs: 3, batch: 64 }, corpus);
      const none = trainer({ beta: 0, warmupEpochs: 3, batch: 64 }, corpus);
      await train(big, 1);
      await train(none, 1);
      expect(sameValues(snapshot(big.variables), snapshot(none.variables))).toBe(true);
      // From epoch 2 on the KL term counts.
      await train(big, 1);
      await train(none, 1);
      expect(maxAbsDiff(snapshot(big.variables), snapshot(none.variables))).toBeGreaterThan(0);
    });
  });

  describe('free bits', () => {
    it('stop the KL term pulling dimensions under the floor: the gradient is reconstruction alone', async () => {
      const heavy = { beta: 50, warmupEpochs: 0, latent: 4, epochs: 3 };
      const floored = trainer({ ...heavy, freeBits: 1000 });
      const plain = trainer({ ...heavy, freeBits: 0 });
      const noKl = trainer({ ...heavy, beta: 0 });
      const [f, p, n] = [await train(floored, 3), await train(plain, 3), await train(noKl, 3)];
      // Every dimension's KL is far below 1000 nats, so max(KL_d, 1000) is constant: same steps as beta = 0.
      expect(sameValues(snapshot(floored.variables), snapshot(noKl.variables))).toBe(true);
      expect(f.map((r) => r.reconstruction)).toEqual(n.map((r) => r.reconstruction));
      // Without the floor the same heavy beta crushes the KL and with it the active units.
      expect(p[2].kl).toBeLessThan(0.1 * f[2].kl);
      expect(p[2].activeUnits).toBe(0);
      expect(f[2].activeUnits).toBeGreaterThanOrEqual(2);
    });
  });

  describe('cancel', () => {
    it('stops at the next batch: runEpoch returns null and the epoch does not advance', async () => {
      const t = trainer();
      await train(t, 1);
      const steady = tf.memory().numTensors;
      let asked = 0;
      const done: number[] = [];
      const r = await t.runEpoch({
        shouldStop: () => ++asked > 3,
        onBatch: (d, total) => {
          done.push(d);
          expect(total).toBe(Math.ceil(t.corpus.train.length / 32));
        },
      });
      expect(r).toBeNull();
      expect(done).toEqual([1, 2, 3]);
      expect(t.epoch).toBe(1);
      expect(t.history).toHaveLength(1);
      expect(tf.memory().numTensors).toBe(steady);
    });

    it('stopping before the first batch changes no weight', async () => {
      const t = trainer();
      const before = snapshot(t.variables);
      expect(await t.runEpoch({ shouldStop: () => true })).toBeNull();
      expect(t.epoch).toBe(0);
      expect(sameValues(snapshot(t.variables), before)).toBe(true);
    });
  });

  describe('non-finite loss', () => {
    it('throws NonFiniteLossError when a weight is NaN, without advancing the epoch or leaking', async () => {
      const t = trainer();
      await train(t, 1);
      const steady = tf.memory().numTensors;
      const layer = t.encoder.layers[0];
      const [kernel, bias] = layer.getWeights();
      const poisoned = tf.tidy(() => tf.add(kernel, tf.scalar(NaN)));
      layer.setWeights([poisoned, bias]);
      poisoned.dispose();
      const err = await t.runEpoch().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonFiniteLossError);
      expect((err as Error).name).toBe('NonFiniteLossError');
      expect((err as Error).message).toMatch(/epoch 2/);
      expect(t.epoch).toBe(1);
      expect(t.history).toHaveLength(1);
      expect(tf.memory().numTensors).toBe(steady);
    });

    it('throws on an infinite loss too', async () => {
      const t = trainer();
      const layer = t.decoder.layers[t.decoder.layers.length - 2];
      const [kernel, bias] = layer.getWeights();
      const huge = tf.tidy(() => tf.add(bias, tf.scalar(Infinity)));
      layer.setWeights([kernel, huge]);
      huge.dispose();
      await expect(t.runEpoch()).rejects.toThrow(NonFiniteLossError);
      expect(t.epoch).toBe(0);
    });
  });

  describe('active units', () => {
    it('a heavy beta collapses the posterior to no active unit', async () => {
      const t = trainer({ beta: 50, warmupEpochs: 0, latent: 4 });
      const reports = await train(t, 3);
      expect(reports[2].activeUnits).toBe(0);
      expect(await t.activeUnits()).toBe(0);
      expect(reports[2].kl).toBeLessThan(0.5);
    });

    it('a tiny beta keeps several units active', async () => {
      const t = trainer({ beta: 1e-4, warmupEpochs: 0, latent: 4 });
      const reports = await train(t, 3);
      expect(reports[2].activeUnits).toBeGreaterThanOrEqual(2);
      // By definition: the variance over the data of each posterior mean.
      const means = await t.latentMeans();
      const n = means.length / 4;
      let active = 0;
      for (let j = 0; j < 4; j++) {
        let sum = 0;
        let sq = 0;
        for (let i = 0; i < n; i++) {
          sum += means[i * 4 + j];
          sq += means[i * 4 + j] ** 2;
        }
        if (sq / n - (sum / n) ** 2 > ACTIVE_UNIT_THRESHOLD) active++;
      }
      expect(reports[2].activeUnits).toBe(active);
    });
  });

  it('trains with the MSE loss too', async () => {
    const reports = await train(trainer({ loss: 'mse', learningRate: 3e-3 }), 3);
    expect(reports[2].reconstruction).toBeLessThan(reports[0].reconstruction);
    // Summed squared error over 32 bins of values in [0, 1].
    expect(reports[0].reconstruction).toBeLessThan(32);
  });
});
