// Data-parallel training on every CPU core (docs/design.md, "Backends"): each batch is split into
// shards, one per thread; every thread computes the gradient of its shard's share of the batch's
// loss; the gradients are summed and Adam takes one step. That is the one-thread step's arithmetic
// but for the order of the float sums: the same noise (each shard slices the whole batch's seeded
// draw), the same loss, the same Adam (shared-adam.ts, equal to tfjs's step for step).
//
// The training thread is shard 0; `width - 1` helper threads (shard-worker.ts) hold copies of the
// two networks. All they exchange lies in shared memory (the weights, Adam's moments and the gradient
// slots in one shared WebAssembly memory, on which every thread runs the Adam kernel of
// adam-wasm.ts), and they wait on Atomics, never on messages. On wasm, values move between tensors
// and shared memory straight from the backend's heap (heapView): a step allocates no ArrayBuffers,
// whose megabytes made every thread collect its whole heap several times a second. A step:
//   1. the training thread writes each helper's rows and the step's parameters, and bumps GO;
//   2. every thread copies the shared weights into its networks (helpers; the training thread's
//      networks are current), computes its shard's gradient and writes it to its slot;
//   3. when all have (GRADS), each thread sums the slots for its stretch of the parameters and takes
//      Adam's step there, on the shared weights and moments;
//   4. when all have (UPDATED), the training thread copies the new weights into its networks.
// With free bits (each dimension's KL counts as at least F nats of the batch's mean) the shards also
// exchange their KL sums half-way through the forward pass (EXCHANGE), so that every thread knows
// which dimensions are under the floor. The Trainer's AdamOptimizer holds the state between epochs
// (begin/end), so checkpoints and the one-thread path read and write it as ever.
//
// The wasm backend runs one thread per worker here (its own thread pool cannot start under Node), so
// a run on `width` threads keeps `width` cores busy, which is what the engine's thread budget counts
// (main/engine/threads.ts).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../worker-url.js';
import type { PresetName } from './model.js';
import { AdamKernel, type SharedMemory, adamMemory } from './adam-wasm.js';
import {
  type AdamConstants,
  type AdamState,
  adamConstants,
  adamFloats,
  adamRange,
  loadAdam,
  nextPowers,
  storeAdam,
} from './shared-adam.js';
import { frameTerms, type StepRunner, type TrainConfig, type Trainer } from './trainer.js';

/** Indices into the control array. */
const GO = 0; // the step number: the training thread bumps it to start a step
const GRADS = 1; // threads whose gradient is written, counted over all steps (step s: s × width)
const UPDATED = 2; // threads whose Adam stretch is done, counted likewise
const EXCHANGE = 3; // free-bits arrivals, counted likewise
const STOP = 4; // 1: helpers leave their loop
const FAILED = 5; // the first helper that failed, as its shard number (0: none)
const CONTROL_SLOTS = 6;

/** The params array: batch rows, seed, beta, 1 − beta1^t, 1 − beta2^t, then (offset, rows) per shard. */
const PARAM_HEAD = 5;

/** Fewest rows per shard for which another thread pays (see threadsFor). */
export const MIN_SHARD_ROWS = 32;

/** What a helper thread is started with (workerData). */
export interface ShardWorkerInit {
  index: number;
  width: number;
  backend: 'wasm' | 'cpu';
  preset: PresetName;
  bins: number;
  latent: number;
  loss: TrainConfig['loss'];
  freeBits: number;
  adam: AdamConstants;
  /** Size of each trainable variable, in the networks' order. */
  sizes: number[];
  shared: SharedBuffers;
}

/** The shared memory of one run (see the module comment). */
export interface SharedBuffers {
  control: SharedArrayBuffer;
  params: SharedArrayBuffer;
  /**
   * The weights, Adam's moments, the threads' gradient slots and their slot tables (stateLayout):
   * a shared WebAssembly memory where the Adam kernel (adam-wasm.ts) runs, else `state` alone.
   */
  memory: SharedMemory | null;
  state: SharedArrayBuffer;
  /** Trainable parameters in all. */
  size: number;
  width: number;
  inputs: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  kl: SharedArrayBuffer;
  error: SharedArrayBuffer;
  /** Rows each helper's input slot holds. */
  maxRows: number;
}

