// A training corpus read from the frame cache (frame-cache.ts) in bounded memory: sources are
// analysed file by file into the cache, and training reads shuffled chunks of CHUNK_FRAMES frames,
// holding at most POOL_CHUNKS (+ a little) of them in memory at once. The frames are the same as an
// in-memory corpus's (ml/vae/corpus.ts, buildCorpus) bit for bit, and so is the epoch order while
// every training frame fits one pool (65,536 frames, about 6 minutes of audio).
import { basename } from 'node:path';
import { AudioFileError } from '../audio/errors.js';
import type { FrameSettings } from '../features/settings.js';
import type { SeededRandom } from '../random.js';
import { type Corpus, type FrameStore, type SkippedFile, heldOutCount } from '../vae/corpus.js';
import { type CacheEntry, FrameCache } from './frame-cache.js';

/** Frames per chunk: what is read from disk at once (4 MiB of 256-bin frames). */
export const CHUNK_FRAMES = 4096;
/** Chunks shuffled together: an epoch's order mixes frames within pools of this many chunks. */
export const POOL_CHUNKS = 16;

/** Unit frames of amplitude rows against `ref`, in place (the arithmetic of toUnitFrames, ml/features/scale.ts). */
function toUnitInPlace(rows: Float32Array, ref: number, floorDb: number): void {
  const minRatio = 10 ** (floorDb / 20);
  for (let i = 0; i < rows.length; i++) {
    const ratio = rows[i] / ref;
    if (ratio <= minRatio) rows[i] = 0;
    else if (ratio >= 1) rows[i] = 1;
    else rows[i] = (20 * Math.log10(ratio) - floorDb) / -floorDb;
  }
}

/**
 * Frames on disk read a chunk at a time through `read` (frames [from, from + count) into `out`, in
 * [0, 1]), keeping the last few chunks; an epoch's order shuffles chunks, then frames within pools.
 */
export class ChunkedFrames implements FrameStore {
  readonly count: number;
  readonly #bins: number;
  readonly #read: (from: number, count: number, out: Float32Array) => void;
  /** Recently read chunks, least recently used first. */
  readonly #chunks = new Map<number, Float32Array>();
  readonly #capacity = POOL_CHUNKS + 2;
  /** Chunks read from disk so far (for tests and the bench). */
  chunkReads = 0;

  constructor(count: number, bins: number, read: (from: number, count: number, out: Float32Array) => void) {
    this.count = count;
    this.#bins = bins;
    this.#read = read;
  }

  #chunk(c: number): Float32Array {
    const hit = this.#chunks.get(c);
    if (hit) {
      this.#chunks.delete(c);
      this.#chunks.set(c, hit);
      return hit;
    }
    const bins = this.#bins;
    const from = c * CHUNK_FRAMES;
    const to = Math.min(this.count, from + CHUNK_FRAMES);
    const rows = new Float32Array((to - from) * bins);
    this.#read(from, to - from, rows);
    this.chunkReads++;
    this.#chunks.set(c, rows);
    if (this.#chunks.size > this.#capacity) this.#chunks.delete(this.#chunks.keys().next().value!);
    return rows;
  }

