import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../ml/audio/files.js';
import { resample } from '../ml/audio/resample.js';
import { type BitDepth, encodeWav } from '../ml/audio/wav.js';
import { UsageError } from './errors.js';

export interface OutputFormat {
  bitDepth: BitDepth;
  /** Output rate; the model's when absent. */
  rate?: number;
  normalize: 'peak' | 'none';
  /** Fade in and out (seconds) against clicks at the ends of generated sound. */
  fade?: number;
}

/** Peak normalisation target: −1 dBFS, leaving room for inter-sample peaks. */
const PEAK_TARGET = 10 ** (-1 / 20);

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

/**
 * An output folder the user named. With `requireEmpty` (export) it must be new or empty unless
 * forced; otherwise (sample, interpolate) it may hold other files but no file of a name about to be
 * written. `force` replaces files of the same names and touches nothing else. Every path it hands
 * out is inside it.
 */
export class OutputFolder {
  readonly path: string;
  readonly #force: boolean;

  private constructor(path: string, force: boolean) {
    this.path = path;
    this.#force = force;
  }

  static async open(
    dir: string,
    options: { force: boolean; requireEmpty: boolean; flag?: string },
  ): Promise<OutputFolder> {
    const path = resolve(dir);
    if (existsSync(path)) {
      let entries: string[];
      try {
        entries = readdirSync(path);
      } catch {
        throw new UsageError(`${dir}: not a folder`);
      }
      if (options.requireEmpty && entries.length > 0 && !options.force) {
        throw new UsageError(
          `${dir}: not empty; choose an empty folder${options.flag ? `, or add ${options.flag} to replace files of the same names` : ''}`,
        );
      }
    }
    await mkdir(path, { recursive: true });
    return new OutputFolder(path, options.force);
  }

  /** Refuses up front any of `names` that exists (when not forced), before any work is done. */
  checkFree(names: string[]): void {
    if (this.#force) return;
    const taken = names.find((n) => existsSync(this.file(n)));
    if (taken) throw new UsageError(`${this.file(taken)}: exists; refusing to overwrite`);
  }

  file(name: string): string {
    const path = join(this.path, safeName(name));
    const rel = relative(this.path, path);
    if (rel.startsWith('..') || rel.includes(sep)) throw new Error(`${name} would land outside ${this.path}`);
    return path;
  }

  async write(name: string, bytes: Uint8Array): Promise<string> {
    const path = this.file(name);
    await writeFileAtomic(path, bytes, { overwrite: this.#force });
    return path;
  }
}