/** Typed views over SharedBuffers. */
export interface SharedViews {
  control: Int32Array;
  params: Float64Array;
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
  inputs: Float32Array;
  grads: Float32Array;
  stats: Float32Array;
  kl: Float64Array;
  error: Uint8Array;
  /** Per thread, the byte offsets of the gradient slots its Adam step sums (`width` each). */
  slots: Int32Array;
  /** This thread's Adam kernel on the shared memory, or null (adamRange then). */
  adam: AdamKernel | null;
  maxRows: number;
}

/** Byte offsets in the state buffer: weights, m, v (size floats each), grads (width × size), slots. */
export function stateLayout(size: number, width: number) {
  const weights = 0;
  const m = 4 * size;
  const v = 8 * size;
  const grads = 12 * size;
  const slots = grads + 4 * width * size;
  return { weights, m, v, grads, slots, bytes: slots + 4 * width * width };
}

export function views(shared: SharedBuffers): SharedViews {
  const { size, width } = shared;
  const at = stateLayout(size, width);
  const state = shared.memory?.buffer ?? shared.state;
  return {
    control: new Int32Array(shared.control),
    params: new Float64Array(shared.params),
    weights: new Float32Array(state, at.weights, size),
    m: new Float32Array(state, at.m, size),
    v: new Float32Array(state, at.v, size),
    grads: new Float32Array(state, at.grads, width * size),
    slots: new Int32Array(state, at.slots, width * width),
    adam: shared.memory ? new AdamKernel(shared.memory) : null,
    inputs: new Float32Array(shared.inputs),
    stats: new Float32Array(shared.stats),
    kl: new Float64Array(shared.kl),
    error: new Uint8Array(shared.error),
    maxRows: shared.maxRows,
  };
}

/** A helper thread failed, or the threads were stopped: the run cannot go on. */
export class ShardFailure extends Error {
  override name = 'ShardFailure';
}

/** Rows of shard k of a batch of `rows` split `width` ways: the first `rows % width` get one more. */
export function shardOf(rows: number, width: number, k: number): { offset: number; rows: number } {
  const base = Math.floor(rows / width);
  const extra = rows % width;
  return { offset: k * base + Math.min(k, extra), rows: base + (k < extra ? 1 : 0) };
}

/** The stretch of `params` parameters whose Adam step thread k of `width` takes. */
export function stretchOf(params: number, width: number, k: number): { from: number; to: number } {
  return { from: Math.floor((params * k) / width), to: Math.floor((params * (k + 1)) / width) };
}

/**
 * How many threads a run should train on: at most `budget`, and only as many as give each shard of
 * a batch MIN_SHARD_ROWS rows. Only the in-process CPU backends split batches (tfjs-node computes on
 * every core by itself; the browser backends run elsewhere).
 */
export function threadsFor(budget: number, batch: number, backend: string): number {
  if (backend !== 'wasm' && backend !== 'cpu') return 1;
  return Math.max(1, Math.min(budget, Math.floor(batch / MIN_SHARD_ROWS)));
}

export function failureMessage(v: SharedViews): string {
  const k = Atomics.load(v.control, FAILED);
  const end = v.error.indexOf(0);
  // TextDecoder refuses views of shared memory: copy first.
  const text = new TextDecoder().decode(v.error.slice(0, end < 0 ? v.error.length : end));
  return k > 0
    ? `training thread ${k} failed: ${text || 'no reason given'}`
    : 'the training threads were stopped';
}

/** Records a helper's failure (the first one wins) and wakes every thread that waits. */
export function reportFailure(v: SharedViews, index: number, reason: string): void {
  if (Atomics.compareExchange(v.control, FAILED, 0, index) === 0) {
    const bytes = new TextEncoder().encode(reason.slice(0, 2000));
    const n = Math.min(bytes.length, v.error.length - 1);
    v.error.set(bytes.subarray(0, n));
    v.error[n] = 0;
  }
  for (let i = 0; i < CONTROL_SLOTS; i++) Atomics.notify(v.control, i);
}

