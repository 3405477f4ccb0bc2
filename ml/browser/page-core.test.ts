// The compute page's own code (page-core.ts) under the real BrowserTrainer, without a browser: the
// page runs in a worker thread (testing-page.ts) on wasm standing in for the GPU backend, over a
// real MessageChannel and portSession(), and the test's thread keeps the mirror Trainer. What
// docs/design.md ("Backends") promises of the page: a cancel stops the epoch at the next batch and
// the mirror keeps the last epoch; a run resumed in a fresh page continues bit for bit; a diverging
// run fails with NonFiniteLossError and the mirror keeps the last good weights; the page's tensors
// do not grow from epoch to epoch. (Needs the build: the worker is dist/ml/browser/testing-page.js.)
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { workerUrl } from '../worker-url.js';
import { reportNumbers, sameValues, snapshot, tinyConfig, tinyCorpus } from '../vae/testing.js';
import { NonFiniteLossError, Trainer } from '../vae/trainer.js';
import type { Corpus } from '../vae/corpus.js';
import { portSession } from './port-session.js';
import { BrowserTrainer } from './remote-trainer.js';
import { applyState, captureState } from './trainer-state.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const workers: Worker[] = [];
const remotes: BrowserTrainer[] = [];
const trainers: Trainer[] = [];
afterEach(async () => {
  await Promise.all(remotes.splice(0).map((r) => r.close()));
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
  trainers.splice(0).forEach((t) => t.dispose());
});
const keep = (t: Trainer) => (trainers.push(t), t);

/** A fresh page in its own worker thread; the BrowserTrainer on it takes `mirror`'s state. */
async function openPage(mirror: Trainer): Promise<{ remote: BrowserTrainer; exited: Promise<number> }> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerUrl('./testing-page.js', import.meta.url), {
    workerData: { port: port2 },
    transferList: [port2],
  });
  workers.push(worker);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const remote = await BrowserTrainer.open(
    'webgpu',
    mirror,
    portSession(port1, { path: 'node worker thread', version: process.version }),
  );
  remotes.push(remote);
  return { remote, exited };
}

async function stateValues(t: Trainer) {
  const s = await captureState(t);
  return { epoch: s.epoch, rng: s.rng, adam: s.adamBetaPowers, tensors: s.tensors.map((x) => x.values) };
}

async function expectSameRun(a: Trainer, b: Trainer) {
  const [sa, sb] = [await stateValues(a), await stateValues(b)];
  expect(sa.epoch).toBe(sb.epoch);
  expect(sa.rng).toBe(sb.rng);
  expect(sa.adam).toEqual(sb.adam);
  expect(sa.tensors.length).toBe(sb.tensors.length);
  expect(
    sa.tensors.every(
      (v, i) => v.length === sb.tensors[i].length && v.every((x, j) => Object.is(x, sb.tensors[i][j])),
    ),
  ).toBe(true);
  expect(a.history.map(reportNumbers)).toEqual(b.history.map(reportNumbers));
}

describe('the compute page core (worker thread, wasm)', () => {
  it('resumes in a fresh page bit for bit, trains as the worker would, and leaks no tensor', async () => {
    const corpus = tinyCorpus();
    const config = tinyConfig({ seed: 11 });
    // Three epochs in one page.
    const whole = keep(new Trainer(config, corpus));
    const one = await openPage(whole);
    expect(one.remote.device.tfBackend).toBe('wasm');
    for (let e = 0; e < 3; e++) expect(await one.remote.runEpoch()).not.toBeNull();
    // Each epoch's state came back into the mirror; the page holds the same tensors after each.
    expect(whole.epoch).toBe(3);
    const [, ...after] = one.remote.pageTensors;
    expect(after).toHaveLength(3);
    expect(new Set(after).size).toBe(1);
    await one.remote.close();
    // The page ends when its port closes.
    expect(await one.exited).toBe(0);

    // Two epochs, a new page from the mirror's state, one more.
    const resumed = keep(new Trainer(config, corpus));
    const first = await openPage(resumed);
    await first.remote.runEpoch();
    await first.remote.runEpoch();
    await first.remote.close();
    const second = await openPage(resumed);
    const report = await second.remote.runEpoch();
    expect(report?.epoch).toBe(3);
    await expectSameRun(resumed, whole);

    // And the same as three epochs in this thread, on the same backend.
    const local = keep(new Trainer(config, corpus));
    for (let e = 0; e < 3; e++) await local.runEpoch();
    await expectSameRun(local, whole);
  });

  it('stops an epoch at the batch after the cancel reaches the page; the mirror keeps the last epoch', async () => {
    // 30 batches: the cancel goes out at the page's first batch report, and arrives long before the last.
    const corpus: Corpus = tinyCorpus({ counts: [120, 120] });
    const config = tinyConfig({ seed: 4, batch: 4 });
    const mirror = keep(new Trainer(config, corpus));
    const { remote } = await openPage(mirror);
    await remote.runEpoch();
    const before = snapshot(mirror.variables);
    const s1 = await captureState(mirror);
    const tensorsBefore = remote.pageTensors.at(-1);

    let seen = 0;
    const stopped = await remote.runEpoch({
      // The page's first batch report asks to stop: BrowserTrainer sends 'cancel' as it reads it.
      shouldStop: () => seen > 0,
      onBatch: () => seen++,
    });
    expect(stopped).toBeNull();
    const total = Math.ceil(corpus.train.length / config.batch);
    const stop = remote.lastCancel!;
    expect(stop.cancelAt).toBeGreaterThanOrEqual(1);
    expect(stop.done).toBeLessThanOrEqual(stop.cancelAt + 1);
    // Read at once: a page that looked at its messages every 8 batches would have run at least 8.
    expect(stop.done).toBeLessThan(8);
    expect(stop.done).toBeLessThan(total);
    expect(mirror.epoch).toBe(1);
    expect(sameValues(snapshot(mirror.variables), before)).toBe(true);
    expect(remote.pageTensors.at(-1)).toBe(tensorsBefore);

    // The next epoch starts the page again from the mirror: as if the stopped one never ran.
    expect(await remote.runEpoch()).not.toBeNull();
    const reference = keep(new Trainer({ ...config, seed: 99 }, corpus));
    await applyState(reference, s1);
    await reference.runEpoch();
    await expectSameRun(mirror, reference);
  });

  it('rejects a diverging epoch with NonFiniteLossError; the mirror keeps the last good weights', async () => {
    const corpus = tinyCorpus();
    const mirror = keep(new Trainer(tinyConfig({ seed: 2, learningRate: 1e6 }), corpus));
    const { remote } = await openPage(mirror);
    const good = snapshot(mirror.variables);
    let error: unknown = null;
    let epochs = 0;
    // The first epochs may still end finite; the page diverges within a few.
    for (; epochs < 4 && error === null; epochs++) {
      const last = snapshot(mirror.variables);
      good.splice(0, good.length, ...last);
      await remote.runEpoch().catch((e: unknown) => (error = e));
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/training diverged in epoch \d: the loss is (NaN|-?Infinity)/);
    expect(mirror.epoch).toBe(epochs - 1);
    expect(sameValues(snapshot(mirror.variables), good)).toBe(true);
    expect(snapshot(mirror.variables).every((v) => v.every(Number.isFinite))).toBe(true);
  });
});