  rows(indices: Int32Array, from: number, to: number): Float32Array {
    const bins = this.#bins;
    const out = new Float32Array((to - from) * bins);
    for (let i = from; i < to; i++) {
      const g = indices[i];
      if (!(g >= 0 && g < this.count))
        throw new RangeError(`frame ${g} is outside the corpus (${this.count})`);
      const c = Math.floor(g / CHUNK_FRAMES);
      const local = g - c * CHUNK_FRAMES;
      out.set(this.#chunk(c).subarray(local * bins, (local + 1) * bins), (i - from) * bins);
    }
    return out;
  }

  order(train: Int32Array, rng: SeededRandom): Int32Array {
    if (train.length <= POOL_CHUNKS * CHUNK_FRAMES) return rng.shuffle(Int32Array.from(train));
    // Runs of `train` (ascending) by chunk, in a shuffled order; then frames shuffled within each
    // pool of POOL_CHUNKS runs, so an epoch reads every chunk about once.
    const starts: number[] = [];
    for (let i = 0; i < train.length; i++) {
      if (i === 0 || Math.floor(train[i] / CHUNK_FRAMES) !== Math.floor(train[i - 1] / CHUNK_FRAMES))
        starts.push(i);
    }
    starts.push(train.length);
    const runs = rng.shuffle(Int32Array.from({ length: starts.length - 1 }, (_, i) => i));
    const out = new Int32Array(train.length);
    let at = 0;
    for (let p = 0; p < runs.length; p += POOL_CHUNKS) {
      const poolStart = at;
      for (const r of runs.subarray(p, p + POOL_CHUNKS)) {
        out.set(train.subarray(starts[r], starts[r + 1]), at);
        at += starts[r + 1] - starts[r];
      }
      rng.shuffle(out.subarray(poolStart, at));
    }
    return out;
  }
}

/** The frames of cached sources, scaled against `ref` as they are read. */
export class CachedFrames extends ChunkedFrames {
  constructor(cache: FrameCache, entries: CacheEntry[], ref: number) {
    const offsets = [0];
    for (const e of entries) offsets.push(offsets[offsets.length - 1] + e.frames);
    const bins = entries[0]?.settings.bins ?? 0;
    const floorDb = entries[0]?.settings.floorDb ?? -80;
    super(offsets[offsets.length - 1], bins, (from, count, rows) => {
      const to = from + count;
      // The sources these frames span: the last source starting at or before `from`, and on.
      let s = 0;
      while (offsets[s + 1] <= from) s++;
      for (let at = from; at < to; s++) {
        const end = Math.min(to, offsets[s + 1]);
        if (end > at) {
          const part = rows.subarray((at - from) * bins, (end - from) * bins);
          cache.readAmplitude(entries[s], at - offsets[s], end - at, part);
        }
        at = end;
      }
      toUnitInPlace(rows, ref, floorDb);
    });
  }
}

export interface CachedCorpusOptions {
  onSkip?: (skipped: SkippedFile) => void;
  /** Files analysed so far (fractional) of all, and the file at hand. */
  onProgress?: (done: number, total: number, file: string) => void;
  shouldStop?: () => boolean;
}

/**
 * The corpus of `files` through the frame cache in `cacheDir`: each file analysed once (or found
 * there), bad, too short and silent ones skipped with their reasons, frames scaled against the
 * loudest frame of all, the last 10 % of each source held out. Only the sources' figures are kept
 * in memory; the frames stay in the cache. Throws when no file is usable.
 */
export async function buildCachedCorpus(
  files: string[],
  settings: FrameSettings,
  cacheDir: string,
  options: CachedCorpusOptions = {},
): Promise<{ corpus: Corpus; skipped: SkippedFile[]; cache: FrameCache; entries: CacheEntry[] }> {
  const cache = new FrameCache(cacheDir);
  const skipped: SkippedFile[] = [];
  const entries: CacheEntry[] = [];
  const names: string[] = [];
  const skip = (file: string, reason: string) => {
    skipped.push({ file, reason });
    options.onSkip?.(skipped[skipped.length - 1]);
  };
  for (const [i, file] of files.entries()) {
    options.onProgress?.(i, files.length, file);
    try {
      const entry = await cache.ensure(file, settings, {
        shouldStop: options.shouldStop,
        onProgress: (fraction) => options.onProgress?.(i + fraction, files.length, file),
      });
      if (entry.silent) skip(file, 'silent: nothing to learn from');
      else {
        entries.push(entry);
        names.push(basename(file));
      }
    } catch (err) {
      if (!(err instanceof AudioFileError)) throw err;
      skip(file, err.reason);
    }
  }
  if (entries.length === 0) {
    throw new AudioFileError(
      files.length === 1 ? files[0] : `${files.length} inputs`,
      'no usable audio to train on',
    );
  }
  const ref = Math.max(...entries.map((e) => e.peak));
  const total = entries.reduce((n, e) => n + e.frames, 0);
  const heldTotal = entries.reduce((n, e) => n + heldOutCount(e.frames), 0);
  const train = new Int32Array(total - heldTotal);
  const heldOut = new Int32Array(heldTotal);
  const sources: Corpus['sources'] = [];
  let at = 0;
  let t = 0;
  let h = 0;
  for (const [i, e] of entries.entries()) {
    const held = heldOutCount(e.frames);
    for (let f = 0; f < e.frames; f++) {
      if (f < e.frames - held) train[t++] = at + f;
      else heldOut[h++] = at + f;
    }
    sources.push({ name: names[i], frames: e.frames, heldOut: held });
    at += e.frames;
  }
  const energy = entries.reduce((s, e) => s + e.energy, 0);
  const counted = entries.reduce((s, e) => s + e.energySamples, 0);
  const store = new CachedFrames(cache, entries, ref);
  const corpus: Corpus = {
    bins: settings.bins,
    get frames(): Float32Array {
      throw new Error('the corpus frames are in the frame cache: read them with corpusRows()');
    },
    store,
    sources,
    train,
    heldOut,
    ref,
    ...(counted > 0 && energy > 0 ? { loudnessDb: 10 * Math.log10(energy / counted) } : {}),
  };
  return { corpus, skipped, cache, entries };
}
