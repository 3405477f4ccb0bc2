import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentFixture, speechFixture } from '../../test/fixtures.js';
import { loadAudioFile } from '../audio/load.js';
import { encodeWav } from '../audio/wav.js';
import { analyze } from '../features/analyze.js';
import { DEFAULT_FRAME_SETTINGS as S } from '../features/settings.js';
import { SeededRandom } from '../random.js';
import { buildCorpus, corpusRows, epochOrder, frameTotal } from '../vae/corpus.js';
import { tempDir } from '../vae/testing.js';
import { CHUNK_FRAMES, CachedFrames, POOL_CHUNKS, buildCachedCorpus } from './cached-corpus.js';
import {
  AnalysisCancelled,
  type CacheEntry,
  DESCRIPTORS,
  FrameCache,
  SEGMENT_FRAMES,
} from './frame-cache.js';

describe('the frame cache', () => {
  let dir = '';
  let remove = async () => {};
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('vae-frame-cache-'));
  });
  afterAll(() => remove());

  it('stores what analyze() makes, bit for bit, segment boundaries included, and reuses it', async () => {
    // Segments of 500 frames here (8192 by default), so their seams are crossed; a file of odd length
    // ends mid-hop.
    const long = join(dir, 'long.wav');
    const audio = await loadAudioFile(speechFixture(0).path, { sampleRate: S.sampleRate });
    const samples = new Float32Array(audio.samples.length + 77);
    samples.set(audio.samples);
    await writeFile(long, encodeWav(samples, S.sampleRate, '32f'));
    const segment = 500;
    const cache = new FrameCache(join(dir, 'cache'), { segmentFrames: segment });
    const progress: number[] = [];
    const entry = await cache.ensure(long, S, { onProgress: (f) => progress.push(f) });
    const want = analyze((await loadAudioFile(long)).samples, S, { descriptors: true });
    expect(entry.frames).toBe(want.frames);
    expect(entry.frames).toBeGreaterThan(2 * segment);
    expect(SEGMENT_FRAMES).toBe(8192);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toBe(1);
    const rows = new Float32Array(entry.frames * S.bins);
    cache.readAmplitude(entry, 0, entry.frames, rows);
    expect(Buffer.from(rows.buffer).equals(Buffer.from(want.amplitude.buffer))).toBe(true);
    const desc = cache.readDescriptors(entry, 0, entry.frames);
    const d = want.descriptors!;
    for (const f of [0, 1, segment - 1, segment, segment + 1, 2 * segment, entry.frames - 1]) {
      expect(Array.from(desc.subarray(f * DESCRIPTORS, (f + 1) * DESCRIPTORS))).toEqual(
        [d.rms[f], d.centroidHz[f], d.flatness[f], d.loudness[f]].map(Math.fround),
      );
    }
    // A second look finds it: the frames are not written again.
    const file = cache.amplitudePath(entry);
    const written = (await stat(file)).mtimeMs;
    const again = await cache.ensure(long, S);
    expect(again).toEqual(entry);
    expect((await stat(file)).mtimeMs).toBe(written);
    // Other frame settings are another entry; a changed file is analysed again.
    expect(await cache.lookup(long, { ...S, floorDb: -60 })).toBeNull();
    await utimes(long, new Date(), new Date(Date.now() + 5000));
    expect(await cache.lookup(long, S)).toBeNull();
    const redone = await cache.ensure(long, S);
    expect(redone.mtimeMs).not.toBe(entry.mtimeMs);
    expect(redone.frames).toBe(entry.frames);
  });

  it('a cancelled analysis leaves nothing behind; a bad file throws its AudioFileError', async () => {
    const cache = new FrameCache(join(dir, 'cancel'), { segmentFrames: 300 });
    let segments = 0;
    const long = join(dir, 'long.wav');
    await expect(cache.ensure(long, S, { shouldStop: () => ++segments > 1 })).rejects.toBeInstanceOf(
      AnalysisCancelled,
    );
    expect(await readdir(cache.dir)).toEqual([]);
    const bad = join(dir, 'bad.wav');
    await writeFile(bad, 'not a sound at all, only words'.repeat(10));
    await expect(cache.ensure(bad, S)).rejects.toThrow(/bad\.wav/);
  });

  it('a cached corpus equals the in-memory one: frames, split, reference, loudness; skips as buildCorpus does', async () => {
    const silent = join(dir, 'silent.wav');
    await writeFile(silent, encodeWav(new Float32Array(4000), S.sampleRate, '16'));
    const files = [speechFixture(0).path, silent, instrumentFixture(0).path];
    const memory = await buildCorpus(files, S);
    const seen: string[] = [];
    const progress: number[] = [];
    const cached = await buildCachedCorpus(files, S, join(dir, 'corpus'), {
      onSkip: (s) => seen.push(s.reason),
      onProgress: (done) => progress.push(done),
    });
    expect(seen).toEqual(['silent: nothing to learn from']);
    expect(cached.skipped).toEqual(memory.skipped);
    const a = memory.corpus;
    const b = cached.corpus;
    expect(b.sources).toEqual(a.sources);
    expect(b.ref).toBe(a.ref);
    expect(b.loudnessDb).toBe(a.loudnessDb);
    expect(Array.from(b.train)).toEqual(Array.from(a.train));
    expect(Array.from(b.heldOut)).toEqual(Array.from(a.heldOut));
    expect(frameTotal(b)).toBe(frameTotal(a));
    expect(() => b.frames).toThrow(/frame cache/);
    const all = Int32Array.from({ length: frameTotal(a) }, (_, i) => frameTotal(a) - 1 - i);
    const rowsB = Buffer.from(corpusRows(b, all, 0, all.length).buffer);
    expect(rowsB.equals(Buffer.from(corpusRows(a, all, 0, all.length).buffer))).toBe(true);
    // Under a pool of chunks the epoch order is the in-memory shuffle itself.
    expect(Array.from(epochOrder(b, new SeededRandom(3)))).toEqual(
      Array.from(epochOrder(a, new SeededRandom(3))),
    );
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(3);
  });

  it("an hour's epoch order reads chunk by chunk: a permutation that holds few chunks at a time", () => {
    const frames = 620_000; // an hour at 22.05 kHz, hop 128
    const entry = { frames, settings: S } as CacheEntry;
    const store = new CachedFrames(new FrameCache(join(dir, 'unused')), [entry], 1);
    const train = Int32Array.from({ length: frames }, (_, i) => i).filter((i) => i % 100 < 90);
    const order = store.order(train, new SeededRandom(1));
    expect(Array.from(order).sort((x, y) => x - y)).toEqual(Array.from(train));
    expect(Array.from(order.subarray(0, 20))).not.toEqual(Array.from(train.subarray(0, 20)));
    // Any stretch shorter than a pool (16 chunks' training frames) touches at most two pools' chunks.
    const span = Math.floor(POOL_CHUNKS * CHUNK_FRAMES * 0.85);
    for (let from = 0; from < order.length; from += span) {
      const chunks = new Set(
        Array.from(order.subarray(from, from + span), (g) => Math.floor(g / CHUNK_FRAMES)),
      );
      expect(chunks.size).toBeLessThanOrEqual(2 * POOL_CHUNKS);
    }
    // Two epochs differ.
    expect(Array.from(store.order(train, new SeededRandom(2)).subarray(0, 50))).not.toEqual(
      Array.from(order.subarray(0, 50)),
    );
  });
});
