import { AudioFileError } from '../audio/errors.js';
import { isAudioFileName } from '../audio/decoders.js';
import { loadAudioFile } from '../audio/load.js';
import { analyze, peakAmplitude } from '../features/analyze.js';
import { gatedEnergy } from '../features/loudness.js';
import { toUnitFrames } from '../features/scale.js';
import type { FrameSettings } from '../features/settings.js';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SeededRandom } from '../random.js';

/**
 * Frames that stay on disk (ml/corpus/cached-corpus.ts): rows are read on demand, and an epoch's
 * order is a shuffle of chunks, so that reading it touches a few chunks at a time.
 */
export interface FrameStore {
  /** Frames in all, source after source. */
  readonly count: number;
  /** Frames [0, 1] of rows indices[from..to) (a fresh array, (to − from) × bins). */
  rows(indices: Int32Array, from: number, to: number): Float32Array;
  /** A training order: a permutation of `train`, drawn from `rng`. */
  order(train: Int32Array, rng: SeededRandom): Int32Array;
}

/** Training frames in [0, 1] from a set of sounds, with each source's held-out tail. */
export interface Corpus {
  bins: number;
  /**
   * All frames, source after source (frames × bins), when they are in memory. A corpus read from the
   * frame cache has `store` instead, and reading `frames` throws: use corpusRows() and frameTotal().
   */
  frames: Float32Array;
  /** Where the frames are when they are not in memory. */
  store?: FrameStore;
  sources: { name: string; frames: number; heldOut: number }[];
  /** Frame indices for training and for held-out evaluation. */
  train: Int32Array;
  heldOut: Int32Array;
  /** The corpus's peak amplitude: the reference every frame was scaled by. */
  ref: number;
  /** The material's loudness (ml/features/loudness.ts), dBFS; absent where it was not measured. */
  loudnessDb?: number;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

/** The share of each source's frames held out, taken from its end. */
export const HELD_OUT_SHARE = 0.1;

/** Frames in a corpus, in memory or on disk. */
export function frameTotal(corpus: Corpus): number {
  return corpus.store ? corpus.store.count : corpus.frames.length / corpus.bins;
}

/** Frames of rows indices[from..to) of a corpus ((to − from) × bins, a fresh array). */
export function corpusRows(corpus: Corpus, indices: Int32Array, from: number, to: number): Float32Array {
  if (corpus.store) return corpus.store.rows(indices, from, to);
  const { bins, frames } = corpus;
  const data = new Float32Array((to - from) * bins);
  for (let i = from; i < to; i++)
    data.set(frames.subarray(indices[i] * bins, (indices[i] + 1) * bins), (i - from) * bins);
  return data;
}

/**
 * An epoch's training order: the training frames shuffled (a store shuffles chunks, then frames
 * within a pool of chunks; when every training frame fits one pool it is this same shuffle).
 */
export function epochOrder(corpus: Corpus, rng: SeededRandom): Int32Array {
  return corpus.store ? corpus.store.order(corpus.train, rng) : rng.shuffle(Int32Array.from(corpus.train));
}

/** Held-out frames per source of `count` frames: the last 10 %, none under 10 frames. */
export function heldOutCount(count: number): number {
  return count >= 10 ? Math.max(1, Math.round(count * HELD_OUT_SHARE)) : 0;
}

/**
 * Splits frames into training and held-out sets: the last 10 % of every source's frames, contiguous
 * (single frames shuffled out of a 75 %-overlapped sequence would be near-copies of their neighbours).
 */
export function splitCorpus(
  sources: { name: string; frames: Float32Array }[],
  bins: number,
  ref: number,
): Corpus {
  const total = sources.reduce((n, s) => n + s.frames.length / bins, 0);
  const frames = new Float32Array(total * bins);
  const train: number[] = [];
  const heldOut: number[] = [];
  const meta: Corpus['sources'] = [];
  let at = 0;
  for (const s of sources) {
    const count = s.frames.length / bins;
    const held = heldOutCount(count);
    frames.set(s.frames, at * bins);
    for (let i = 0; i < count; i++) (i < count - held ? train : heldOut).push(at + i);
    meta.push({ name: s.name, frames: count, heldOut: held });
    at += count;
  }
  return {
    bins,
    frames,
    sources: meta,
    train: Int32Array.from(train),
    heldOut: Int32Array.from(heldOut),
    ref,
  };
}

/**
 * Audio files named by the inputs: files as given, folders by their audio files (sorted; the
 * extensions of AUDIO_EXTENSIONS: WAV, AIFF, FLAC, Ogg Vorbis, MP3).
 */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new AudioFileError(input, 'file not found');
    }
    if (info.isDirectory()) {
      const entries = await readdir(input, { withFileTypes: true });
      const names = entries
        .filter((e) => !e.isDirectory() && isAudioFileName(e.name))
        .map((e) => e.name)
        .sort();
      if (names.length === 0)
        throw new AudioFileError(input, 'folder holds no audio files (.wav, .aiff, .flac, .ogg, .mp3)');
      files.push(...names.map((n) => join(input, n)));
    } else files.push(input);
  }
  return files;
}

/**
 * Loads every file, skipping (with the reason) the ones that are malformed, too short or silent, and
 * scales all frames against the loudest frame of the corpus. Throws when no file is usable.
 */
export async function buildCorpus(
  files: string[],
  settings: FrameSettings,
  onSkip: (skipped: SkippedFile) => void = () => {},
): Promise<{ corpus: Corpus; skipped: SkippedFile[] }> {
  const skipped: SkippedFile[] = [];
  const analysed: { name: string; amplitude: Float32Array }[] = [];
  let energy = 0;
  let counted = 0;
  for (const file of files) {
    try {
      const audio = await loadAudioFile(file, {
        sampleRate: settings.sampleRate,
        minSamples: settings.windowSize,
      });
      if (audio.silent) {
        skipped.push({ file, reason: 'silent: nothing to learn from' });
        onSkip(skipped[skipped.length - 1]);
        continue;
      }
      analysed.push({ name: basename(file), amplitude: analyze(audio.samples, settings).amplitude });
      const gated = gatedEnergy(audio.samples);
      energy += gated.energy;
      counted += gated.samples;
    } catch (err) {
      if (!(err instanceof AudioFileError)) throw err;
      skipped.push({ file, reason: err.reason });
      onSkip(skipped[skipped.length - 1]);
    }
  }
  if (analysed.length === 0) {
    throw new AudioFileError(
      files.length === 1 ? files[0] : `${files.length} inputs`,
      'no usable audio to train on',
    );
  }
  const ref = Math.max(...analysed.map((a) => peakAmplitude(a.amplitude)));
  const sources = analysed.map((a) => ({
    name: a.name,
    frames: toUnitFrames(a.amplitude, ref, settings.floorDb),
  }));
  const loudnessDb = counted > 0 && energy > 0 ? 10 * Math.log10(energy / counted) : undefined;
  return { corpus: { ...splitCorpus(sources, settings.bins, ref), loudnessDb }, skipped };
}
