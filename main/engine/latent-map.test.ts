import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../ml/backend.js';
import { packageRoot } from '../package-info.js';
import { LatentMaps } from './latent-map.js';
import { Project } from './project.js';

const demo = join(packageRoot(), 'assets', 'demo');
let project: Project;
const maps = new LatentMaps();

beforeAll(async () => {
  await initBackend('wasm');
  project = await Project.open(await mkdtemp(join(tmpdir(), 'vae-maps-')));
  for (const name of ['vowels.wav', 'plucks.wav'])
    await project.importSource(name, await readFile(join(demo, 'sources', name)));
  await cp(join(demo, 'model'), join(project.path, 'models', 'demo'), { recursive: true });
});
afterAll(() => maps.dispose());

const rmsDiff = (a: Float32Array, b: Float32Array) =>
  Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);

describe('latent maps and resynthesis', () => {
  it('maps the training frames the project still has, and says which are missing', async () => {
    const map = await maps.map(project, 'demo');
    expect(map.sources).toEqual(['plucks.wav', 'vowels.wav']);
    expect(map.missing.sort()).toEqual(['bells.wav', 'textures.wav']);
    expect(map.p1.length).toBe(map.frame.length);
    expect(map.dimMin.every((v, j) => v <= map.dimMax[j])).toBe(true);
  });

  it('morphs and offsets a recording in latent space: amount 0 is the plain resynthesis', async () => {
    const tensors = tf.memory().numTensors;
    const plain = (await maps.resynthesize(project, 'demo', 'vowels.wav', {})).samples;
    const none = (
      await maps.resynthesize(project, 'demo', 'vowels.wav', { morph: { target: 'plucks.wav', amount: 0 } })
    ).samples;
    const full = (
      await maps.resynthesize(project, 'demo', 'vowels.wav', { morph: { target: 'plucks.wav', amount: 1 } })
    ).samples;
    const moved = (
      await maps.resynthesize(project, 'demo', 'vowels.wav', { offset: { direction: 'axis1', amount: 2 } })
    ).samples;
    expect(none).toHaveLength(plain.length);
    expect(rmsDiff(none, plain)).toBeLessThan(1e-6);
    expect(rmsDiff(full, plain)).toBeGreaterThan(1e-3);
    expect(rmsDiff(moved, plain)).toBeGreaterThan(1e-3);
    await expect(
      maps.resynthesize(project, 'demo', 'vowels.wav', { offset: { direction: 40, amount: 1 } }),
    ).rejects.toThrow(/no z41/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
