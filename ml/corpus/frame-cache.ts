// The frame cache (docs/design.md, "Big corpora"): every source's amplitude frames (|STFT|, bins
// 0..255, float32, frame-major) and its meyda descriptors computed once and kept on disk, one entry
// per source file and frame settings, reused while the file (size, modification time, inode) and the
// settings are unchanged. Training reads shuffled chunks of it (cached-corpus.ts) and the latent map
// reads it too, so neither keeps a corpus's frames, nor its audio, in memory.
//
// An entry is three files named by a hash of the source's absolute path and the frame settings:
//   KEY.f32   amplitude frames, float32 little-endian, frames × bins
//   KEY.desc  descriptors, float32, frames × 4 (rms, centroid Hz, flatness, loudness)
//   KEY.json  what the entry was made from and what it holds; written last, so it marks a whole entry.
// Analysis runs file by file in segments of SEGMENT_FRAMES frames (the centred STFT of
// ml/features/analyze.ts, window by window, so the frames equal analyze()'s bit for bit).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AudioFileError } from '../audio/errors.js';
import { writeFileAtomic } from '../audio/files.js';
import { loadAudioFile } from '../audio/load.js';
import { analyze } from '../features/analyze.js';
import { gatedEnergy } from '../features/loudness.js';
import { type FrameSettings, frameCount } from '../features/settings.js';

/** Frames analysed (and written) at a time: about 48 s of audio at 22.05 kHz, 8 MiB of frames. */
export const SEGMENT_FRAMES = 8192;
/** Descriptors per frame in KEY.desc. */
export const DESCRIPTORS = 4;
const FORMAT = 'vae-studio-frames';
const VERSION = 1;

/** One source's cached analysis. */
export interface CacheEntry {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** The source's absolute path, and what identified its contents when it was analysed. */
  file: string;
  size: number;
  mtimeMs: number;
  ino: number;
  settings: FrameSettings;
  frames: number;
  /** Largest amplitude over all frames and bins. */
  peak: number;
  /** The gated energy of ml/features/loudness.ts (its sum of squares and sample count). */
  energy: number;
  energySamples: number;
  /** No sample reaches −140 dBFS: nothing to learn from, and no frames were written. */
  silent: boolean;
  createdAt: string;
}

export interface EnsureOptions {
  /** Fraction of this file analysed so far (0..1), after each segment. */
  onProgress?: (fraction: number) => void;
  /** Checked between segments; when true, analysis stops with an AnalysisCancelled. */
  shouldStop?: () => boolean;
}

/** Analysis stopped on request; nothing partial is left in the cache. */
export class AnalysisCancelled extends Error {
  override name = 'AnalysisCancelled';
}

/** A frame cache in a folder (made when first written). */
export class FrameCache {
  readonly dir: string;
  /** Frames analysed and written at a time (SEGMENT_FRAMES; smaller in tests). */
  readonly segmentFrames: number;

  constructor(dir: string, options: { segmentFrames?: number } = {}) {
    this.dir = resolve(dir);
    this.segmentFrames = options.segmentFrames ?? SEGMENT_FRAMES;
  }

  /** The entry's key: a hash of the source's absolute path and the frame settings. */
  key(file: string, settings: FrameSettings): string {
    const { sampleRate, windowSize, hop, bins, floorDb } = settings;
    return createHash('sha256')
      .update(JSON.stringify([VERSION, resolve(file), sampleRate, windowSize, hop, bins, floorDb]))
      .digest('hex')
      .slice(0, 32);
  }

  amplitudePath(entry: CacheEntry): string {
    return join(this.dir, `${this.key(entry.file, entry.settings)}.f32`);
  }

  descriptorPath(entry: CacheEntry): string {
    return join(this.dir, `${this.key(entry.file, entry.settings)}.desc`);
  }

  /** The cached entry for a file when it is still valid (same contents, settings and sizes), else null. */
  async lookup(file: string, settings: FrameSettings): Promise<CacheEntry | null> {
    const path = resolve(file);
    const info = await stat(path).catch(() => null);
    if (!info || !info.isFile()) return null;
    const key = this.key(path, settings);
    let entry: CacheEntry;
    try {
      entry = JSON.parse(await readFile(join(this.dir, `${key}.json`), 'utf8')) as CacheEntry;
    } catch {
      return null;
    }
    const same =
      entry.format === FORMAT &&
      entry.version === VERSION &&
      entry.file === path &&
      entry.size === info.size &&
      entry.mtimeMs === info.mtimeMs &&
      entry.ino === info.ino &&
      sameSettings(entry.settings, settings) &&
      Number.isInteger(entry.frames);
    if (!same) return null;
    if (entry.silent) return entry;
    const [amp, desc] = await Promise.all([
      stat(this.amplitudePath(entry)).catch(() => null),
      stat(this.descriptorPath(entry)).catch(() => null),
    ]);
    if (amp?.size !== entry.frames * settings.bins * 4 || desc?.size !== entry.frames * DESCRIPTORS * 4)
      return null;
    return entry;
  }

  /**
   * The file's entry: from the cache when valid, else analysed now (decoded, then framed segment by
   * segment straight to disk). A file that cannot be used throws its AudioFileError.
   */
  async ensure(file: string, settings: FrameSettings, options: EnsureOptions = {}): Promise<CacheEntry> {
    const cached = await this.lookup(file, settings);
    if (cached) {
      options.onProgress?.(1);
      return cached;
    }
    return this.#analyse(resolve(file), settings, options);
  }

