import { randomBytes } from 'node:crypto';
import { type BigIntStats, type Stats, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { moveFile, naming, writeFileAtomic } from '../ml/audio/files.js';
import { resample } from '../ml/audio/resample.js';
import { matchLoudness, PEAK_CEILING } from '../ml/features/loudness.js';
import { type BitDepth, encodeWav } from '../ml/audio/wav.js';
import { UsageError } from './errors.js';

export interface OutputFormat {
  bitDepth: BitDepth;
  /** Output rate; the model's when absent. */
  rate?: number;
  /**
   * material: to `materialDb`, the training material's loudness (peaks kept under −1 dBFS);
   * peak: the peak at −1 dBFS; none: as made.
   */
  normalize: 'material' | 'peak' | 'none';
  /** With normalize 'material': the loudness to bring the sound to (ml/vae/sampler.ts materialLoudness). */
  materialDb?: number;
  /** Fade in and out (seconds) against clicks at the ends of generated sound. */
  fade?: number;
}

/** Peak normalisation target: −1 dBFS, leaving room for inter-sample peaks. */
const PEAK_TARGET = PEAK_CEILING;

/** Linear fades of `seconds` at both ends, in place (at most half the sound each); returns it. */
export function fadeEdges(x: Float32Array, seconds: number, sampleRate: number): Float32Array {
  const fade = Math.min(Math.floor(seconds * sampleRate), Math.floor(x.length / 2));
  for (let i = 0; i < fade; i++) {
    const g = i / fade;
    x[i] *= g;
    x[x.length - 1 - i] *= g;
  }
  return x;
}

/** Applies the output format (fades, normalisation, rate) and encodes a WAV. */
export function renderWav(
  audio: Float32Array,
  modelRate: number,
  format: OutputFormat,
): { bytes: Uint8Array; rate: number; peak: number } {
  let x: Float32Array = Float32Array.from(audio);
  fadeEdges(x, format.fade ?? 0, modelRate);
  const rate = format.rate ?? modelRate;
  if (rate !== modelRate) x = resample(x, modelRate, rate);
  if (format.normalize === 'material') {
    if (format.materialDb === undefined) throw new Error('normalize material needs the material loudness');
    matchLoudness(x, format.materialDb);
  }
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (format.normalize === 'peak' && peak > 0) {
    const g = PEAK_TARGET / peak;
    for (let i = 0; i < x.length; i++) x[i] *= g;
    peak = PEAK_TARGET;
  }
  return { bytes: encodeWav(x, rate, format.bitDepth), rate, peak };
}

/** A file name made safe: letters, digits, '.', '_' and '-' only, never a path. */
export function safeName(name: string): string {
  const cleaned = basename(name)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '');
  return cleaned || 'sound';
}

/** What a path holds, in words: "a folder", "a FIFO (named pipe)", "a character device"… */
export function kindOf(st: Stats | BigIntStats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The file `path` leads to (through any symlinks) as device and inode, or null when none. */
function identity(path: string): { id: string; stats: BigIntStats } | null {
  let stats: BigIntStats | undefined;
  try {
    stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return null; // ENOTDIR, a symlink loop, no permission: not a file that could be replaced
  }
  return stats ? { id: `${stats.dev}:${stats.ino}`, stats } : null;
}

/** Every file under `folder` (following symlinks, a few levels deep), as identity → path. */
function filesUnder(folder: string, into: Map<string, string>, depth = 4): void {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(folder, name);
    const found = identity(path);
    if (found?.stats.isFile()) into.set(found.id, path);
    else if (found?.stats.isDirectory() && depth > 0) filesUnder(path, into, depth - 1);
  }
}

/**
 * What a CLI output may be written over: nothing but a regular file (or a new name) that is none of
 * the command's inputs and none of the model folder's own files. Files are compared by device and
 * inode, through symlinks and hard links, never as strings.
 */
export class OutputGuard {
  readonly #inputs = new Map<string, string>();
  readonly #model = new Map<string, string>();
  readonly #modelDir: string | undefined;

