// Test support for ml/vae/*.test.ts: tiny synthetic corpora, configs and model files, and helpers to
// compare weights and reports. Not imported by production code.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../random.js';
import { DEFAULT_FRAME_SETTINGS } from '../features/settings.js';
import { type Corpus, splitCorpus } from './corpus.js';
import type { ModelFiles, Pca, StudioJson } from './folder.js';
import { buildModels } from './model.js';
import type { EpochReport, TrainConfig } from './trainer.js';

/**
 * `count` frames of `bins` values in [0, 1]: a Gaussian bump whose centre, height and width glide
 * smoothly from frame to frame (like the partials of a sound), over a small floor. Two numbers
 * describe every frame, so there is structure for a 2..4-dimensional latent space to learn.
 */
export function bumpFrames(count: number, bins: number, seed: number): Float32Array {
  const out = new Float32Array(count * bins);
  const rng = new SeededRandom(seed);
  const phase = [rng.next(), rng.next(), rng.next()].map((p) => p * 2 * Math.PI);
  for (let i = 0; i < count; i++) {
    const centre = bins * (0.5 + 0.35 * Math.sin(0.07 * i + phase[0]));
    const height = 0.55 + 0.4 * Math.sin(0.13 * i + phase[1]);
    const width = bins * (0.06 + 0.03 * Math.sin(0.05 * i + phase[2]));
    for (let k = 0; k < bins; k++) {
      const v = 0.05 + height * Math.exp(-0.5 * ((k - centre) / width) ** 2);
      out[i * bins + k] = Math.min(1, v);
    }
  }
  return out;
}

/** A corpus of synthetic sources (default: two of 150 frames of 32 bins; 15 frames each held out). */
export function tinyCorpus(opts: { bins?: number; counts?: number[]; seed?: number } = {}): Corpus {
  const { bins = 32, counts = [150, 150], seed = 1 } = opts;
  return splitCorpus(
    counts.map((count, i) => ({ name: `source-${i}.wav`, frames: bumpFrames(count, bins, seed + i) })),
    bins,
    0.5,
  );
}

/** A small, fast training configuration (the compact preset). */
export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    preset: 'compact',
    latent: 3,
    epochs: 4,
    batch: 32,
    beta: 0.01,
    warmupEpochs: 2,
    freeBits: 0,
    learningRate: 1e-3,
    seed: 7,
    loss: 'bce',
    ...overrides,
  };
}

/** A report without its timing fields (which differ between identical runs). */
export function reportNumbers(
  r: EpochReport,
): Omit<EpochReport, 'framesPerSecond' | 'seconds' | 'etaSeconds'> {
  const { framesPerSecond: _f, seconds: _s, etaSeconds: _e, ...rest } = r;
  void _f;
  void _s;
  void _e;
  return rest;
}

/** Copies of the values of a list of tensors (e.g. a trainer's variables or a model's weights). */
export function snapshot(tensors: readonly tf.Tensor[]): Float32Array[] {
  return tensors.map((t) => Float32Array.from(t.dataSync()));
}

/** The largest absolute difference between two snapshots (Infinity when their shapes differ). */
export function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return Infinity;
    for (let j = 0; j < a[i].length; j++) {
      const d = Math.abs(a[i][j] - b[i][j]);
      if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
    }
  }
  return m;
}

/** Whether two snapshots hold the same values, bit for bit. */
export function sameValues(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => x.length === b[i].length && x.every((v, j) => Object.is(v, b[i][j])))
  );
}

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(prefix = 'vae-test-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** An identity-like PCA of `latent` dimensions (unit axes, zero mean). */
export function unitPca(latent: number): Pca {
  const axis = (k: number) => Array.from({ length: latent }, (_, j) => (j === k ? 1 : 0));
  return {
    mean: new Array<number>(latent).fill(0),
    components: Array.from({ length: latent }, (_, k) => axis(k)),
    std: new Array<number>(latent).fill(1),
    explainedVariance: new Array<number>(latent).fill(1 / latent),
  };
}

/** A valid studio.json for an untrained model of the default frame settings. */
export function tinyStudio(latent: number, overrides: Partial<StudioJson> = {}): StudioJson {
  return {
    format: 'vae-studio-model',
    version: 1,
    preset: 'compact',
    latent,
    frames: { ...DEFAULT_FRAME_SETTINGS },
    ref: 0.5,
    loss: 'bce',
    training: {
      config: { ...tinyConfig({ latent }) },
      epochs: 0,
      backend: 'wasm',
      sources: [{ name: 'a.wav', frames: 100, heldOut: 10 }],
      history: [],
      seconds: 0,
    },
    metrics: {},
    pca: unitPca(latent),
    createdAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Untrained networks for the default frame settings (256 bins) and a studio.json to go with them. */
export function tinyModelFiles(latent = 3, seed = 11): ModelFiles {
  const { encoder, decoder } = buildModels(
    { preset: 'compact', bins: DEFAULT_FRAME_SETTINGS.bins, latent },
    seed,
  );
  return { encoder, decoder, studio: tinyStudio(latent) };
}

/** The model's output for the given rows, read back. */
export function predict(model: tfl.LayersModel, rows: Float32Array, width: number): Float32Array {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor2d(rows, [rows.length / width, width])) as tf.Tensor;
    return Float32Array.from(y.dataSync());
  });
}
