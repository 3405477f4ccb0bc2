import type { Hertz, Samples, Seconds } from '../units.js';
import { decodeBytes, decodeFile, type AudioFormat, type AudioInfo, type PcmSink } from './decoders.js';
import { AudioFileError } from './errors.js';
import { mixdown } from './pcm.js';
import { Resampler } from './resample.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './wav.js';

export interface LoadedAudio {
  file: string;
  /** Mono (the mean of the channels), at sampleRate. */
  samples: Float32Array;
  sampleRate: Hertz;
  /** The file's own rate, before resampling. */
  sourceRate: Hertz;
  channels: number;
  format: AudioFormat;
  /** 'pcm', 'float', 'mulaw', 'alaw', 'flac', 'vorbis' or 'mp3'. */
  encoding: string;
  /** As stored; 0 for the lossy formats. */
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
  /** loadAudioFile: the name errors and `file` give (the path when absent). */
  name?: string;
}

const DEFAULT_SAMPLE_RATE: Hertz = 22050;
const DEFAULT_MIN_SAMPLES: Samples = 512;
/** -140 dBFS: under one 24-bit step (1.2e-7), so any nonzero sample of 24 bits or fewer is sound. */
const SILENCE_THRESHOLD = 1e-7;

/**
 * Decodes, mixes down and resamples an audio file's bytes (WAV, AIFF, FLAC, Ogg Vorbis or MP3,
 * told by the bytes); refuses what cannot be analysed with an AudioFileError naming `file`.
 */
export async function decodeAudio(
  bytes: Uint8Array,
  file: string,
  opts: LoadOptions = {},
): Promise<LoadedAudio> {
  const { sampleRate, minSamples } = checkOptions(opts);
  const mono = new MonoAt(sampleRate);
  const info = await decodeBytes(bytes, file, mono.sink);
  return finish(file, info, mono.end(), sampleRate, minSamples);
}

/**
 * loadAudioFile reads the file a piece at a time: each piece is mixed down and resampled as it
 * comes, so only the mono result at the model rate is kept, whatever the file's size.
 */
export async function loadAudioFile(path: string, opts: LoadOptions = {}): Promise<LoadedAudio> {
  const { sampleRate, minSamples } = checkOptions(opts);
  const mono = new MonoAt(sampleRate);
  const name = opts.name ?? path;
  const info = await decodeFile(path, name, mono.sink);
  return finish(name, info, mono.end(), sampleRate, minSamples);
}

function checkOptions(opts: LoadOptions): { sampleRate: Hertz; minSamples: Samples } {
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
  return { sampleRate, minSamples };
}

/** Decoded pieces mixed down and resampled as they come; end() joins what came out. */
class MonoAt {
  readonly #rate: Hertz;
  #resampler: Resampler | null = null;
  readonly #parts: Float32Array[] = [];

  constructor(rate: Hertz) {
    this.#rate = rate;
  }

  readonly sink: PcmSink = (channels, info) => {
    this.#resampler ??= new Resampler(info.sampleRate, this.#rate);
    const out = this.#resampler.push(mixdown(channels));
    if (out.length > 0) this.#parts.push(out);
  };

  end(): Float32Array {
    if (this.#resampler) this.#parts.push(this.#resampler.end());
    const out = new Float32Array(this.#parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    this.#parts.length = 0;
    return out;
  }
}

function finish(
  file: string,
  info: AudioInfo,
  samples: Float32Array,
  sampleRate: Hertz,
  minSamples: Samples,
): LoadedAudio {
  if (samples.length < minSamples) {
    throw new AudioFileError(
      file,
      `too short: ${samples.length} samples at ${sampleRate} Hz, at least ${minSamples} needed (one analysis window)`,
    );
  }
  const silent = samples.every((x) => Math.abs(x) < SILENCE_THRESHOLD);
  const warnings = [...info.warnings];
  if (silent) warnings.push(`silent: no sample reaches ${SILENCE_THRESHOLD} (-140 dBFS)`);
  return {
    file,
    samples,
    sampleRate,
    sourceRate: info.sampleRate,
    channels: info.channels,
    format: info.format,
    encoding: info.encoding,
    bitsPerSample: info.bitsPerSample,
    durationSeconds: samples.length / sampleRate,
    silent,
    warnings,
  };
}
