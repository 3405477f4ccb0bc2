import { readFile } from 'node:fs/promises';
import type { Hertz, Samples, Seconds } from '../units.js';
import { AudioFileError } from './errors.js';
import { resample } from './resample.js';
import { decodeWav, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, type WavEncoding } from './wav.js';

export interface LoadedAudio {
  file: string;
  /** Mono (the mean of the channels), at sampleRate. */
  samples: Float32Array;
  sampleRate: Hertz;
  /** The file's own rate, before resampling. */
  sourceRate: Hertz;
  channels: number;
  encoding: WavEncoding;
  bitsPerSample: number;
  durationSeconds: Seconds;
  /** No sample reaches SILENCE_THRESHOLD; usable, but nothing to learn from. */
  silent: boolean;
  warnings: string[];
}

export interface LoadOptions {
  /** The model rate (DESIGN.md, "The 256-dimensional frame"); default 22050. */
  sampleRate?: Hertz;
  /** Fewer samples than this at sampleRate are refused; default 512, one analysis window. */
  minSamples?: Samples;
}

const DEFAULT_SAMPLE_RATE: Hertz = 22050;
const DEFAULT_MIN_SAMPLES: Samples = 512;
/** -140 dBFS: under one 24-bit step (1.2e-7), so any nonzero sample of 24 bits or fewer is sound. */
const SILENCE_THRESHOLD = 1e-7;

/** Decodes, mixes down and resamples a WAV file's bytes; refuses what cannot be analysed. */
export function decodeAudio(bytes: Uint8Array, file: string, opts: LoadOptions = {}): LoadedAudio {
  const sampleRate = opts.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const minSamples = opts.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new RangeError(
      `sampleRate must be an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz, got ${sampleRate}`,
    );
  }
  if (!Number.isInteger(minSamples) || minSamples < 1) {
    throw new RangeError(`minSamples must be a positive integer, got ${minSamples}`);
  }

  const wav = decodeWav(bytes, file);
  const samples = resample(mixdown(wav.channels), wav.sampleRate, sampleRate);
  if (samples.length < minSamples) {
    throw new AudioFileError(
      file,
      `too short: ${samples.length} samples at ${sampleRate} Hz, at least ${minSamples} needed (one analysis window)`,
    );
  }
  const silent = samples.every((x) => Math.abs(x) < SILENCE_THRESHOLD);
  const warnings = [...wav.warnings];
  if (silent) warnings.push(`silent: no sample reaches ${SILENCE_THRESHOLD} (-140 dBFS)`);
  return {
    file,
    samples,
    sampleRate,
    sourceRate: wav.sampleRate,
    channels: wav.channels.length,
    encoding: wav.encoding,
    bitsPerSample: wav.bitsPerSample,
    durationSeconds: samples.length / sampleRate,
    silent,
    warnings,
  };
}

export async function loadAudioFile(path: string, opts: LoadOptions = {}): Promise<LoadedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new AudioFileError(path, readFailure(err), { cause: err });
  }
  return decodeAudio(bytes, path, opts);
}

function mixdown(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0].length);
  for (const channel of channels) {
    for (let i = 0; i < out.length; i++) out[i] += channel[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= channels.length;
  return out;
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ERR_FS_FILE_TOO_LARGE':
      return 'file too large to read (over 2 GiB)';
    default:
      return `cannot read the file (${err instanceof Error ? err.message : String(err)})`;
  }
}
