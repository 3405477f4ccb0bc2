import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudioEvent } from '../../common/api.js';
import { initBackend, tf } from '../../ml/backend.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { packageRoot } from '../package-info.js';
import { Auditions } from './audition.js';

type Audio = Extract<StudioEvent, { type: 'audio' }>;
let model: VaeModel;

beforeAll(async () => {
  await initBackend('wasm');
  model = await VaeModel.load(join(packageRoot(), 'assets', 'demo', 'model'));
});
afterAll(() => model.dispose());

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live audition', () => {
  it('streams hops of sound paced by the clock, echoes a move, and stops', async () => {
    const chunks: Audio[] = [];
    const auditions = new Auditions((e) => {
      if (e.type === 'audio') chunks.push(e);
    });
    const tensors = tf.memory().numTensors;
    const started = performance.now();
    const { stream, sampleRate, hop } = await auditions.start(model, 0, 0);
    expect([sampleRate, hop]).toEqual([22050, 128]);
    await wait(300);
    const elapsed = (performance.now() - started) / 1000;
    const produced = chunks.reduce((n, c) => n + c.samples.length, 0) / sampleRate;
    // Paced by the wall clock: as much audio as time went by (plus a few hops of lead), not as fast as it can.
    expect(produced).toBeGreaterThan(0.5 * elapsed);
    expect(produced).toBeLessThan(elapsed + 0.05);
    expect(chunks.every((c) => c.stream === stream && c.samples.length % hop === 0)).toBe(true);
    const all = chunks.flatMap((c) => Array.from(c.samples));
    expect(all.every(Number.isFinite)).toBe(true);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(1e-3);

    const before = chunks.length;
    auditions.move(stream, 2, -1, 12345);
    const echoed = chunks.slice(before).find((c) => c.echo !== undefined);
    expect(echoed?.echo).toBe(12345);

    auditions.stop(stream);
    const after = chunks.length;
    await wait(50);
    expect(chunks.length).toBe(after);
    expect(tf.memory().numTensors).toBe(tensors);
    auditions.dispose();
  });
});
