// The one sampler (docs/design.md, "Sounds worth keeping"): every generated sound — a random sound,
// a grid cell, a snapshot, a map point, a path's points — is a latent trajectory made here, for the
// UI, export and the CLI alike.
//
// Where: a random sound starts from a draw of the aggregate posterior (the mixture fitted to the
// training frames' means, studio.json `posterior`) at a temperature; the N(0, T²·I) prior stays an
// option. Models from before the mixture fall back to the Gaussian of their PCA (the data's mean and
// spread along every stored axis).
//
// How it moves: by default a sound borrows the motion of the nearest stretch of real frames (the
// stored training latents, latents.bin), re-centred on its point: z(t) = point + m(i + t) − m(i),
// where m(i) is the training frame nearest the point and the stretch is walked forward, turning
// back at the ends of its source. So it evolves like the material without replaying it (the offset
// point − m(i) stays). For a map point only its two map coordinates are the caller's: the offset is
// kept in the map plane and every other coordinate follows the real frames, since the map point's
// "data mean" there is an average no real frame has. 'hold' keeps one point (a drone); a number is
// the old random drift between fresh draws, that many a second. Models without stored latents hold.
import { SeededRandom } from '../random.js';
import { drawFromMixture } from './posterior.js';
import type { VaeModel } from './vae-model.js';

export type Motion = 'material' | 'hold' | number;

/** A random sound draws a fresh point this often, and glides there over CROSSFADE_SECONDS. */
export const WANDER_SECONDS = 0.5;
export const CROSSFADE_SECONDS = 0.12;
export type Source = 'posterior' | 'prior';

export interface RandomOptions {
  temperature?: number;
  seed?: number;
  motion?: Motion;
  from?: Source;
}

export class Sampler {
  readonly #model: VaeModel;

  constructor(model: VaeModel) {
    this.#model = model;
  }

  /** One random point: a draw of the aggregate posterior (or the prior) at `temperature`. */
  draw(rng: SeededRandom, temperature = 1, from: Source = 'posterior'): Float32Array {
    const { studio, latent: d } = this.#model;
    if (from === 'prior') return Float32Array.from({ length: d }, () => temperature * rng.normal());
    if (studio.posterior) return drawFromMixture(studio.posterior, rng, temperature);
    // Older models: the data's Gaussian as its PCA describes it.
    const { mean, components, std } = studio.pca;
    const z = Float32Array.from(mean);
    components.forEach((axis, k) => {
      const step = temperature * (std[k] ?? 0) * rng.normal();
      for (let j = 0; j < d; j++) z[j] += step * axis[j];
    });
    return z;
  }