  async #analyse(path: string, settings: FrameSettings, options: EnsureOptions): Promise<CacheEntry> {
    const before = await stat(path).catch(() => null);
    const audio = await loadAudioFile(path, {
      sampleRate: settings.sampleRate,
      minSamples: settings.windowSize,
    });
    const key = this.key(path, settings);
    const meta = join(this.dir, `${key}.json`);
    await mkdir(this.dir, { recursive: true });
    // The old record goes first: a crash below must not leave it describing new frames.
    await rm(meta, { force: true });
    const base: Omit<CacheEntry, 'frames' | 'peak' | 'silent'> = {
      format: FORMAT,
      version: VERSION,
      file: path,
      size: before?.size ?? 0,
      mtimeMs: before?.mtimeMs ?? 0,
      ino: before?.ino ?? 0,
      settings: { ...settings },
      energy: 0,
      energySamples: 0,
      createdAt: new Date().toISOString(),
    };
    let entry: CacheEntry;
    if (audio.silent) {
      entry = { ...base, frames: 0, peak: 0, silent: true };
    } else {
      const gated = gatedEnergy(audio.samples);
      const { frames, peak } = await this.#writeFrames(key, audio.samples, settings, options);
      entry = { ...base, energy: gated.energy, energySamples: gated.samples, frames, peak, silent: false };
    }
    await writeFileAtomic(meta, Buffer.from(JSON.stringify(entry)), { overwrite: true });
    return entry;
  }

  async #writeFrames(
    key: string,
    samples: Float32Array,
    settings: FrameSettings,
    options: EnsureOptions,
  ): Promise<{ frames: number; peak: number }> {
    const { hop, windowSize: n, bins } = settings;
    if ((n / 2) % hop !== 0)
      throw new RangeError(`half a window (${n / 2}) must be a whole number of hops (${hop})`);
    const total = frameCount(samples.length, hop);
    const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
    const ampTemp = join(this.dir, `.${key}.f32${suffix}`);
    const descTemp = join(this.dir, `.${key}.desc${suffix}`);
    const amp = await open(ampTemp, 'wx');
    const desc = await open(descTemp, 'wx').catch(async (err: unknown) => {
      await amp.close();
      throw err;
    });
    let peak = 0;
    try {
      const half = n / 2;
      for (let f0 = 0; f0 < total; f0 += this.segmentFrames) {
        if (options.shouldStop?.()) throw new AnalysisCancelled('analysis cancelled');
        const f1 = Math.min(total, f0 + this.segmentFrames);
        // The samples every window of frames f0..f1-1 reads, zeros outside the signal; frame f is
        // centred on sample hop·f, which is index hop·(f − f0) + half here.
        const start = hop * f0 - half;
        const segment = new Float32Array(hop * (f1 - 1 - f0) + n);
        const from = Math.max(0, start);
        const to = Math.min(samples.length, start + segment.length);
        if (to > from) segment.set(samples.subarray(from, to), from - start);
        const a = analyze(segment, settings, { descriptors: true });
        const skip = half / hop;
        const count = f1 - f0;
        const rows = a.amplitude.subarray(skip * bins, (skip + count) * bins);
        for (let i = 0; i < rows.length; i++) if (rows[i] > peak) peak = rows[i];
        const d = new Float32Array(count * DESCRIPTORS);
        const { rms, centroidHz, flatness, loudness } = a.descriptors!;
        for (let i = 0; i < count; i++) {
          d[i * DESCRIPTORS] = rms[skip + i];
          d[i * DESCRIPTORS + 1] = centroidHz[skip + i];
          d[i * DESCRIPTORS + 2] = flatness[skip + i];
          d[i * DESCRIPTORS + 3] = loudness[skip + i];
        }
        await amp.write(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
        await desc.write(new Uint8Array(d.buffer));
        options.onProgress?.(f1 / total);
        // Let the thread answer messages between segments.
        await new Promise((r) => setImmediate(r));
      }
      await amp.close();
      await desc.close();
      await rename(ampTemp, join(this.dir, `${key}.f32`));
      await rename(descTemp, join(this.dir, `${key}.desc`));
    } catch (err) {
      await amp.close().catch(() => undefined);
      await desc.close().catch(() => undefined);
      throw err;
    } finally {
      await rm(ampTemp, { force: true }).catch(() => undefined);
      await rm(descTemp, { force: true }).catch(() => undefined);
    }
    return { frames: total, peak };
  }

  /** Amplitude rows [from, from + count) of an entry into `out` (count × bins). */
  readAmplitude(entry: CacheEntry, from: number, count: number, out: Float32Array): void {
    readRows(this.amplitudePath(entry), from * entry.settings.bins * 4, out, count * entry.settings.bins);
  }

  /** Descriptor rows [from, from + count) of an entry (count × DESCRIPTORS). */
  readDescriptors(entry: CacheEntry, from: number, count: number): Float32Array {
    const out = new Float32Array(count * DESCRIPTORS);
    readRows(this.descriptorPath(entry), from * DESCRIPTORS * 4, out, count * DESCRIPTORS);
    return out;
  }
}

/** Reads `values` float32s from `path` at byte `offset` into `out` (synchronously: the callers loop per chunk). */
function readRows(path: string, offset: number, out: Float32Array, values: number): void {
  const bytes = new Uint8Array(out.buffer, out.byteOffset, values * 4);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new AudioFileError(path, `the frame cache cannot be read (${(err as Error).message})`);
  }
  try {
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, bytes.length - done, offset + done);
      if (got === 0) throw new AudioFileError(path, 'the frame cache ends early (changed while in use?)');
      done += got;
    }
  } finally {
    closeSync(fd);
  }
}

function sameSettings(a: FrameSettings, b: FrameSettings): boolean {
  return (
    a.sampleRate === b.sampleRate &&
    a.windowSize === b.windowSize &&
    a.hop === b.hop &&
    a.bins === b.bins &&
    a.floorDb === b.floorDb
  );
}
