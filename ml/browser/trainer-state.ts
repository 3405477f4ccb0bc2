// A Trainer's whole state as plain data and back (the compute page and the engine exchange it
// after every epoch), holding the same values checkpoint.ts writes: the two networks' weights,
// Adam's moments, its iteration count and bias-correction powers, the epoch, the PRNG and the
// history. No Node, no DOM.
import * as tf from '@tensorflow/tfjs-core';
import type { Trainer } from '../vae/trainer.js';
import type { TrainerState } from './protocol.js';

function adamPowers(optimizer: tf.AdamOptimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const powers = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (!powers.accBeta1 || !powers.accBeta2)
    throw new Error('this tfjs AdamOptimizer has no accBeta1/accBeta2');
  return { accBeta1: powers.accBeta1, accBeta2: powers.accBeta2 };
}

/** Reads the trainer's state off the device (copies: the result owns no tensor). */
export async function captureState(trainer: Trainer): Promise<TrainerState> {
  const optimizer = await trainer.optimizer.getWeights();
  const named: { name: string; tensor: tf.Tensor; owned: boolean }[] = [
    ...trainer.encoder.getWeights().map((t, i) => ({ name: `encoder/${i}`, tensor: t, owned: false })),
    ...trainer.decoder.getWeights().map((t, i) => ({ name: `decoder/${i}`, tensor: t, owned: false })),
    // getWeights() makes a fresh tensor for the iteration count; the moments are the optimizer's own.
    ...optimizer.map((w) => ({ name: `optimizer/${w.name}`, tensor: w.tensor, owned: w.name === 'iter' })),
  ];
  try {
    const tensors: TrainerState['tensors'] = [];
    for (const { name, tensor } of named) {
      const data = await tensor.data();
      const values = tensor.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
      tensors.push({
        name,
        shape: tensor.shape.slice(),
        dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
        values,
      });
    }
    const powers = adamPowers(trainer.optimizer);
    const [b1] = await powers.accBeta1.data();
    const [b2] = await powers.accBeta2.data();
    return {
      epoch: trainer.epoch,
      rng: trainer.rng.state,
      adamBetaPowers: [b1, b2],
      history: trainer.history.map((h) => ({ ...h })),
      tensors,
    };
  } finally {
    for (const n of named) if (n.owned) n.tensor.dispose();
  }
}

/** Puts a captured state into a trainer of the same configuration (shapes are checked). */
export async function applyState(trainer: Trainer, state: TrainerState): Promise<void> {
  const made: tf.Tensor[] = [];
  try {
    const tensor = (name: string): tf.Tensor => {
      const spec = state.tensors.find((t) => t.name === name);
      if (!spec) throw new Error(`trainer state has no ${name}`);
      const t = tf.tensor(spec.values, spec.shape, spec.dtype);
      made.push(t);
      return t;
    };
    for (const [model, prefix] of [
      [trainer.encoder, 'encoder'],
      [trainer.decoder, 'decoder'],
    ] as const) {
      const expected = model.getWeights();
      const weights = expected.map((_, i) => tensor(`${prefix}/${i}`));
      const wrong = weights.findIndex((w, i) => w.shape.join() !== expected[i].shape.join());
      if (wrong >= 0) throw new Error(`trainer state: ${prefix}/${wrong} has the wrong shape`);
      model.setWeights(weights);
    }
    const optimizer = state.tensors
      .filter((t) => t.name.startsWith('optimizer/'))
      .map((t) => ({ name: t.name.slice('optimizer/'.length), tensor: tensor(t.name) }));
    // Adam's setWeights makes new moment variables without releasing the old ones.
    const adam = trainer.optimizer as unknown as {
      accumulatedFirstMoment?: { variable: tf.Variable }[];
      accumulatedSecondMoment?: { variable: tf.Variable }[];
    };
    const old = [...(adam.accumulatedFirstMoment ?? []), ...(adam.accumulatedSecondMoment ?? [])];
    await trainer.optimizer.setWeights(optimizer);
    tf.dispose(old.map((m) => m.variable));
    const powers = adamPowers(trainer.optimizer);
    tf.tidy(() => {
      powers.accBeta1.assign(tf.scalar(state.adamBetaPowers[0]));
      powers.accBeta2.assign(tf.scalar(state.adamBetaPowers[1]));
    });
    trainer.epoch = state.epoch;
    trainer.rng.state = state.rng;
    trainer.history = state.history.map((h) => ({ ...h }));
  } finally {
    tf.dispose(made);
  }
}
