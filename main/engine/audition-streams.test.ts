import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../ml/backend.js';
import { packageRoot } from '../package-info.js';
import { AuditionStreams, GLIDE_HOPS, MAX_AHEAD_HOPS } from './audition-streams.js';
import { ModelCache } from './model-cache.js';

const folder = join(packageRoot(), 'assets', 'demo', 'model');
let models: ModelCache;

beforeAll(async () => {
  await initBackend('wasm');
  models = new ModelCache();
});
afterAll(() => models.dispose());

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const chunks: {
    stream: number;
    samples: Float32Array;
    echo: number | undefined;
    echoAt?: number;
    trace?: Float32Array;
  }[] = [];
  const ended: { stream: number; reason: string }[] = [];
  return {
    chunks,
    ended,
    out: {
      audio: (
        stream: number,
        samples: Float32Array,
        echo: { sentAt: number; at: number } | undefined,
        trace?: Float32Array,
      ) =>
        chunks.push({
          stream,
          samples: samples.slice(),
          echo: echo?.sentAt,
          echoAt: echo?.at,
          trace: trace?.slice(),
        }),
      ended: (stream: number, reason: string) => ended.push({ stream, reason }),
    },
  };
}

describe('live audition streams', () => {
  it('streams hops of sound paced by the clock, echoes a move, and stops', async () => {
    const { chunks, ended, out } = recorder();
    const streams = new AuditionStreams(out);
    const lease = await models.acquire(folder);
    const tensors = tf.memory().numTensors;
    const started = performance.now();
    const { stream, sampleRate, hop } = await streams.start(7, folder, lease, 0, 0);
    expect([stream, sampleRate, hop]).toEqual([7, 22050, 128]);
    await wait(300);
    const elapsed = (performance.now() - started) / 1000;
    const produced = chunks.reduce((n, c) => n + c.samples.length, 0) / sampleRate;
    // Paced by the wall clock: as much audio as time went by (plus a few hops of lead), not as fast as it can.
    expect(produced).toBeGreaterThan(0.5 * elapsed);
    expect(produced).toBeLessThan(elapsed + 0.05);
    expect(chunks.every((c) => c.stream === 7 && c.samples.length % hop === 0)).toBe(true);
    const all = chunks.flatMap((c) => Array.from(c.samples));
    expect(all.every(Number.isFinite)).toBe(true);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(1e-3);

    const before = chunks.length;
    streams.move(7, 2, -1, 12345);
    await wait(30);
    const echoed = chunks.slice(before).find((c) => c.echo !== undefined);
    expect(echoed?.echo).toBe(12345);

    streams.stop(7);
    const after = chunks.length;
    await wait(50);
    expect(chunks.length).toBe(after);
    expect(ended).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
    streams.dispose();
  });

  it('never runs ahead of real time by more than a fixed bound, however fast the pointer moves', async () => {
    const { chunks, out } = recorder();
    const streams = new AuditionStreams(out);
    const { sampleRate, hop } = await streams.start(1, folder, await models.acquire(folder), 0, 0);
    const started = performance.now();
    // 2,000 moves in a burst: at ~86 Hz and above the old stream's queue grew without bound.
    for (let i = 0; i < 2000; i++) streams.move(1, Math.sin(i), Math.cos(i), i);
    await wait(200);
    const elapsedHops = ((performance.now() - started) / 1000) * (sampleRate / hop);
    const producedHops = chunks.reduce((n, c) => n + c.samples.length, 0) / hop;
    expect(producedHops).toBeLessThanOrEqual(elapsedHops + MAX_AHEAD_HOPS + 1);
    streams.dispose();
  });

  it('an error inside the stream ends that stream with the reason, and nothing else', async () => {
    const { ended, out } = recorder();
    const streams = new AuditionStreams(out);
    const lease = await models.acquire(folder);
    await streams.start(2, folder, lease, 0, 0);
    // The model disposed under the stream: its next decode throws inside the timer.
    lease.model.dispose();
    await wait(50);
    expect(ended).toHaveLength(1);
    expect(ended[0].stream).toBe(2);
    expect(ended[0].reason).toMatch(/error: .*disposed/);
    expect(streams.size).toBe(0);
    streams.dispose();
    models.forget(folder);
  });

  it('says why a stream ends by itself: idle, or its model deleted', async () => {
    const { ended, out } = recorder();
    const streams = new AuditionStreams(out, { idleMs: 100 });
    await streams.start(3, folder, await models.acquire(folder), 0, 0);
    await streams.start(4, 'other', await models.acquire(folder), 0, 0);
    streams.endModel('other', 'its model was deleted');
    expect(ended).toEqual([{ stream: 4, reason: 'its model was deleted' }]);
    await wait(250);
    expect(ended[1]).toEqual({ stream: 3, reason: 'no move for 0 s' });
    expect(streams.size).toBe(0);
  });

  it('glides to a new point over GLIDE_HOPS hops, traced hop by hop', async () => {
    const { chunks, out } = recorder();
    const streams = new AuditionStreams(out);
    const lease = await models.acquire(folder);
    const d = lease.model.latent;
    await streams.start(5, folder, lease, 0, 0, { trace: true });
    await wait(50);
    const before = chunks.length;
    const from = chunks.at(-1)!.trace!.slice(-d);
    const to = lease.model.mapPointToLatent(1, -1);
    streams.moveTo(5, to, 1);
    await wait(100);
    const frames = chunks
      .slice(before)
      .flatMap((c) =>
        Array.from({ length: c.trace!.length / d }, (_, f) => c.trace!.slice(f * d, (f + 1) * d)),
      );
    const along = (z: Float32Array) => {
      let num = 0;
      let den = 0;
      for (let j = 0; j < d; j++) {
        num += (z[j] - from[j]) * (to[j] - from[j]);
        den += (to[j] - from[j]) ** 2;
      }
      return num / den;
    };
    expect(frames.slice(0, GLIDE_HOPS + 1).map((z) => along(z))).toEqual(
      [1 / 3, 2 / 3, 1, 1].map((v) => expect.closeTo(v, 4)),
    );
    // The echo names the sample where the glide's first frame sounds: RTPGHI gives out each push's
    // previous frame, so it is the hop after the one whose frame was the glide's first.
    const at = chunks.findIndex((c) => c.echo === 1);
    const echoed = chunks[at];
    const hop = lease.model.studio.frames.hop;
    const k = echoed.echoAt! / hop;
    expect(Number.isInteger(k)).toBe(true);
    const frameBefore = k > 0 ? echoed.trace!.slice((k - 1) * d, k * d) : chunks[at - 1].trace!.slice(-d);
    expect(along(frameBefore)).toBeCloseTo(1 / 3, 4);
    streams.dispose();
  });
});
