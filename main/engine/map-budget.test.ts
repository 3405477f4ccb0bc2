// The latent map reads the project's frame cache and keeps within its point budget (every k-th frame
// of each source over it): main/engine/synthesis-ops.ts, ml/corpus/map-budget.ts.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../ml/backend.js';
import { mapStride } from '../../ml/corpus/map-budget.js';
import { tempDir } from '../../ml/vae/testing.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { packageRoot } from '../package-info.js';
import { computeMap } from './synthesis-ops.js';

const demo = join(packageRoot(), 'assets', 'demo');
let model: VaeModel;
let dir = '';
let remove = async () => {};

beforeAll(async () => {
  await initBackend('wasm');
  model = await VaeModel.load(join(demo, 'model'));
  ({ dir, remove } = await tempDir('vae-map-budget-'));
});
afterAll(async () => {
  model.dispose();
  await remove();
});

describe('the map of a big corpus', () => {
  it('reads the frame cache, gives the same points as analysing afresh, and keeps every k-th frame over the budget', async () => {
    const cache = join(dir, 'cache');
    const sources = ['plucks.wav', 'vowels.wav'].map((id) => ({ id, file: join(demo, 'sources', id) }));
    const fresh = await computeMap(model, 'demo', sources, []);
    const cached = await computeMap(
      model,
      'demo',
      sources.map((s) => ({ ...s, cache })),
      [],
    );
    expect((await readdir(cache)).filter((f) => f.endsWith('.f32'))).toHaveLength(2);
    expect(cached.frame).toEqual(fresh.frame);
    expect(cached.loudness).toEqual(fresh.loudness);
    expect(fresh.p1.reduce((m, v, i) => Math.max(m, Math.abs(v - cached.p1[i])), 0)).toBeLessThan(1e-5);
    const total = fresh.p1.length;
    const budget = Math.floor(total / 3.5);
    const k = mapStride(total, budget);
    expect(k).toBe(4);
    const small = await computeMap(
      model,
      'demo',
      sources.map((s) => ({ ...s, cache })),
      [],
      undefined,
      budget,
    );
    expect(small.p1.length).toBeLessThanOrEqual(budget);
    // Every k-th frame of each source from its first, with the point of that frame.
    const wanted = [0, 1].flatMap((s) =>
      Array.from(fresh.frame.filter((_, i) => fresh.source[i] === s && fresh.frame[i] % k === 0)),
    );
    expect(Array.from(small.frame)).toEqual(wanted);
    const at = (m: typeof fresh, s: number, f: number) =>
      m.p1[Array.from(m.frame).findIndex((g, i) => g === f && m.source[i] === s)];
    expect(at(small, 1, 4 * k)).toBeCloseTo(at(fresh, 1, 4 * k), 5);
  });
});
