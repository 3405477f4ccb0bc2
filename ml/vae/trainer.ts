import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SeededRandom } from '../random.js';
import { type Corpus, corpusRows, epochOrder, frameTotal } from './corpus.js';
import { type PresetName, applyUpToLast, buildModels, checkShape, splitPosterior } from './model.js';
import { DEFAULT_TRAIN_SETTINGS } from '../../common/api.js';

export interface TrainConfig {
  preset: PresetName;
  latent: number;
  epochs: number;
  batch: number;
  /** Weight of the KL term once warm-up is over. */
  beta: number;
  /** Epochs over which beta ramps linearly from 0 (KL warm-up). */
  warmupEpochs: number;
  /** Free bits: each latent dimension's KL counts as at least this many nats (0 turns it off). */
  freeBits: number;
  learningRate: number;
  seed: number;
  /**
   * bce: binary cross-entropy on the dB targets; mse: squared error on them; mixed: squared error on
   * the dB targets plus MIXED_WEIGHT × squared error on the linear magnitudes they stand for (loud
   * bins count as a listener and spectral convergence count them).
   */
  loss: 'bce' | 'mse' | 'mixed';
}

/** The weight of the linear-magnitude term of the 'mixed' loss. */
export const MIXED_WEIGHT = Number(process.env.VAE_STUDIO_MIXED_WEIGHT ?? 4);
/** dB per unit of the [0, 1] targets (the default floor of −80 dB), as a natural-log factor. */
const LINEAR_SCALE = (80 / 20) * Math.LN10;

/** Squared error on the dB targets plus MIXED_WEIGHT × squared error on their linear magnitudes (1 at the peak). */
export function mixedLoss(y: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const linear = (u: tf.Tensor2D) => tf.exp(tf.mul(tf.sub(u, 1), LINEAR_SCALE));
  return tf.add(
    tf.sum(tf.square(tf.sub(y, x)), 1),
    tf.mul(tf.sum(tf.square(tf.sub(linear(y), linear(x))), 1), MIXED_WEIGHT),
  ) as tf.Tensor1D;
}

/** Defaults chosen by measurement on speech and instruments (docs/design.md, "The model"). */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  ...DEFAULT_TRAIN_SETTINGS,
  warmupEpochs: 5,
  freeBits: 0,
  learningRate: 1e-3,
  seed: 0,
  loss: 'mixed',
});

/**
 * One epoch's figures, per frame: the reconstruction loss summed over the 256 bins (binary
 * cross-entropy, or squared error, against dB targets in [0, 1] — a loss, not a log-likelihood), the
 * KL divergence summed over the latent dimensions (in nats).
 */
export interface EpochReport {
  epoch: number;
  epochs: number;
  beta: number;
  reconstruction: number;
  kl: number;
  klPerDim: number[];
  /** Reconstruction + KL per frame: the figure to watch (lower is better). */
  total: number;
  /**
   * −total, under its old name, kept so scripts reading it do not break. It is not an evidence lower
   * bound: binary cross-entropy on continuous dB targets is no likelihood. Deprecated: read total.
   */
  elbo: number;
  loss: number;
  heldOut: { reconstruction: number; kl: number; total: number; elbo: number } | null;
  activeUnits: number;
  /** Training frames per second over this epoch's batches only. */
  framesPerSecond: number;
  seconds: number;
  etaSeconds: number;
}

/**
 * The loss of each frame of a batch: the reconstruction (summed over the bins) of each frame `[rows]`
 * and its KL divergence per latent dimension `[rows, latent]`, with `noise(shape)` as the
 * reparameterisation's standard normal draw. The Trainer averages these over its batch; the
 * data-parallel threads (data-parallel.ts) sum them over their shards of it.
 */
export function frameTerms(
  encoder: tfl.Sequential,
  decoder: tfl.Sequential,
  config: Pick<TrainConfig, 'latent' | 'loss'>,
  x: tf.Tensor2D,
  noise: (shape: [number, number]) => tf.Tensor2D,
): { perFrame: tf.Tensor1D; klFrame: tf.Tensor2D } {
  const { mu, logVar } = splitPosterior(encoder.apply(x) as tf.Tensor2D, config.latent);
  const eps = noise(mu.shape);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
  const logits = applyUpToLast(decoder, z);
  const perFrame =
    config.loss === 'bce'
      ? // Binary cross-entropy from logits, in its numerically stable form.
        tf.sum(
          tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
          1,
        )
      : config.loss === 'mse'
        ? tf.sum(tf.square(tf.sub(tf.sigmoid(logits), x)), 1)
        : mixedLoss(tf.sigmoid(logits) as tf.Tensor2D, x);
  const klFrame = tf.mul(tf.sub(tf.add(tf.exp(logVar), tf.square(mu)), tf.add(logVar, 1)), 0.5);
  return { perFrame: perFrame as tf.Tensor1D, klFrame: klFrame as tf.Tensor2D };
}