function checkRunning(v: SharedViews): void {
  if (Atomics.load(v.control, FAILED) !== 0 || Atomics.load(v.control, STOP) !== 0)
    throw new ShardFailure(failureMessage(v));
}

/**
 * How long a thread that waits for the others polls before it sleeps. A sleeping thread takes
 * milliseconds to wake on a virtual machine (measured here: about 3 ms a step); the waits inside a
 * step are shorter than this, the waits between epochs far longer.
 */
export const SPIN_MS = 2;

/** Blocks until control[index] ≥ target: polls for up to SPIN_MS, then sleeps; throws if the run failed. */
export function waitFor(v: SharedViews, index: number, target: number): void {
  const spinUntil = performance.now() + SPIN_MS;
  for (;;) {
    const now = Atomics.load(v.control, index);
    if (now >= target) return;
    checkRunning(v);
    if (performance.now() > spinUntil) Atomics.wait(v.control, index, now, 1000);
  }
}

/** Counts this thread in at control[index] and blocks until `target` have arrived. */
export function arriveAndWait(v: SharedViews, index: number, target: number): void {
  Atomics.add(v.control, index, 1);
  Atomics.notify(v.control, index);
  waitFor(v, index, target);
}

export interface ShardModel {
  encoder: tfl.Sequential;
  decoder: tfl.Sequential;
  vars: readonly tf.Variable[];
  config: Pick<TrainConfig, 'latent' | 'loss' | 'freeBits'>;
}

/** The step's parameters as every thread reads them. */
export interface StepParams {
  step: number;
  batch: number;
  seed: number;
  beta: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  shards: { offset: number; rows: number }[];
}

export function readParams(v: SharedViews, step: number, width: number): StepParams {
  const p = v.params;
  return {
    step,
    batch: p[0],
    seed: p[1],
    beta: p[2],
    oneMinusAccBeta1: p[3],
    oneMinusAccBeta2: p[4],
    shards: Array.from({ length: width }, (_, k) => ({
      offset: p[PARAM_HEAD + 2 * k],
      rows: p[PARAM_HEAD + 2 * k + 1],
    })),
  };
}

/**
 * Shard `index`'s gradient of its share of the batch's loss — (its frames' reconstruction + beta ×
 * KL) / the batch's rows, so that the shards' gradients sum to the one-thread gradient of the
 * batch's mean — written to its gradient slot, and its sums [reconstruction, KL per dimension] to
 * its stats slot. Its noise is rows [offset, offset + rows) of the whole batch's seeded draw.
 */
export function shardGradient(
  model: ShardModel,
  x: tf.Tensor2D,
  p: StepParams,
  v: SharedViews,
  index: number,
  width: number,
  offsets: readonly number[],
): void {
  const { latent, freeBits } = model.config;
  const params = v.weights.length;
  const { offset } = p.shards[index];
  let stats: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const { perFrame, klFrame } = frameTerms(
      model.encoder,
      model.decoder,
      model.config,
      x,
      (shape) =>
        tf.slice(
          tf.randomNormal([p.batch, latent], 0, 1, 'float32', p.seed),
          [offset, 0],
          shape,
        ) as tf.Tensor2D,
    );
    const reconSum = tf.sum(perFrame);
    const klSum = tf.sum(klFrame, 0);
    stats = tf.keep(tf.concat([tf.reshape(reconSum, [1]), klSum]));
    let kl: tf.Scalar;
    if (freeBits > 0) {
      // max(mean KL_d, F) counts dimension d only where the whole batch's mean is at least F.
      const total = exchangeKl(v, index, width, p.step, klSum.dataSync());
      const mask = Float32Array.from(total, (sum) => (sum / p.batch >= freeBits ? 1 : 0));
      kl = tf.sum(tf.mul(klSum, tf.tensor1d(mask)));
    } else {
      kl = tf.sum(klSum);
    }
    return tf.div(tf.add(reconSum, tf.mul(kl, p.beta)), p.batch) as tf.Scalar;
  }, model.vars as tf.Variable[]);
  value.dispose();
  model.vars.forEach((w, i) => copyOut(grads[w.name], v.grads, index * params + offsets[i]));
  tf.dispose(Object.values(grads));
  copyOut((stats as tf.Tensor | null)!, v.stats, index * (1 + latent));
  (stats as tf.Tensor | null)!.dispose();
}