  /** `inputs`: files (a folder stands for the files in it); `model`: a model folder. */
  constructor(options: { inputs?: string[]; model?: string } = {}) {
    for (const input of options.inputs ?? []) {
      const found = identity(resolve(input));
      if (found?.stats.isFile()) this.#inputs.set(found.id, input);
      else if (found?.stats.isDirectory()) filesUnder(resolve(input), this.#inputs, 0);
    }
    if (options.model) {
      this.#modelDir = resolve(options.model);
      filesUnder(this.#modelDir, this.#model);
    }
  }

  /**
   * Refuses (a UsageError naming `shown`) to write at `path` over anything but a new name or a
   * regular file that is neither an input nor a file of the model.
   */
  check(path: string, shown = path): void {
    const found = identity(path);
    if (!found) return;
    if (!found.stats.isFile())
      throw new UsageError(
        `${shown}: is ${kindOf(found.stats)}, not a regular file; refusing to write over it`,
      );
    const input = this.#inputs.get(found.id);
    if (input !== undefined)
      throw new UsageError(`${shown}: the output would overwrite the input ${input}; choose another --out`);
    const modelFile = this.#model.get(found.id);
    if (modelFile !== undefined)
      throw new UsageError(
        `${shown}: the output would overwrite the model's ${relative(this.#modelDir!, modelFile)}; choose another --out`,
      );
  }
}

/**
 * Writes one output file an explicit --out names (roundtrip, resynth): replaced if it is a regular
 * file the guard allows, its folder made if missing. Returns the absolute path.
 */
export async function writeOutputFile(out: string, bytes: Uint8Array, guard: OutputGuard): Promise<string> {
  const path = resolve(out);
  // Checked again here, just before writing: the command checked it before its work too.
  guard.check(path, out);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes, { overwrite: true });
  return path;
}

export interface OutputFolderOptions {
  /** Replace files of the same names (never anything the guard forbids). */
  force: boolean;
  /** The folder must be new or empty (unless forced). */
  requireEmpty: boolean;
  /** The option that forces, for the refusal's message. */
  flag?: string;
  /** What the files must never be written over; by default only non-regular files are refused. */
  guard?: OutputGuard;
  /**
   * Write everything into a temporary folder beside this one and move it into place on commit();
   * abandon() removes it. A failure part-way then leaves nothing that blocks a rerun.
   */
  staged?: boolean;
}

/**
 * An output folder the user named. With `requireEmpty` (export) it must be new or empty unless
 * forced; otherwise (sample, interpolate) it may hold other files but no file of a name about to be
 * written. `force` replaces files of the same names and touches nothing else. Every path it hands
 * out is inside it. A staged folder is written beside and moved into place by commit().
 */
export class OutputFolder {
  /** The folder as named (absolute): where the files are once written (or committed). */
  readonly path: string;
  readonly #force: boolean;
  readonly #guard: OutputGuard;
  readonly #staged: boolean;
  readonly #requireEmpty: boolean;
  /** The folder the name leads to, through any symlink: where a staged folder is moved. */
  readonly #target: string;
  #staging: string | null = null;
  #finished = false;

  private constructor(path: string, target: string, options: OutputFolderOptions) {
    this.path = path;
    this.#target = target;
    this.#force = options.force;
    this.#guard = options.guard ?? new OutputGuard();
    this.#staged = Boolean(options.staged);
    this.#requireEmpty = options.requireEmpty;
  }

  static async open(dir: string, options: OutputFolderOptions): Promise<OutputFolder> {
    const path = resolve(dir);
    let target = path;
    const found = identity(path);
    if (found) {
      if (!found.stats.isDirectory()) throw new UsageError(`${dir}: is ${kindOf(found.stats)}, not a folder`);
      let entries: string[];
      try {
        entries = readdirSync(path);
        target = realpathSync(path);
      } catch {
        throw new UsageError(`${dir}: not a folder that can be read`);
      }
      if (options.requireEmpty && entries.length > 0 && !options.force) {
        throw new UsageError(
          `${dir}: not empty; choose an empty folder${options.flag ? `, or add ${options.flag} to replace files of the same names` : ''}`,
        );
      }
    }
    // A staged folder makes nothing until its first file (the temporary folder) or commit().
    if (!options.staged) await mkdir(path, { recursive: true });
    return new OutputFolder(path, target, options);
  }

