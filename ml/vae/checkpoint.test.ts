import * as tf from '@tensorflow/tfjs-core';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { CheckpointError, readCheckpoint, restoreTrainer, saveCheckpoint } from './checkpoint.js';
import {
  maxAbsDiff,
  reportNumbers,
  sameValues,
  snapshot,
  tempDir,
  tinyConfig,
  tinyCorpus,
} from './testing.js';
import { type EpochReport, Trainer } from './trainer.js';

let dir = '';
let remove = async () => {};
beforeAll(async () => {
  await initBackend('wasm');
  ({ dir, remove } = await tempDir('vae-ckpt-'));
});
afterAll(() => remove());

const live: Trainer[] = [];
afterEach(() => {
  live.splice(0).forEach((t) => t.dispose());
});
function keep(t: Trainer): Trainer {
  live.push(t);
  return t;
}

async function epoch(t: Trainer): Promise<EpochReport> {
  const r = await t.runEpoch();
  if (!r) throw new Error('runEpoch stopped unexpectedly');
  return r;
}

/** A checkpoint of a trainer after one epoch, at a fresh path. */
let count = 0;
async function oneEpochCheckpoint(): Promise<string> {
  const path = join(dir, `one-${count++}`, 'checkpoint.bin');
  const t = keep(new Trainer(tinyConfig({ epochs: 3 }), tinyCorpus()));
  await epoch(t);
  await saveCheckpoint(path, t);
  return path;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected a rejection');
  return err;
}

