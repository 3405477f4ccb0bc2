// Data-parallel training (data-parallel.ts, shard-worker.ts, shared-adam.ts). The helper threads run
// from dist/ (ml/worker-url.ts): rebuild after changing shard-worker.ts before running this alone.
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { restoreTrainer, saveCheckpoint } from './checkpoint.js';
import { DataParallel, MIN_SHARD_ROWS, shardOf, stretchOf, threadsFor } from './data-parallel.js';
import { adamConstants, adamRange, loadAdam, nextPowers, storeAdam } from './shared-adam.js';
import {
  maxAbsDiff,
  reportNumbers,
  sameValues,
  snapshot,
  tempDir,
  tinyConfig,
  tinyCorpus,
} from './testing.js';
import { type EpochReport, type TrainConfig, Trainer } from './trainer.js';

let dir = '';
let remove = async () => {};
beforeAll(async () => {
  await initBackend('wasm');
  ({ dir, remove } = await tempDir('vae-dp-'));
});
afterAll(() => remove());

/** Trainers and thread groups a test made, released after it whatever happens. */
const live: { trainers: Trainer[]; groups: DataParallel[] } = { trainers: [], groups: [] };
afterEach(async () => {
  await Promise.all(live.groups.splice(0).map((g) => g.close()));
  live.trainers.splice(0).forEach((t) => t.dispose());
});

/** A corpus of 64-bin frames and a config whose batch splits into shards of MIN_SHARD_ROWS and more. */
const corpus = () => tinyCorpus({ bins: 64, counts: [170, 150] });
const config = (overrides: Partial<TrainConfig> = {}) =>
  tinyConfig({ batch: 96, latent: 4, epochs: 3, loss: 'mixed', ...overrides });

function trainer(c: TrainConfig): Trainer {
  const t = new Trainer(c, corpus());
  live.trainers.push(t);
  return t;
}

async function parallel(t: Trainer, width: number): Promise<DataParallel> {
  const g = await DataParallel.start(t, width, 'wasm');
  live.groups.push(g);
  t.steps = g;
  return g;
}