  /** Refuses up front any of `names` that exists (when not forced), before any work is done. */
  checkFree(names: string[]): void {
    for (const name of names) {
      const path = this.file(name);
      if (!this.#force && identity(path)) throw new UsageError(`${path}: exists; refusing to overwrite`);
      this.#guard.check(path);
    }
  }

  /** Where the file `name` is (or will be, once committed). */
  file(name: string): string {
    const path = join(this.path, safeName(name));
    const rel = relative(this.path, path);
    if (rel.startsWith('..') || rel.includes(sep)) throw new Error(`${name} would land outside ${this.path}`);
    return path;
  }

  /** Writes the file `name` atomically; returns where it is once written (or committed). */
  async write(name: string, bytes: Uint8Array): Promise<string> {
    const path = this.file(name);
    this.#guard.check(path);
    if (!this.#staged) {
      await writeFileAtomic(path, bytes, { overwrite: this.#force });
      return path;
    }
    if (this.#finished) throw new Error(`${this.path}: already committed or abandoned`);
    this.#staging ??= await this.#makeStaging();
    try {
      await writeFileAtomic(join(this.#staging, basename(path)), bytes, { overwrite: true });
    } catch (err) {
      // The temporary folder means nothing to the user; the file they asked for does.
      throw naming(err, path);
    }
    return path;
  }

  async #makeStaging(): Promise<string> {
    // Hidden, and a new name each time: a leftover (a killed process) never blocks a rerun. Made by
    // mkdir, not mkdtemp, so that it has the permissions of any new folder once renamed into place.
    const staging = join(
      dirname(this.#target),
      `.${basename(this.#target).slice(0, 100)}.partial-${randomBytes(6).toString('hex')}`,
    );
    try {
      await mkdir(dirname(this.#target), { recursive: true });
      await mkdir(staging);
      return staging;
    } catch (err) {
      throw naming(err, this.path);
    }
  }

  /**
   * Moves a staged folder's files into place: the temporary folder is renamed to the target when
   * the target is new or empty, else each file is moved in (replacing only when forced); if a move
   * fails, the files this commit placed are taken out again. Nothing to do for a folder not staged.
   */
  async commit(): Promise<void> {
    if (!this.#staged || this.#finished) return;
    this.#finished = true;
    const staging = this.#staging;
    if (!staging) {
      await mkdir(this.#target, { recursive: true });
      return;
    }
    try {
      const found = identity(this.#target);
      if (!found) {
        await rename(staging, this.#target);
        return;
      }
      if (!found.stats.isDirectory())
        throw new UsageError(`${this.path}: became ${kindOf(found.stats)} while writing; nothing written`);
      const existing = await readdir(this.#target);
      if (existing.length === 0) {
        // Replaces an empty folder in one step where the system allows it (POSIX, same file system).
        if (
          await rename(staging, this.#target).then(
            () => true,
            () => false,
          )
        )
          return;
      } else if (this.#requireEmpty && !this.#force) {
        throw new UsageError(`${this.path}: files appeared in it while writing; nothing written`);
      }
      await this.#moveEach(staging);
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async #moveEach(staging: string): Promise<void> {
    // Manifests last, so a folder is never seen with a manifest naming files not yet there.
    const names = (await readdir(staging)).sort(
      (a, b) => Number(a.startsWith('manifest.')) - Number(b.startsWith('manifest.')) || a.localeCompare(b),
    );
    const placed: string[] = [];
    try {
      for (const name of names) {
        const to = join(this.#target, name);
        const shown = join(this.path, name);
        this.#guard.check(to, shown);
        const isNew = !identity(to);
        if (!isNew && !this.#force) throw new UsageError(`${shown}: exists; refusing to overwrite`);
        try {
          await moveFile(join(staging, name), to, { overwrite: this.#force });
        } catch (err) {
          throw naming(err, shown);
        }
        if (isNew) placed.push(to);
      }
    } catch (err) {
      // Take back what this commit added, so the folder is as it was (files it replaced stay replaced).
      for (const path of placed) await rm(path, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Removes a staged folder's temporary files; the target is left as it was. */
  async abandon(): Promise<void> {
    if (!this.#staged || this.#finished) return;
    this.#finished = true;
    if (this.#staging) await rm(this.#staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