describe('checkpoints', () => {
  it('resume exactly: 1 epoch, save, restore, 1 epoch equals 2 epochs straight', async () => {
    const config = tinyConfig({ epochs: 3, seed: 5 });
    const straight = keep(new Trainer(config, tinyCorpus()));
    const s1 = await epoch(straight);
    const s2 = await epoch(straight);
    const s3 = await epoch(straight);

    const path = join(dir, 'resume', 'checkpoint.bin');
    const first = new Trainer(config, tinyCorpus());
    const r1 = await epoch(first);
    await saveCheckpoint(path, first);
    first.dispose();

    const resumed = keep(await restoreTrainer(path, tinyCorpus()));
    expect(resumed.epoch).toBe(1);
    expect(resumed.config).toEqual(config);
    expect(resumed.history).toEqual([r1]);
    const r2 = await epoch(resumed);
    expect(reportNumbers(r1)).toEqual(reportNumbers(s1));
    expect(reportNumbers(r2)).toEqual(reportNumbers(s2));
    // A third epoch too: the optimizer's moments and step count carried over as well as the weights.
    const r3 = await epoch(resumed);
    expect(reportNumbers(r3)).toEqual(reportNumbers(s3));
    expect(sameValues(snapshot(resumed.variables), snapshot(straight.variables))).toBe(true);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
  });

  it('resume after any number of optimizer steps continues the run bit for bit', async () => {
    // Two batches an epoch: tfjs's Adam rebuilds its bias-correction products on restore as
    // beta^(t+1), one float32 step off the running product for some t; the checkpoint stores them.
    const config = tinyConfig({ epochs: 2, seed: 5, batch: 135 });
    const straight = keep(new Trainer(config, tinyCorpus()));
    await epoch(straight);
    const s2 = await epoch(straight);
    const path = join(dir, 'two-batches', 'checkpoint.bin');
    const first = new Trainer(config, tinyCorpus());
    await epoch(first);
    await saveCheckpoint(path, first);
    first.dispose();
    const resumed = keep(await restoreTrainer(path, tinyCorpus()));
    const r2 = await epoch(resumed);
    expect(r2.reconstruction).toBe(s2.reconstruction);
    expect(r2.kl).toBe(s2.kl);
    expect(maxAbsDiff(snapshot(resumed.variables), snapshot(straight.variables))).toBe(0);
  });

  it('refuses a checkpoint cut short or with an incomplete header, leaking nothing', async () => {
    const path = await oneEpochCheckpoint();
    const whole = await readFile(path);
    const before = tf.memory().numTensors;
    const cases: [string, Buffer][] = [
      ['magic-only', whole.subarray(0, 18)],
      ['cut-data', whole.subarray(0, whole.length - 1000)],
      ['empty-header', Buffer.concat([whole.subarray(0, 16), Buffer.from([2, 0, 0, 0]), Buffer.from('{}')])],
    ];
    for (const [name, bytes] of cases) {
      const file = join(dir, `${name}.bin`);
      await writeFile(file, bytes);
      const err = await failure(restoreTrainer(file, tinyCorpus()));
      expect(err, name).toBeInstanceOf(CheckpointError);
      expect(err.message).toMatch(/damaged checkpoint/);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses sounds that changed level since the checkpoint', async () => {
    const path = await oneEpochCheckpoint();
    const louder = tinyCorpus();
    louder.ref *= 2;
    const err = await failure(restoreTrainer(path, louder));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/changed since the checkpoint/);
  });

  it('resume a trainer that has not trained yet', async () => {
    const config = tinyConfig({ epochs: 2, seed: 9 });
    const straight = keep(new Trainer(config, tinyCorpus()));
    const s1 = await epoch(straight);
    const path = join(dir, 'fresh', 'checkpoint.bin');
    const fresh = new Trainer(config, tinyCorpus());
    await saveCheckpoint(path, fresh);
    fresh.dispose();
    const resumed = keep(await restoreTrainer(path, tinyCorpus()));
    expect(resumed.epoch).toBe(0);
    expect(reportNumbers(await epoch(resumed))).toEqual(reportNumbers(s1));
    expect(sameValues(snapshot(resumed.variables), snapshot(straight.variables))).toBe(true);
  });

  it('overwrites the previous checkpoint and leaves no temporary file', async () => {
    const path = join(dir, 'overwrite', 'checkpoint.bin');
    const t = keep(new Trainer(tinyConfig(), tinyCorpus()));
    await saveCheckpoint(path, t);
    await epoch(t);
    await saveCheckpoint(path, t);
    expect((await readCheckpoint(path)).header.epoch).toBe(1);
    expect(await readdir(join(dir, 'overwrite'))).toEqual(['checkpoint.bin']);
  });

  it('readCheckpoint gives the header: epoch, config, corpus and every tensor', async () => {
    const path = await oneEpochCheckpoint();
    const { header, data } = await readCheckpoint(path);
    expect(header.epoch).toBe(1);
    expect(header.config).toEqual(tinyConfig({ epochs: 3 }));
    expect(header.history).toHaveLength(1);
    expect(header.corpus.sources.map((s) => s.name)).toEqual(['source-0.wav', 'source-1.wav']);
    expect(header.corpus.bins).toBe(32);
    const names = header.tensors.map((t) => t.name);
    // compact: 3 dense layers per network, kernel and bias each; Adam: the step count and 2 moments per weight.
    expect(names.filter((n) => n.startsWith('encoder/'))).toHaveLength(6);
    expect(names.filter((n) => n.startsWith('decoder/'))).toHaveLength(6);
    expect(names.filter((n) => n.startsWith('optimizer/'))).toHaveLength(1 + 2 * 12);
    const bytes = header.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1) * 4, 0);
    expect(data.byteLength).toBe(bytes);
  });

  it('refuses to resume on other sounds, naming the reason', async () => {
    const path = await oneEpochCheckpoint();
    const before = tf.memory().numTensors;
    const other = tinyCorpus({ counts: [150, 120] });
    const err = await failure(restoreTrainer(path, other));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.name).toBe('CheckpointError');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/other sounds/);
    expect(err.message).toContain('source-0.wav');
    const renamed = tinyCorpus();
    renamed.sources[1].name = 'elsewhere.wav';
    await expect(restoreTrainer(path, renamed)).rejects.toThrow(/other sounds/);
    await expect(restoreTrainer(path, tinyCorpus({ counts: [150] }))).rejects.toThrow(CheckpointError);
    await expect(restoreTrainer(path, tinyCorpus({ bins: 16 }))).rejects.toThrow(CheckpointError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says clearly when the file is missing, not a checkpoint, or its header is damaged', async () => {
    const missing = join(dir, 'nothing-here.bin');
    const m = await failure(readCheckpoint(missing));
    expect(m).toBeInstanceOf(CheckpointError);
    expect(m.message).toMatch(/cannot read the checkpoint/);
    expect(m.message).toContain(missing);

    const garbage = join(dir, 'garbage.bin');
    await writeFile(garbage, Buffer.from('this is not a checkpoint at all, just some text'));
    const g = await failure(restoreTrainer(garbage, tinyCorpus()));
    expect(g).toBeInstanceOf(CheckpointError);
    expect(g.message).toBe(`${garbage}: not a checkpoint`);

    const empty = join(dir, 'empty.bin');
    await writeFile(empty, Buffer.alloc(0));
    await expect(readCheckpoint(empty)).rejects.toThrow(`${empty}: not a checkpoint`);

    // Cut inside the JSON header.
    const path = await oneEpochCheckpoint();
    const whole = await readFile(path);
    const cut = join(dir, 'cut-header.bin');
    await writeFile(cut, whole.subarray(0, 200));
    const c = await failure(restoreTrainer(cut, tinyCorpus()));
    expect(c).toBeInstanceOf(CheckpointError);
    expect(c.message).toMatch(
      new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: damaged checkpoint`),
    );
  });

  it('leaks no tensor across save and restore', async () => {
    const t = new Trainer(tinyConfig(), tinyCorpus());
    await epoch(t);
    const trained = tf.memory().numTensors;
    const path = join(dir, 'leak', 'checkpoint.bin');
    await saveCheckpoint(path, t);
    expect(tf.memory().numTensors).toBe(trained);
    t.dispose();
    const empty = tf.memory().numTensors;
    const restored = await restoreTrainer(path, tinyCorpus());
    expect(tf.memory().numTensors).toBe(trained);
    await epoch(restored);
    expect(tf.memory().numTensors).toBe(trained);
    await saveCheckpoint(path, restored);
    expect(tf.memory().numTensors).toBe(trained);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(empty);
  });
});
