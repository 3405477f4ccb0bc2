import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../ml/backend.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { packageRoot } from '../package-info.js';
import { clampLatent, computeMap, renderLatent, resynthesizeFile } from './synthesis-ops.js';

const demo = join(packageRoot(), 'assets', 'demo');
const file = (name: string) => join(demo, 'sources', name);
let model: VaeModel;

beforeAll(async () => {
  await initBackend('wasm');
  model = await VaeModel.load(join(demo, 'model'));
});
afterAll(() => model.dispose());

const rmsDiff = (a: Float32Array, b: Float32Array) =>
  Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);
const peakDb = (x: Float32Array) => 20 * Math.log10(x.reduce((m, v) => Math.max(m, Math.abs(v)), 0));

describe('synthesis operations', () => {
  it('maps the training frames it is given, and passes on which are missing', async () => {
    const map = await computeMap(
      model,
      'demo',
      [
        { id: 'plucks.wav', file: file('plucks.wav') },
        { id: 'vowels.wav', file: file('vowels.wav') },
      ],
      ['bells.wav'],
    );
    expect(map.sources).toEqual(['plucks.wav', 'vowels.wav']);
    expect(map.missing).toEqual(['bells.wav']);
    expect(map.p1.length).toBe(map.frame.length);
    expect(new Set(map.source)).toEqual(new Set([0, 1]));
    expect(map.dimMin.every((v, j) => v <= map.dimMax[j])).toBe(true);
    await expect(computeMap(model, 'demo', [], ['bells.wav'])).rejects.toThrow(/none of the sounds/);
  });

  it('morphs and offsets a recording in latent space: amount 0 is the plain resynthesis', async () => {
    const tensors = tf.memory().numTensors;
    const vowels = file('vowels.wav');
    const plain = (await resynthesizeFile(model, 'demo', vowels, null, {})).samples;
    const morph = (amount: number) =>
      resynthesizeFile(model, 'demo', vowels, file('plucks.wav'), {
        morph: { target: 'plucks.wav', amount },
      });
    const none = (await morph(0)).samples;
    const full = (await morph(1)).samples;
    const moved = (
      await resynthesizeFile(model, 'demo', vowels, null, { offset: { direction: 'axis1', amount: 2 } })
    ).samples;
    expect(none).toHaveLength(plain.length);
    expect(rmsDiff(none, plain)).toBeLessThan(1e-6);
    expect(rmsDiff(full, plain)).toBeGreaterThan(1e-3);
    expect(rmsDiff(moved, plain)).toBeGreaterThan(1e-3);
    await expect(
      resynthesizeFile(model, 'demo', vowels, null, { offset: { direction: 40, amount: 1 } }),
    ).rejects.toThrow(/no z41/);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('clamps far-off latent vectors: no saturated blast, no NaN', async () => {
    const near = (await renderLatent(model, 'demo', Float32Array.from(model.studio.pca.mean), 0.3)).samples;
    const far = Float32Array.from(model.studio.pca.mean, (v) => v + 1e6);
    const huge = Float32Array.from(model.studio.pca.mean, () => 1e308);
    const farSound = (await renderLatent(model, 'demo', far, 0.3)).samples;
    const hugeSound = (await renderLatent(model, 'demo', huge, 0.3)).samples;
    expect(hugeSound.every(Number.isFinite)).toBe(true);
    // Unclamped, 1e6 gave +30 dBFS; clamped, it stays within the model's range of loudness.
    expect(peakDb(farSound)).toBeLessThan(0);
    expect(peakDb(near)).toBeLessThan(0);
    const clamped = clampLatent(model, far);
    const spread = Math.hypot(...model.studio.pca.std);
    const distance = Math.hypot(...clamped.map((v, d) => v - model.studio.pca.mean[d]));
    expect(distance).toBeCloseTo(4 * spread, 3);
    // A point within reach is left as it is.
    const inside = Float32Array.from(model.studio.pca.mean, (v, d) => v + 0.5 * model.studio.pca.std[d % 2]);
    expect(Array.from(clampLatent(model, inside))).toEqual(Array.from(inside));
  });
});
