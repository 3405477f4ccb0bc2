import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SeededRandom } from '../random.js';
import { type ModelFiles, type StudioJson, loadModelFolder } from './folder.js';
import { latentToMapPoint, mapPointToLatent } from './pca.js';

/**
 * A trained model for inference: encode frames to posterior means and deviations, decode latent
 * vectors to frames, and the map and trajectory maths of docs/design.md ("Points, maps and sounds").
 * Plain typed arrays in and out (rows, row-major), so results can cross a thread or a process.
 * Owns its networks until dispose().
 */
export class VaeModel {
  readonly studio: StudioJson;
  readonly latent: number;
  readonly bins: number;
  /** The training frames' latent means, in order (studio.latents splits them), or null for older models. */
  readonly latents: Float32Array | null;
  readonly #encoder: tfl.LayersModel;
  readonly #decoder: tfl.LayersModel;
  #disposed = false;

  constructor(files: ModelFiles) {
    this.studio = files.studio;
    this.latent = files.studio.latent;
    this.bins = files.studio.frames.bins;
    this.latents = files.latents ?? null;
    this.#encoder = files.encoder;
    this.#decoder = files.decoder;
  }

  static async load(folder: string): Promise<VaeModel> {
    return new VaeModel(await loadModelFolder(folder));
  }

  #check(): void {
    if (this.#disposed) throw new Error('the model has been disposed');
  }

  /** Posterior mean and standard deviation of each frame (frames × latent each). */
  encode(frames: Float32Array): { mu: Float32Array; sigma: Float32Array } {
    this.#check();
    const n = frames.length / this.bins;
    if (!Number.isInteger(n)) throw new RangeError(`frames must be rows of ${this.bins} values`);
    const d = this.latent;
    const mu = new Float32Array(n * d);
    const sigma = new Float32Array(n * d);
    const chunk = 4096;
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk);
      const h = tf.tidy(
        () =>
          this.#encoder.predict(
            tf.tensor2d(frames.subarray(from * this.bins, to * this.bins), [to - from, this.bins]),
          ) as tf.Tensor2D,
      );
      const values = h.dataSync();
      h.dispose();
      for (let i = 0; i < to - from; i++) {
        for (let j = 0; j < d; j++) {
          mu[(from + i) * d + j] = values[i * 2 * d + j];
          sigma[(from + i) * d + j] = Math.exp(0.5 * values[i * 2 * d + d + j]);
        }
      }
    }
    return { mu, sigma };
  }

  /** Frames in [0, 1] for latent vectors (rows × latent). */
  decode(z: Float32Array): Float32Array {
    this.#check();
    const n = z.length / this.latent;
    if (!Number.isInteger(n)) throw new RangeError(`latent vectors must be rows of ${this.latent} values`);
    const out = new Float32Array(n * this.bins);
    const chunk = 4096;
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk);
      const y = tf.tidy(
        () =>
          this.#decoder.predict(
            tf.tensor2d(z.subarray(from * this.latent, to * this.latent), [to - from, this.latent]),
          ) as tf.Tensor2D,
      );
      out.set(y.dataSync(), from * this.bins);
      y.dispose();
    }
    return out;
  }

  mapPointToLatent(p1: number, p2: number): Float32Array {
    return mapPointToLatent(this.studio.pca, p1, p2);
  }

  latentToMapPoint(z: ArrayLike<number>): [number, number] {
    return latentToMapPoint(this.studio.pca, z);
  }

  /**
   * A smooth random walk of `frames` latent vectors: control points drawn from the prior N(0, T²·I)
   * at `motion` points a second, joined by raised-cosine glides; motion 0 holds the first point.
   */
  sampleTrajectory(
    frames: number,
    options: { temperature?: number; motion?: number; seed?: number; framesPerSecond: number },
  ): Float32Array {
    const { temperature = 1, motion = 1, seed = 0, framesPerSecond } = options;
    if (!(framesPerSecond > 0) || !Number.isFinite(framesPerSecond))
      throw new RangeError(`framesPerSecond must be positive, got ${framesPerSecond}`);
    if (!(motion >= 0) || !Number.isFinite(motion))
      throw new RangeError(`motion must be a finite number ≥ 0, got ${motion}`);
    const rng = new SeededRandom(seed);
    const d = this.latent;
    const draw = () => Float32Array.from({ length: d }, () => temperature * rng.normal());
    const out = new Float32Array(frames * d);
    const span = motion > 0 ? framesPerSecond / motion : Infinity;
    let from = draw();
    let to = draw();
    let segment = 0;
    for (let f = 0; f < frames; f++) {
      while (f / span >= segment + 1) {
        from = to;
        to = draw();
        segment++;
      }
      const t = Number.isFinite(span) ? f / span - segment : 0;
      const w = 0.5 - 0.5 * Math.cos(Math.PI * t);
      for (let j = 0; j < d; j++) out[f * d + j] = (1 - w) * from[j] + w * to[j];
    }
    return out;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#encoder.dispose();
    this.#decoder.dispose();
  }
}

/** Rows of a trajectory (n × d) stretched to `length` rows by linear interpolation in time. */
export function stretchTrajectory(rows: Float32Array, d: number, length: number): Float32Array {
  const n = rows.length / d;
  const out = new Float32Array(length * d);
  for (let i = 0; i < length; i++) {
    const pos = length === 1 ? 0 : (i * (n - 1)) / (length - 1);
    const a = Math.floor(pos);
    const b = Math.min(n - 1, a + 1);
    const t = pos - a;
    for (let j = 0; j < d; j++) out[i * d + j] = (1 - t) * rows[a * d + j] + t * rows[b * d + j];
  }
  return out;
}

/** (1 − t)·A + t·B, row by row. */
export function blend(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return a.map((v, i) => (1 - t) * v + t * b[i]);
}