  /**
   * A random sound's trajectory (frames × latent) and the point it starts from. Moving as the
   * material does, it also wanders: every WANDER_SECONDS a fresh point is drawn and the sound
   * crossfades (over CROSSFADE_SECONDS) to the stretch of material nearest it, so one sound visits
   * several places of the material rather than one (measured: precision, recall and flux all rise).
   */
  random(frames: number, options: RandomOptions = {}): { trajectory: Float32Array; point: Float32Array } {
    const rng = new SeededRandom(options.seed ?? 0);
    const temperature = options.temperature ?? 1;
    const from = options.from ?? 'posterior';
    const point = this.draw(rng, temperature, from);
    const motion = options.motion ?? 'material';
    if (typeof motion === 'number')
      return { trajectory: this.#drift(point, frames, motion, rng, temperature, from), point };
    if (motion === 'hold') return { trajectory: this.around(point, frames, { motion }), point };
    const fps = this.#model.studio.frames.sampleRate / this.#model.studio.frames.hop;
    const every = Math.max(1, Math.round(WANDER_SECONDS * fps));
    const fade = Math.min(every, Math.round(CROSSFADE_SECONDS * fps));
    const d = this.#model.latent;
    const out = new Float32Array(frames * d);
    // Piece k sounds frames [k·every, (k+1)·every) and runs on `fade` frames into the next slot,
    // where the next piece fades in over it.
    let previous: Float32Array | null = null;
    for (let start = 0, k = 0; start < frames; start += every, k++) {
      const anchor = k === 0 ? point : this.draw(rng, temperature, from);
      const length = Math.min(every + fade, frames - start);
      const piece = this.around(anchor, length, { motion });
      for (let f = 0; f < Math.min(every, length); f++) {
        const row = piece.subarray(f * d, (f + 1) * d);
        if (previous && f < fade) {
          const w = 0.5 - 0.5 * Math.cos((Math.PI * (f + 1)) / (fade + 1));
          const tail = previous.subarray((every + f) * d, (every + f + 1) * d);
          for (let j = 0; j < d; j++) out[(start + f) * d + j] = (1 - w) * tail[j] + w * row[j];
        } else out.set(row, (start + f) * d);
      }
      previous = piece;
    }
    return { trajectory: out, point };
  }

  /**
   * The trajectory of a sound around a chosen point. With `plane` (a map point) only the point's
   * map coordinates are kept; its other coordinates follow the real frames.
   */
  around(
    point: Float32Array,
    frames: number,
    options: { motion?: Motion; seed?: number; plane?: boolean } = {},
  ): Float32Array {
    const model = this.#model;
    const d = model.latent;
    const out = new Float32Array(frames * d);
    const motion = options.motion ?? 'material';
    const latents = model.latents;
    const segments = model.studio.latents?.segments;
    if (motion === 'hold' || motion === 0 || !latents || !segments || segments.length === 0) {
      for (let f = 0; f < frames; f++) out.set(point, f * d);
      return out;
    }
    if (typeof motion === 'number') {
      const rng = new SeededRandom(options.seed ?? 0);
      return this.#drift(point, frames, motion, rng, 1, 'posterior');
    }
    const nearest = this.nearest(point);
    const segment = segments.find((s) => nearest >= s.start && nearest < s.start + s.length)!;
    const origin = latents.subarray(nearest * d, (nearest + 1) * d);
    const offset = Float32Array.from(point, (v, j) => v - origin[j]);
    if (options.plane) {
      // Keep only the offset's component in the map plane.
      const [a, b] = model.studio.pca.components;
      let pa = 0;
      let pb = 0;
      for (let j = 0; j < d; j++) {
        pa += offset[j] * a[j];
        pb += offset[j] * b[j];
      }
      for (let j = 0; j < d; j++) offset[j] = pa * a[j] + pb * b[j];
    }
    // Walk the segment forward from the nearest frame, turning back at its ends.
    const span = segment.length;
    let index = nearest - segment.start;
    let step = span > 1 ? 1 : 0;
    for (let f = 0; f < frames; f++) {
      const row = latents.subarray((segment.start + index) * d, (segment.start + index + 1) * d);
      for (let j = 0; j < d; j++) out[f * d + j] = row[j] + offset[j];
      if (index + step < 0 || index + step >= span) step = -step;
      index += step;
    }
    return out;
  }

  /** The index of the stored training frame nearest `point` (Euclidean, in latent space). */
  nearest(point: Float32Array): number {
    const latents = this.#model.latents;
    if (!latents) throw new Error('the model has no stored latents');
    const d = this.#model.latent;
    let best = 0;
    let bestD = Infinity;
    for (let i = 0, n = latents.length / d; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d && s < bestD; j++) s += (latents[i * d + j] - point[j]) ** 2;
      if (s < bestD) {
        bestD = s;
        best = i;
      }
    }
    return best;
  }

  /** A smooth random walk through fresh draws, `rate` a second, joined by raised-cosine glides. */
  #drift(
    start: Float32Array,
    frames: number,
    rate: number,
    rng: SeededRandom,
    temperature: number,
    from: Source,
  ): Float32Array {
    const model = this.#model;
    const d = model.latent;
    const fps = model.studio.frames.sampleRate / model.studio.frames.hop;
    const out = new Float32Array(frames * d);
    const span = rate > 0 ? fps / rate : Infinity;
    let a = start;
    let b = this.draw(rng, temperature, from);
    let segment = 0;
    for (let f = 0; f < frames; f++) {
      while (f / span >= segment + 1) {
        a = b;
        b = this.draw(rng, temperature, from);
        segment++;
      }
      const t = Number.isFinite(span) ? f / span - segment : 0;
      const w = 0.5 - 0.5 * Math.cos(Math.PI * t);
      for (let j = 0; j < d; j++) out[f * d + j] = (1 - w) * a[j] + w * b[j];
    }
    return out;
  }
}

/** The loudness generated sound is brought to when a model does not know its material's (older models). */
export const DEFAULT_MATERIAL_DB = -20;

/** The training material's loudness, dBFS (older models: DEFAULT_MATERIAL_DB). */
export function materialLoudness(model: VaeModel): number {
  return model.studio.level?.loudnessDb ?? DEFAULT_MATERIAL_DB;
}