/**
 * Takes training steps on more than one thread (data-parallel.ts): the gradient of the batch's loss
 * computed in shards and summed, then one step of Adam. `step` resolves to the batch's mean
 * reconstruction and KL per dimension, `[1 + latent]`, like the one-thread step. Between `begin` and
 * `end` (an epoch) it may keep the optimizer's state elsewhere; `end` hands it back to the trainer's
 * optimizer, whether the epoch finished, stopped or failed.
 */
export interface StepRunner {
  begin(): Promise<void>;
  step(x: tf.Tensor2D, seed: number, beta: number): Promise<tf.Tensor1D>;
  end(): Promise<void>;
}

/** A dimension is active when the variance over the data of its posterior mean exceeds this (Burda et al. 2016). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

export interface EpochOptions {
  shouldStop?: () => boolean;
  onBatch?: (done: number, total: number) => void;
  /** Yield to the event loop (messages, timers) after every this many batches; 8 unless set. */
  yieldEvery?: number;
}

/**
 * Owns a VAE under training: the two networks, the optimizer and the random state. Everything it
 * allocates is released by dispose(). Statistics stay on the device during an epoch and are read
 * back once at its end.
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly corpus: Corpus;
  readonly encoder: tfl.Sequential;
  readonly decoder: tfl.Sequential;
  readonly optimizer: tf.AdamOptimizer;
  readonly rng: SeededRandom;
  epoch = 0;
  history: EpochReport[] = [];
  /**
   * Where set, training steps run on more threads (data-parallel.ts); its owner (the training worker)
   * sets it after construction or restore and closes it. Null: one thread.
   */
  steps: StepRunner | null = null;
  readonly #vars: tf.Variable[];
  #disposed = false;

  constructor(config: TrainConfig, corpus: Corpus) {
    checkShape({ preset: config.preset, bins: corpus.bins, latent: config.latent });
    if (!Number.isInteger(config.batch) || config.batch < 1)
      throw new RangeError(`batch must be ≥ 1, got ${config.batch}`);
    if (corpus.train.length === 0) throw new RangeError('no training frames');
    this.config = config;
    this.corpus = corpus;
    this.rng = new SeededRandom(config.seed);
    const { encoder, decoder } = buildModels(
      { preset: config.preset, bins: corpus.bins, latent: config.latent },
      this.rng.int(),
    );
    this.encoder = encoder;
    this.decoder = decoder;
    this.optimizer = tf.train.adam(config.learningRate);
    this.#vars = [...encoder.trainableWeights, ...decoder.trainableWeights].map(
      (w) => w.read() as tf.Variable,
    );
  }

  get variables(): readonly tf.Variable[] {
    return this.#vars;
  }

  /** beta after warm-up at a fractional epoch. */
  betaAt(epoch: number): number {
    const { beta, warmupEpochs } = this.config;
    return warmupEpochs > 0 ? beta * Math.min(1, epoch / warmupEpochs) : beta;
  }

  #batchTensor(indices: Int32Array, from: number, to: number): tf.Tensor2D {
    return tf.tensor2d(corpusRows(this.corpus, indices, from, to), [to - from, this.corpus.bins]);
  }

  /** Reconstruction (summed over bins, per frame) and KL per dimension (per frame) of a batch. */
  #terms(x: tf.Tensor2D, seed: number): { recon: tf.Scalar; klPerDim: tf.Tensor1D } {
    const { perFrame, klFrame } = frameTerms(this.encoder, this.decoder, this.config, x, (shape) =>
      tf.randomNormal(shape, 0, 1, 'float32', seed),
    );
    return { recon: tf.mean(perFrame) as tf.Scalar, klPerDim: tf.mean(klFrame, 0) as tf.Tensor1D };
  }

  /** One pass over the training frames in a fresh shuffled order. Returns null when stopped. */
  async runEpoch(options: EpochOptions = {}): Promise<EpochReport | null> {
    const { batch } = this.config;
    const order = epochOrder(this.corpus, this.rng);
    const batches = Math.ceil(order.length / batch);
    const latent = this.config.latent;
    let stats = tf.zeros([1 + latent]);
    const started = performance.now();
    const steps = this.steps;
    const yieldEvery = Math.max(1, Math.floor(options.yieldEvery ?? 8));
    try {
      await steps?.begin();
      for (let b = 0; b < batches; b++) {
        if (options.shouldStop?.()) return null;
        const beta = this.betaAt(this.epoch + b / batches);
        const seed = this.rng.int();
        const x = this.#batchTensor(order, b * batch, Math.min(order.length, (b + 1) * batch));
        const weight = x.shape[0] / order.length;
        let batchStats: tf.Tensor | null = null;
        if (steps) {
          const means = await steps.step(x, seed, beta).finally(() => x.dispose());
          batchStats = tf.mul(means, weight);
          means.dispose();
        } else {
          this.optimizer.minimize(
            () => {
              const { recon, klPerDim } = this.#terms(x, seed);
              batchStats = tf.keep(tf.mul(tf.concat([tf.reshape(recon, [1]), klPerDim]), weight));
              const kl = tf.sum(
                this.config.freeBits > 0 ? tf.maximum(klPerDim, this.config.freeBits) : klPerDim,
              );
              return tf.add(recon, tf.mul(kl, beta)) as tf.Scalar;
            },
            false,
            this.#vars,
          );
          x.dispose();
        }
        const previous = stats;
        stats = tf.add(previous, batchStats!);
        previous.dispose();
        (batchStats as tf.Tensor | null)?.dispose();
        options.onBatch?.(b + 1, batches);
        // Let the event loop breathe (messages, timers) between batches.
        if ((b + 1) % yieldEvery === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      try {
        await steps?.end();
      } finally {
        const values = await stats.data();
        stats.dispose();
        this.#lastStats = Array.from(values);
      }
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const [reconstruction, ...klPerDim] = this.#lastStats;
    const kl = klPerDim.reduce((s, v) => s + v, 0);
    if (![reconstruction, kl].every(Number.isFinite)) {
      throw new NonFiniteLossError(
        `training diverged in epoch ${this.epoch + 1}: the loss is ${reconstruction + kl}`,
      );
    }
    this.epoch++;
    const heldOut = this.corpus.heldOut.length > 0 ? await this.evaluate(this.corpus.heldOut) : null;
    const activeUnits = await this.activeUnits();
    const seconds = (performance.now() - started) / 1000;
    const beta = this.betaAt(this.epoch);
    const report: EpochReport = {
      epoch: this.epoch,
      epochs: this.config.epochs,
      beta,
      reconstruction,
      kl,
      klPerDim,
      total: reconstruction + kl,
      elbo: -(reconstruction + kl),
      // The objective minimised: with free bits each dimension counts at least freeBits nats.
      loss: reconstruction + beta * klPerDim.reduce((sum, v) => sum + Math.max(v, this.config.freeBits), 0),
      heldOut: heldOut && {
        reconstruction: heldOut.reconstruction,
        kl: heldOut.kl,
        total: heldOut.reconstruction + heldOut.kl,
        elbo: -(heldOut.reconstruction + heldOut.kl),
      },
      activeUnits,
      framesPerSecond: order.length / trainSeconds,
      seconds,
      etaSeconds: Math.max(0, this.config.epochs - this.epoch) * seconds,
    };
    this.history.push(report);
    return report;
  }

  #lastStats: number[] = [];

  /** Mean reconstruction and KL per frame over the given frames (one seeded sample each). */
  async evaluate(indices: Int32Array): Promise<{ reconstruction: number; kl: number; klPerDim: number[] }> {
    const chunk = 1024;
    let stats = tf.zeros([1 + this.config.latent]);
    for (let from = 0; from < indices.length; from += chunk) {
      const to = Math.min(indices.length, from + chunk);
      const next = tf.tidy(() => {
        const x = this.#batchTensor(indices, from, to);
        const { recon, klPerDim } = this.#terms(x, 12345 + from);
        return tf.add(
          stats,
          tf.mul(tf.concat([tf.reshape(recon, [1]), klPerDim]), (to - from) / indices.length),
        );
      });
      stats.dispose();
      stats = next;
    }
    const [reconstruction, ...klPerDim] = Array.from(await stats.data());
    stats.dispose();
    return { reconstruction, kl: klPerDim.reduce((s, v) => s + v, 0), klPerDim };
  }

  /** Posterior means of frames (rows × latent). */
  async latentMeans(indices?: Int32Array): Promise<Float32Array> {
    const all = indices ?? Int32Array.from({ length: frameTotal(this.corpus) }, (_, i) => i);
    const out = new Float32Array(all.length * this.config.latent);
    const chunk = 2048;
    for (let from = 0; from < all.length; from += chunk) {
      const to = Math.min(all.length, from + chunk);
      const mu = tf.tidy(
        () =>
          splitPosterior(
            this.encoder.apply(this.#batchTensor(all, from, to)) as tf.Tensor2D,
            this.config.latent,
          ).mu,
      );
      out.set(await mu.data(), from * this.config.latent);
      mu.dispose();
    }
    return out;
  }

  /**
   * Latent dimensions whose posterior mean varies over all frames by more than the threshold (read
   * a stretch of frames at a time: a corpus on disk is never all in memory).
   */
  async activeUnits(): Promise<number> {
    const d = this.config.latent;
    const n = frameTotal(this.corpus);
    const sum = new Float64Array(d);
    const sq = new Float64Array(d);
    const stretch = 65_536;
    for (let from = 0; from < n; from += stretch) {
      const to = Math.min(n, from + stretch);
      const means = await this.latentMeans(Int32Array.from({ length: to - from }, (_, i) => from + i));
      for (let j = 0; j < d; j++) {
        for (let i = 0; i < to - from; i++) {
          sum[j] += means[i * d + j];
          sq[j] += means[i * d + j] ** 2;
        }
      }
    }
    let active = 0;
    for (let j = 0; j < d; j++) {
      const variance = sq[j] / n - (sum[j] / n) ** 2;
      if (variance > ACTIVE_UNIT_THRESHOLD) active++;
    }
    return active;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
  }
}