async function epochs(t: Trainer, n: number): Promise<EpochReport[]> {
  const out: EpochReport[] = [];
  for (let e = 0; e < n; e++) {
    const r = await t.runEpoch();
    if (!r) throw new Error('runEpoch stopped unexpectedly');
    out.push(r);
  }
  return out;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

describe('data-parallel training', () => {
  it('splits batches and parameters into contiguous, covering pieces', () => {
    for (const [rows, width] of [
      [256, 2],
      [97, 3],
      [2, 3],
    ]) {
      const shards = Array.from({ length: width }, (_, k) => shardOf(rows, width, k));
      expect(shards.reduce((n, s) => n + s.rows, 0)).toBe(rows);
      shards.forEach((s, k) =>
        expect(s.offset).toBe(k === 0 ? 0 : shards[k - 1].offset + shards[k - 1].rows),
      );
      const stretches = Array.from({ length: width }, (_, k) => stretchOf(1001, width, k));
      expect(stretches[0].from).toBe(0);
      expect(stretches[width - 1].to).toBe(1001);
      stretches.slice(1).forEach((s, k) => expect(s.from).toBe(stretches[k].to));
    }
    expect(threadsFor(2, 256, 'wasm')).toBe(2);
    expect(threadsFor(8, 256, 'wasm')).toBe(256 / MIN_SHARD_ROWS);
    expect(threadsFor(4, 48, 'cpu')).toBe(1);
    expect(threadsFor(4, 256, 'tensorflow')).toBe(1);
    expect(threadsFor(4, 256, 'webgpu')).toBe(1);
  });

  it("takes tfjs's Adam step exactly, from the shared arrays", async () => {
    const vars = [
      tf.variable(tf.randomNormal([7, 5], 0, 1, 'float32', 1)),
      tf.variable(tf.randomNormal([5], 0, 1, 'float32', 2)),
    ];
    const copies = vars.map((w) => tf.variable(w.clone()));
    const reference = tf.train.adam(1e-3);
    const ours = tf.train.adam(1e-3);
    const params = 40;
    const weights = new Float32Array(params);
    const m = new Float32Array(params);
    const v = new Float32Array(params);
    let state = await loadAdam(ours, copies, weights, m, v);
    const c = adamConstants(ours);
    for (let step = 0; step < 5; step++) {
      // Two shards' gradients; tfjs gets their float32 sum.
      const halves = [0, 1].map((k) => tf.randomNormal([params], 0, 1 + step, 'float32', 10 * step + k));
      const grads = new Float32Array(2 * params);
      grads.set(halves[0].dataSync(), 0);
      grads.set(halves[1].dataSync(), params);
      const sum = tf.add(halves[0], halves[1]);
      tf.tidy(() =>
        reference.applyGradients([
          { name: vars[0].name, tensor: tf.reshape(tf.slice(sum, 0, 35), [7, 5]) },
          { name: vars[1].name, tensor: tf.slice(sum, 35, 5) },
        ]),
      );
      adamRange(
        c,
        weights,
        m,
        v,
        grads,
        params,
        [true, true],
        Math.fround(1 - state.accBeta1),
        Math.fround(1 - state.accBeta2),
        0,
        23,
      );
      adamRange(
        c,
        weights,
        m,
        v,
        grads,
        params,
        [true, true],
        Math.fround(1 - state.accBeta1),
        Math.fround(1 - state.accBeta2),
        23,
        params,
      );
      state = nextPowers(c, state);
      tf.dispose([...halves, sum]);
    }
    const ref = snapshot(vars);
    expect(sameValues([weights.subarray(0, 35), weights.subarray(35)], ref)).toBe(true);
    // Back into the optimizer: its moments and powers equal the reference optimizer's.
    copies.forEach((w, i) =>
      w.assign(tf.tensor(i === 0 ? weights.slice(0, 35) : weights.slice(35), w.shape)),
    );
    await storeAdam(ours, copies, m, v, state);
    // Storing again replaces the moments it made: nothing piles up.
    const before = tf.memory().numTensors;
    await storeAdam(ours, copies, m, v, state);
    expect(tf.memory().numTensors).toBe(before);
    const named = async (o: tf.AdamOptimizer) => {
      const w = await o.getWeights();
      const values = snapshot(w.map((n) => n.tensor));
      w[0].tensor.dispose();
      return values;
    };
    expect(sameValues(await named(ours), await named(reference))).toBe(true);
    const powers = (o: tf.AdamOptimizer) =>
      snapshot([
        (o as unknown as { accBeta1: tf.Tensor }).accBeta1,
        (o as unknown as { accBeta2: tf.Tensor }).accBeta2,
      ]);
    expect(sameValues(powers(ours), powers(reference))).toBe(true);
    tf.dispose([...vars, ...copies]);
    reference.dispose();
    ours.dispose();
  });

  it('computes the one-thread losses and weights, to float rounding, on 2 and 3 threads', async () => {
    const c = config({ seed: 3 });
    const one = await epochs(trainer(c), 2);
    const oneWeights = snapshot(live.trainers[0].variables);
    for (const width of [2, 3]) {
      const t = trainer(c);
      await parallel(t, width);
      const many = await epochs(t, 2);
      await live.groups.pop()!.close();
      many.forEach((r, e) => {
        expect(relative(r.reconstruction, one[e].reconstruction)).toBeLessThan(1e-4);
        expect(relative(r.kl, one[e].kl)).toBeLessThan(1e-3);
        expect(r.activeUnits).toBe(one[e].activeUnits);
      });
      // Not identical (the sums run in another order), but within float rounding of a few steps.
      expect(maxAbsDiff(snapshot(t.variables), oneWeights)).toBeLessThan(1e-4);
    }
  });

  it('computes the one-thread step with free bits (the shards share their KL sums)', async () => {
    const c = config({ seed: 4, freeBits: 0.5, loss: 'bce' });
    const one = await epochs(trainer(c), 1);
    const t = trainer(c);
    await parallel(t, 2);
    const many = await epochs(t, 1);
    many.forEach((r, e) => {
      expect(relative(r.reconstruction, one[e].reconstruction)).toBeLessThan(1e-4);
      expect(relative(r.loss, one[e].loss)).toBeLessThan(1e-4);
    });
    expect(maxAbsDiff(snapshot(t.variables), snapshot(live.trainers[0].variables))).toBeLessThan(1e-4);
  });

  it('repeats bit for bit on the same threads, and resumes from a checkpoint bit for bit', async () => {
    const c = config({ seed: 6 });
    const straight = trainer(c);
    await parallel(straight, 2);
    const s = await epochs(straight, 2);

    const first = trainer(c);
    const firstThreads = await parallel(first, 2);
    const [r1] = await epochs(first, 1);
    expect(reportNumbers(r1)).toEqual(reportNumbers(s[0]));
    const path = join(dir, 'resume', 'checkpoint.bin');
    await saveCheckpoint(path, first);
    await firstThreads.close();

    const resumed = await restoreTrainer(path, corpus());
    live.trainers.push(resumed);
    await parallel(resumed, 2);
    const [r2] = await epochs(resumed, 1);
    expect(reportNumbers(r2)).toEqual(reportNumbers(s[1]));
    expect(sameValues(snapshot(resumed.variables), snapshot(straight.variables))).toBe(true);
  });

  it('releases every thread and tensor after training and after a cancel', async () => {
    const before = tf.memory().numTensors;
    const t = new Trainer(config({ seed: 8 }), corpus());
    const threads = await DataParallel.start(t, 3, 'wasm');
    t.steps = threads;
    expect(threads.liveHelpers).toBe(2);
    await epochs(t, 1);
    let batches = 0;
    const stopped = await t.runEpoch({ shouldStop: () => batches >= 2, onBatch: () => batches++ });
    expect(stopped).toBeNull();
    // The stopped epoch's steps are in the optimizer, as on one thread.
    const optimizerSteps = await t.optimizer.getWeights();
    expect(optimizerSteps[0].tensor.dataSync()[0]).toBe(Math.ceil(t.corpus.train.length / 96) + 2);
    optimizerSteps[0].tensor.dispose();
    await threads.close();
    expect(threads.liveHelpers).toBe(0);
    const x = tf.zeros([4, 64]) as tf.Tensor2D;
    await expect(threads.step(x, 1, 0)).rejects.toThrow(/closed/);
    x.dispose();
    t.steps = null;
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
