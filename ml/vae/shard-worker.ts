/**
 * A data-parallel helper thread (data-parallel.ts): holds a copy of the two networks; for each step
 * the training thread starts, it copies the shared weights in, writes the gradient of its shard of
 * the batch, and takes Adam's step on its stretch of the parameters. It waits on shared memory, never
 * on messages: it posts one 'ready' (or 'failed') when its networks are built, then runs until told
 * to stop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend.js';
import {
  CONTROL,
  SPIN_MS,
  type ShardWorkerInit,
  adamStretch,
  arriveAndWait,
  assignWeights,
  exchangeKl,
  readParams,
  reportFailure,
  shardGradient,
  views,
} from './data-parallel.js';
import { buildModels } from './model.js';

const init = workerData as ShardWorkerInit;
const v = views(init.shared);
const { GO, GRADS, UPDATED, STOP } = CONTROL;

async function setUp() {
  await initBackend(init.backend);
  // The seed does not matter: the shared weights replace these before every step.
  const { encoder, decoder } = buildModels({ preset: init.preset, bins: init.bins, latent: init.latent }, 0);
  const vars = [...encoder.trainableWeights, ...decoder.trainableWeights].map((w) => w.read() as tf.Variable);
  const sizes = vars.map((w) => w.size);
  if (sizes.length !== init.sizes.length || sizes.some((n, i) => n !== init.sizes[i])) {
    encoder.dispose();
    decoder.dispose();
    throw new Error(
      `its networks' variables (${sizes.join(', ')}) differ from the trainer's (${init.sizes.join(', ')})`,
    );
  }
  return { encoder, decoder, vars };
}

function run(model: Awaited<ReturnType<typeof setUp>>): void {
  const { index, width, bins } = init;
  const config = { latent: init.latent, loss: init.loss, freeBits: init.freeBits };
  const offsets: number[] = [];
  init.sizes.reduce((at, n) => (offsets.push(at), at + n), 0);
  let seen = 0;
  for (;;) {
    // Poll a while for the next step (it usually comes within milliseconds), then sleep.
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(v.control, GO) === seen && Atomics.load(v.control, STOP) === 0) {
      if (performance.now() > spinUntil) Atomics.wait(v.control, GO, seen, 1000);
    }
    if (Atomics.load(v.control, STOP) !== 0) return;
    const step = Atomics.load(v.control, GO);
    seen = step;
    const p = readParams(v, step, width);
    const { rows } = p.shards[index];
    if (rows > 0) {
      assignWeights(model.vars, v.weights, offsets);
      const from = (index - 1) * v.maxRows * bins;
      // The wasm backend copies the rows onto its heap; the cpu backend would keep a view of shared memory.
      const slot = v.inputs.subarray(from, from + rows * bins);
      const x = tf.tensor2d(init.backend === 'wasm' ? slot : slot.slice(), [rows, bins]);
      try {
        shardGradient({ ...model, config }, x, p, v, index, width, offsets);
      } finally {
        x.dispose();
      }
    } else if (config.freeBits > 0) {
      // No rows in this batch; the others still wait for this shard's (zero) KL sums.
      exchangeKl(v, index, width, step, new Float32Array(init.latent));
    }
    arriveAndWait(v, GRADS, step * width);
    adamStretch(init.adam, v, p, index, width);
    Atomics.add(v.control, UPDATED, 1);
    Atomics.notify(v.control, UPDATED);
  }
}

let model: Awaited<ReturnType<typeof setUp>>;
try {
  model = await setUp();
} catch (error) {
  parentPort!.postMessage({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
parentPort!.postMessage({ type: 'ready' });
try {
  run(model);
} catch (error) {
  // A stop while waiting is no failure of this thread; anything else is reported to the others.
  if (Atomics.load(v.control, STOP) === 0)
    reportFailure(v, init.index, error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  model.encoder.dispose();
  model.decoder.dispose();
}
