// The state the compute page and the worker's mirror exchange after every epoch: a Trainer that
// takes another's state continues exactly as the other does (what makes a run trained in the page
// checkpoint and resume like one trained in the worker), and taking a state leaks no tensor.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { encodeMessage, decodeMessage } from '../../common/codec.js';
import { reportNumbers, sameValues, snapshot, tinyConfig, tinyCorpus } from '../vae/testing.js';
import { Trainer } from '../vae/trainer.js';
import type { TrainerState } from './protocol.js';
import { applyState, captureState } from './trainer-state.js';

beforeAll(async () => {
  await initBackend('wasm');
});
const live: Trainer[] = [];
afterEach(() => live.splice(0).forEach((t) => t.dispose()));
const keep = (t: Trainer) => (live.push(t), t);

describe('trainer state', () => {
  it('moves a run into another Trainer bit for bit, through the wire format, without leaking', async () => {
    const corpus = tinyCorpus();
    const config = tinyConfig({ seed: 5 });
    const a = keep(new Trainer(config, corpus));
    await a.runEpoch();
    // The mirror: a fresh trainer of the same configuration (other initial weights until it takes the state).
    const b = keep(new Trainer({ ...config, seed: 99 }, corpus));
    const state = decodeMessage(encodeMessage(await captureState(a))) as TrainerState;
    await applyState(b, state);
    expect(b.epoch).toBe(1);
    expect(b.rng.state).toBe(a.rng.state);
    expect(sameValues(snapshot(b.variables), snapshot(a.variables))).toBe(true);

    // Taking a state again (every epoch) releases what the last one made.
    const before = tf.memory().numTensors;
    await applyState(b, decodeMessage(encodeMessage(await captureState(a))) as TrainerState);
    expect(tf.memory().numTensors).toBe(before);

    // Both go on identically: same report, same weights (Adam's moments and powers came along).
    const ra = (await a.runEpoch())!;
    const rb = (await b.runEpoch())!;
    expect(reportNumbers(rb)).toEqual(reportNumbers(ra));
    expect(sameValues(snapshot(b.variables), snapshot(a.variables))).toBe(true);
  });

  it('refuses a state of another shape', async () => {
    const corpus = tinyCorpus();
    const a = keep(new Trainer(tinyConfig({ latent: 3 }), corpus));
    const b = keep(new Trainer(tinyConfig({ latent: 4 }), corpus));
    await expect(applyState(b, await captureState(a))).rejects.toThrow(/wrong shape/);
  });
});