/** Shares shard `index`'s KL sums and returns the whole batch's, summed in shard order. */
export function exchangeKl(
  v: SharedViews,
  index: number,
  width: number,
  step: number,
  local: ArrayLike<number>,
): Float64Array {
  const latent = v.kl.length / width;
  for (let d = 0; d < latent; d++) v.kl[index * latent + d] = local[d] ?? 0;
  arriveAndWait(v, EXCHANGE, step * width);
  const total = new Float64Array(latent);
  for (let k = 0; k < width; k++) for (let d = 0; d < latent; d++) total[d] += v.kl[k * latent + d];
  return total;
}

/** Thread `index`'s Adam step on its stretch of the shared weights and moments. */
export function adamStretch(
  c: AdamConstants,
  v: SharedViews,
  p: StepParams,
  index: number,
  width: number,
): void {
  const params = v.weights.length;
  const { from, to } = stretchOf(params, width, index);
  const used = p.shards.map((s) => s.rows > 0);
  if (!v.adam) {
    adamRange(
      c,
      v.weights,
      v.m,
      v.v,
      v.grads,
      params,
      used,
      p.oneMinusAccBeta1,
      p.oneMinusAccBeta2,
      from,
      to,
    );
    return;
  }
  const table = index * width;
  let n = 0;
  used.forEach((u, k) => {
    if (u) v.slots[table + n++] = v.grads.byteOffset + 4 * k * params;
  });
  v.adam.step(
    { w: v.weights.byteOffset, m: v.m.byteOffset, v: v.v.byteOffset, slots: v.slots.byteOffset + 4 * table },
    n,
    from,
    to,
    adamFloats(c, p.oneMinusAccBeta1, p.oneMinusAccBeta2),
  );
}

/** The part of tfjs-backend-wasm's BackendWasm these copies use. */
interface HeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

/**
 * A view of a tensor's values on the wasm heap, or null on another backend. The copies below go
 * through it so that a step allocates no ArrayBuffers: a few megabytes of them a step made V8
 * collect the whole heap (external memory pressure) several times a second on every thread, and
 * each pause stalled the other threads at the next barrier.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return null;
  return (tf.backend() as unknown as HeapBackend).typedArrayFromHeap(t) as Float32Array;
}

/** Copies a float32 tensor's values into `target` at `at`, without an intermediate array on wasm. */
export function copyOut(t: tf.Tensor, target: Float32Array, at: number): void {
  target.set(heapView(t) ?? (t.dataSync() as Float32Array), at);
}

/** Copies the shared weights into a thread's networks. */
export function assignWeights(
  vars: readonly tf.Variable[],
  weights: Float32Array,
  offsets: readonly number[],
): void {
  // The wasm backend copies a view onto its heap; the cpu backend would keep a view of shared
  // memory. Never write into a variable's memory in place: the wasm backend's matrix products cache
  // their operands' packed copies by tensor, so a variable must get a new tensor when it changes.
  const copy = tf.getBackend() !== 'wasm';
  vars.forEach((w, i) => {
    const view = weights.subarray(offsets[i], offsets[i] + w.size);
    const t = tf.tensor(copy ? view.slice() : view, w.shape, 'float32');
    w.assign(t);
    t.dispose();
  });
}

interface WaitAsyncResult {
  async: boolean;
  value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out';
}
// ES2024's Atomics.waitAsync (Node ≥ 16); the project's TypeScript lib is ES2022.
const waitAsync = (
  Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): WaitAsyncResult }
).waitAsync;

/**
 * The training thread's side: owns the helper threads and the shared buffers, and is the Trainer's
 * StepRunner. Start it with DataParallel.start; close() ends every helper.
 */
