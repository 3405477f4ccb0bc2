// Adam over flat float32 arrays, for data-parallel training (data-parallel.ts): every thread updates
// its own stretch of the parameters in shared memory, so the optimizer's step is split like the
// gradient. Each operation is the one tfjs's AdamOptimizer (4.x) does, in the same order, rounded to
// float32 after every operation as its kernels do, so a step here equals tf.train.adam's step (a
// test checks it bit for bit on the wasm backend). loadAdam and storeAdam move the state between a
// tfjs AdamOptimizer and the arrays at epoch boundaries, so checkpoints keep reading the optimizer.
import * as tf from '@tensorflow/tfjs-core';

const f32 = Math.fround;

/** An AdamOptimizer's constants (getConfig()). */
export interface AdamConstants {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export function adamConstants(optimizer: tf.AdamOptimizer): AdamConstants {
  const c = optimizer.getConfig() as Record<string, number>;
  return { learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon };
}

/**
 * One Adam step on elements [from, to): `grads` holds `shards` gradient vectors of `params` values
 * each, summed in shard order (shards whose `used` flag is false are skipped). `oneMinusAccBeta1`
 * and `…2` are 1 − beta^t before this step, as float32.
 */
/** Adam's constants for one step as float32 values, as adamRange and the wasm kernel (adam-wasm.ts) use them. */
export interface AdamFloats {
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  eps: number;
  negLr: number;
  o1: number;
  o2: number;
}

export function adamFloats(c: AdamConstants, oneMinusAccBeta1: number, oneMinusAccBeta2: number): AdamFloats {
  return {
    b1: f32(c.beta1),
    b2: f32(c.beta2),
    c1: f32(1 - c.beta1),
    c2: f32(1 - c.beta2),
    eps: f32(c.epsilon),
    negLr: f32(-c.learningRate),
    o1: f32(oneMinusAccBeta1),
    o2: f32(oneMinusAccBeta2),
  };
}

export function adamRange(
  c: AdamConstants,
  weights: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grads: Float32Array,
  params: number,
  used: readonly boolean[],
  oneMinusAccBeta1: number,
  oneMinusAccBeta2: number,
  from: number,
  to: number,
): void {
  const { b1, b2, c1, c2, eps, negLr, o1, o2 } = adamFloats(c, oneMinusAccBeta1, oneMinusAccBeta2);
  const shards: number[] = [];
  used.forEach((u, k) => {
    if (u) shards.push(k * params);
  });
  const first = shards[0];
  for (let i = from; i < to; i++) {
    let g = grads[first + i];
    for (let s = 1; s < shards.length; s++) g = f32(g + grads[shards[s] + i]);
    const mi = f32(f32(m[i] * b1) + f32(g * c1));
    const vi = f32(f32(v[i] * b2) + f32(f32(g * g) * c2));
    m[i] = mi;
    v[i] = vi;
    const mh = f32(mi / o1);
    const vh = f32(vi / o2);
    weights[i] = f32(f32(f32(mh / f32(f32(Math.sqrt(vh)) + eps)) * negLr) + weights[i]);
  }
}

/** What tfjs's AdamOptimizer keeps privately (checkpoint.ts reads the same two fields). */
interface AdamPrivate {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function powers(optimizer: tf.AdamOptimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const p = optimizer as unknown as AdamPrivate;
  if (!p.accBeta1 || !p.accBeta2) throw new Error('this tfjs AdamOptimizer has no accBeta1/accBeta2');
  return { accBeta1: p.accBeta1, accBeta2: p.accBeta2 };
}

/** The optimizer's state as flat arrays (m and v zero before its first step). */
export interface AdamState {
  iterations: number;
  accBeta1: number;
  accBeta2: number;
}

/**
 * Copies `vars` into `weights` and the optimizer's moments into `m` and `v` (laid out like the
 * variables, one after another); returns the step count and beta powers.
 */
export async function loadAdam(
  optimizer: tf.AdamOptimizer,
  vars: readonly tf.Variable[],
  weights: Float32Array,
  m: Float32Array,
  v: Float32Array,
): Promise<AdamState> {
  let at = 0;
  for (const w of vars) {
    weights.set(w.dataSync() as Float32Array, at);
    at += w.size;
  }
  const saved = await optimizer.getWeights();
  const [iter, ...moments] = saved;
  const iterations = (await iter.tensor.data())[0];
  iter.tensor.dispose();
  if (moments.length === 0) {
    m.fill(0);
    v.fill(0);
  } else {
    if (moments.length !== 2 * vars.length)
      throw new Error(`the optimizer holds ${moments.length / 2} moments for ${vars.length} variables`);
    // By position, as the optimizer itself pairs them with the variables (a restored optimizer's
    // moments keep the names of the run that saved them).
    at = 0;
    vars.forEach((w, i) => {
      const first = moments[i].tensor;
      const second = moments[vars.length + i].tensor;
      if (first.size !== w.size || second.size !== w.size)
        throw new Error(`the optimizer's moments for ${w.name} have ${first.size} values, not ${w.size}`);
      m.set(first.dataSync() as Float32Array, at);
      v.set(second.dataSync() as Float32Array, at);
      at += w.size;
    });
  }
  const p = powers(optimizer);
  return { iterations, accBeta1: p.accBeta1.dataSync()[0], accBeta2: p.accBeta2.dataSync()[0] };
}

/** Writes the arrays' moments, step count and beta powers back into the optimizer (the variables hold the weights already). */
export async function storeAdam(
  optimizer: tf.AdamOptimizer,
  vars: readonly tf.Variable[],
  m: Float32Array,
  v: Float32Array,
  state: AdamState,
): Promise<void> {
  // setWeights replaces the moment variables without releasing them: release the old ones here.
  const old = await optimizer.getWeights();
  old[0].tensor.dispose();
  const moments = (which: Float32Array, suffix: string) => {
    let at = 0;
    return vars.map((w) => {
      const tensor = tf.tensor(which.slice(at, at + w.size), w.shape, 'float32');
      at += w.size;
      return { name: `${w.name}/${suffix}`, tensor };
    });
  };
  const fresh = [
    { name: 'iter', tensor: tf.scalar(state.iterations, 'int32') },
    ...moments(m, 'm'),
    ...moments(v, 'v'),
  ];
  await optimizer.setWeights(fresh);
  // setWeights keeps variables made from the tensors; the tensors themselves go.
  tf.dispose(fresh.map((n) => n.tensor));
  tf.dispose(old.slice(1).map((n) => n.tensor));
  const p = powers(optimizer);
  tf.tidy(() => {
    p.accBeta1.assign(tf.scalar(state.accBeta1));
    p.accBeta2.assign(tf.scalar(state.accBeta2));
  });
}

/** The beta powers after one more step, as tfjs computes them (float32 products). */
export function nextPowers(c: AdamConstants, state: AdamState): AdamState {
  return {
    iterations: state.iterations + 1,
    accBeta1: f32(f32(state.accBeta1) * f32(c.beta1)),
    accBeta2: f32(f32(state.accBeta2) * f32(c.beta2)),
  };
}
