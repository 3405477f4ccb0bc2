import { cp, mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../ml/backend.js';
import { packageRoot } from '../package-info.js';
import { ModelCache } from './model-cache.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'vae-cache-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const demoModel = join(packageRoot(), 'assets', 'demo', 'model');

describe('the model cache', () => {
  it('keeps a model alive while leased, through a rename, a rewrite on disk and a forget', async () => {
    const folder = join(dir, 'a');
    await cp(demoModel, folder, { recursive: true });
    const cache = new ModelCache();
    const tensors = tf.memory().numTensors;
    const first = await cache.acquire(folder);
    const again = await cache.acquire(folder);
    expect(again.model).toBe(first.model);
    again.release();

    // Renamed: the same model under the new folder, nothing disposed.
    await rename(folder, join(dir, 'b'));
    cache.rekey(folder, join(dir, 'b'));
    const renamed = await cache.acquire(join(dir, 'b'));
    expect(renamed.model).toBe(first.model);
    renamed.release();

    // studio.json rewritten (a CLI run): a new model for new leases; the old one still decodes.
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, 'b', 'studio.json'), later, later);
    const fresh = await cache.acquire(join(dir, 'b'));
    expect(fresh.model).not.toBe(first.model);
    expect(first.model.decode(new Float32Array(first.model.latent)).length).toBe(256);
    expect(cache.size).toBe(2);

    // Forgotten (deleted): the leased models live until released, then go.
    cache.forget(join(dir, 'b'));
    expect(first.model.decode(new Float32Array(first.model.latent)).length).toBe(256);
    first.release();
    first.release(); // a second release does nothing
    fresh.release();
    expect(cache.size).toBe(0);
    expect(tf.memory().numTensors).toBe(tensors);
    await expect(cache.acquire(join(dir, 'nothing'))).rejects.toThrow(/no model/);
    cache.dispose();
  });
});