export class DataParallel implements StepRunner {
  readonly width: number;
  readonly #trainer: Trainer;
  readonly #vars: readonly tf.Variable[];
  readonly #offsets: number[];
  readonly #adam: AdamConstants;
  readonly #shared: SharedBuffers;
  readonly #v: SharedViews;
  readonly #workers: Worker[] = [];
  readonly #exited: Promise<void>[] = [];
  #state: AdamState | null = null;
  #step = 0;
  #broken: Error | null = null;
  #closed = false;

  private constructor(trainer: Trainer, width: number) {
    this.#trainer = trainer;
    this.width = width;
    this.#vars = trainer.variables;
    this.#offsets = [];
    let params = 0;
    for (const w of this.#vars) {
      this.#offsets.push(params);
      params += w.size;
    }
    this.#adam = adamConstants(trainer.optimizer);
    const { batch, latent } = trainer.config;
    const bins = trainer.corpus.bins;
    const maxRows = Math.ceil(batch / width);
    const { bytes } = stateLayout(params, width);
    const memory = adamMemory(bytes);
    this.#shared = {
      control: new SharedArrayBuffer(4 * CONTROL_SLOTS),
      params: new SharedArrayBuffer(8 * (PARAM_HEAD + 2 * width)),
      memory,
      state: memory?.buffer ?? new SharedArrayBuffer(bytes),
      size: params,
      width,
      inputs: new SharedArrayBuffer(4 * Math.max(1, (width - 1) * maxRows * bins)),
      stats: new SharedArrayBuffer(4 * width * (1 + latent)),
      kl: new SharedArrayBuffer(8 * width * latent),
      error: new SharedArrayBuffer(2048),
      maxRows,
    };
    this.#v = views(this.#shared);
  }

  /**
   * Starts `width - 1` helper threads for `trainer` on `backend` (the one the trainer computes with)
   * and waits until each has built its networks. Width 1 starts none and steps on this thread.
   */
  static async start(trainer: Trainer, width: number, backend: 'wasm' | 'cpu'): Promise<DataParallel> {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be ≥ 1, got ${width}`);
    const dp = new DataParallel(trainer, width);
    try {
      await Promise.all(Array.from({ length: width - 1 }, (_, i) => dp.#spawn(i + 1, backend)));
    } catch (error) {
      await dp.close();
      throw error;
    }
    return dp;
  }

  #spawn(index: number, backend: 'wasm' | 'cpu'): Promise<void> {
    const { preset, latent, loss, freeBits } = this.#trainer.config;
    const init: ShardWorkerInit = {
      index,
      width: this.width,
      backend,
      preset,
      bins: this.#trainer.corpus.bins,
      latent,
      loss,
      freeBits,
      adam: this.#adam,
      sizes: this.#vars.map((w) => w.size),
      shared: this.#shared,
    };
    const worker = new Worker(workerUrl('./shard-worker.js', import.meta.url), { workerData: init });
    this.#workers.push(worker);
    this.#exited.push(
      new Promise<void>((resolve) =>
        worker.once('exit', (code) => {
          // A helper that ends during a run fails the run, and wakes a step that waits for it.
          if (!this.#closed) reportFailure(this.#v, index, `the thread exited (code ${code})`);
          resolve();
        }),
      ),
    );
    return new Promise<void>((resolve, reject) => {
      worker.once('error', (error: Error) =>
        reject(new ShardFailure(`training thread ${index} failed: ${error.message}`)),
      );
      worker.once('message', (message: { type: string; reason?: string }) => {
        if (message.type === 'ready') resolve();
        else
          reject(
            new ShardFailure(`training thread ${index} failed to start: ${message.reason ?? message.type}`),
          );
      });
      worker.once('exit', (code) =>
        reject(new ShardFailure(`training thread ${index} exited while starting (code ${code})`)),
      );
    });
  }

  /** Helper threads running now (0 after close). */
  get liveHelpers(): number {
    return this.#workers.filter((w) => w.threadId !== -1).length;
  }

  /** Copies the trainer's weights and optimizer state into shared memory (an epoch's start). */
  async begin(): Promise<void> {
    this.#check();
    this.#state = await loadAdam(this.#trainer.optimizer, this.#vars, this.#v.weights, this.#v.m, this.#v.v);
  }

  /** Hands the optimizer state back to the trainer's AdamOptimizer (an epoch's end, stopped or not). */
  async end(): Promise<void> {
    if (this.#state === null) return;
    const state = this.#state;
    this.#state = null;
    await storeAdam(this.#trainer.optimizer, this.#vars, this.#v.m, this.#v.v, state);
  }

  #check(): void {
    if (this.#closed) throw new Error('the training threads are closed');
    if (this.#broken) throw this.#broken;
  }

  async step(x: tf.Tensor2D, seed: number, beta: number): Promise<tf.Tensor1D> {
    this.#check();
    if (this.#state === null) throw new Error('DataParallel.step outside begin()/end()');
    const v = this.#v;
    const { width } = this;
    const [rows, bins] = x.shape;
    const latent = this.#trainer.config.latent;
    const step = ++this.#step;
    const state = this.#state;
    const data = heapView(x) ?? (x.dataSync() as Float32Array);
    v.params[0] = rows;
    v.params[1] = seed;
    v.params[2] = beta;
    v.params[3] = Math.fround(1 - state.accBeta1);
    v.params[4] = Math.fround(1 - state.accBeta2);
    for (let k = 0; k < width; k++) {
      const shard = shardOf(rows, width, k);
      v.params[PARAM_HEAD + 2 * k] = shard.offset;
      v.params[PARAM_HEAD + 2 * k + 1] = shard.rows;
      if (k > 0)
        v.inputs.set(
          data.subarray(shard.offset * bins, (shard.offset + shard.rows) * bins),
          (k - 1) * v.maxRows * bins,
        );
    }
    Atomics.store(v.control, GO, step);
    Atomics.notify(v.control, GO);
    try {
      const p = readParams(v, step, width);
      const mine = p.shards[0];
      const xs = tf.slice(x, [0, 0], [mine.rows, bins]);
      try {
        const { encoder, decoder, config } = this.#trainer;
        shardGradient({ encoder, decoder, vars: this.#vars, config }, xs, p, v, 0, width, this.#offsets);
      } finally {
        xs.dispose();
      }
      await this.#arrive(GRADS, step * width);
      adamStretch(this.#adam, v, p, 0, width);
      await this.#arrive(UPDATED, step * width);
      assignWeights(this.#vars, v.weights, this.#offsets);
      this.#state = nextPowers(this.#adam, state);
      const sums = new Float32Array(1 + latent);
      for (let k = 0; k < width; k++) {
        if (p.shards[k].rows === 0) continue;
        for (let j = 0; j <= latent; j++) sums[j] = Math.fround(sums[j] + v.stats[k * (1 + latent) + j]);
      }
      return tf.tidy(() => tf.div(tf.tensor1d(sums), rows) as tf.Tensor1D);
    } catch (error) {
      // Helpers may still be inside this step: no later step can be trusted.
      this.#broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  /**
   * Counts the training thread in at control[index] and waits for `target` arrivals: polling first
   * (the usual case: the shards finish within a millisecond or two of each other), then waits that
   * let the event loop run, so that a helper's exit is seen.
   */
  async #arrive(index: number, target: number): Promise<void> {
    const v = this.#v;
    Atomics.add(v.control, index, 1);
    Atomics.notify(v.control, index);
    const spinUntil = performance.now() + SPIN_MS;
    for (;;) {
      const now = Atomics.load(v.control, index);
      if (now >= target) return;
      checkRunning(v);
      if (performance.now() < spinUntil) continue;
      const r = waitAsync(v.control, index, now, 1000);
      if (r.async) await r.value;
    }
  }

  /** Stops and ends every helper thread; resolves when all have exited. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      Atomics.store(this.#v.control, STOP, 1);
      for (let i = 0; i < CONTROL_SLOTS; i++) Atomics.notify(this.#v.control, i);
    }
    await Promise.all(this.#workers.map((w) => w.terminate()));
    await Promise.all(this.#exited);
  }
}

export const CONTROL = { GO, GRADS, UPDATED, EXCHANGE, STOP, FAILED } as const;
