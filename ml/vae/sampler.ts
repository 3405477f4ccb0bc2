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
import { GENERATED_SOUND } from '../../common/api.js';
import { SeededRandom } from '../random.js';
import { latentToMapPoint } from './pca.js';
import { drawFromMixture } from './posterior.js';
import type { VaeModel } from './vae-model.js';

export type Motion = 'material' | 'hold' | number;

/** A random sound draws a fresh point this often, and glides there over CROSSFADE_SECONDS. */
export const WANDER_SECONDS = 0.25;
export const CROSSFADE_SECONDS = 0.12;
/** A held place wanders among this many of the stored frames nearest it. */
export const NEAREST = 16;
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
  draw(
    rng: SeededRandom,
    temperature: number = GENERATED_SOUND.temperature,
    from: Source = 'posterior',
  ): Float32Array {
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
    const temperature = options.temperature ?? GENERATED_SOUND.temperature;
    const from = options.from ?? 'posterior';
    const point = this.draw(rng, temperature, from);
    const motion = options.motion ?? 'material';
    if (typeof motion === 'number')
      return { trajectory: this.#drift(point, frames, motion, rng, temperature, from), point };
    if (motion === 'hold') return { trajectory: this.around(point, frames, { motion }), point };
    const trajectory = this.#pieces(frames, (k, length) =>
      this.around(k === 0 ? point : this.draw(rng, temperature, from), length, { motion }),
    );
    return { trajectory, point };
  }

  /**
   * The trajectory of a sound around a chosen point. With `plane` (a map point) only the point's
   * map coordinates are kept: the stretch is the one nearest on the map, and every other coordinate
   * follows the real frames. With `wander`, every WANDER_SECONDS the sound crossfades to the stretch
   * of another of the NEAREST frames (picked by the seed), so a held place still moves as varied
   * material does.
   */
  around(
    point: Float32Array,
    frames: number,
    options: { motion?: Motion; seed?: number; plane?: boolean; wander?: boolean } = {},
  ): Float32Array {
    const model = this.#model;
    const d = model.latent;
    const motion = options.motion ?? 'material';
    const latents = model.latents;
    const segments = model.studio.latents?.segments;
    if (motion === 'hold' || motion === 0 || !latents || !segments || segments.length === 0) {
      const out = new Float32Array(frames * d);
      for (let f = 0; f < frames; f++) out.set(point, f * d);
      return out;
    }
    if (typeof motion === 'number') {
      const rng = new SeededRandom(options.seed ?? 0);
      return this.#drift(point, frames, motion, rng, 1, 'posterior');
    }
    const plane = options.plane ?? false;
    if (!options.wander) return this.#stretch(point, this.nearest(point, plane), frames, plane);
    const rng = new SeededRandom(options.seed ?? 0);
    const near = this.nearestFrames(point, NEAREST, plane);
    return this.#pieces(frames, (k, length) =>
      this.#stretch(point, k === 0 ? near[0] : near[Math.floor(rng.next() * near.length)], length, plane),
    );
  }

  /** `frames` of the stored material from frame `origin` on, moved by point − m(origin). */
  #stretch(point: Float32Array, origin: number, frames: number, plane: boolean): Float32Array {
    const model = this.#model;
    const d = model.latent;
    const latents = model.latents!;
    const segments = model.studio.latents!.segments;
    const out = new Float32Array(frames * d);
    const segment = segments.find((s) => origin >= s.start && origin < s.start + s.length)!;
    const from = latents.subarray(origin * d, (origin + 1) * d);
    const offset = Float32Array.from(point, (v, j) => v - from[j]);
    if (plane) {
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
    // Walk the segment forward from the origin, turning back at its ends.
    const span = segment.length;
    let index = origin - segment.start;
    let step = span > 1 ? 1 : 0;
    for (let f = 0; f < frames; f++) {
      const row = latents.subarray((segment.start + index) * d, (segment.start + index + 1) * d);
      for (let j = 0; j < d; j++) out[f * d + j] = row[j] + offset[j];
      if (index + step < 0 || index + step >= span) step = -step;
      index += step;
    }
    return out;
  }

  /**
   * A trajectory of `frames` made of pieces: piece k sounds frames [k·every, (k+1)·every) and runs
   * on CROSSFADE_SECONDS into the next slot, where the next piece fades in over it.
   */
  #pieces(frames: number, piece: (k: number, length: number) => Float32Array): Float32Array {
    const fps = this.#model.studio.frames.sampleRate / this.#model.studio.frames.hop;
    const every = Math.max(1, Math.round(WANDER_SECONDS * fps));
    const fade = Math.min(every, Math.round(CROSSFADE_SECONDS * fps));
    const d = this.#model.latent;
    const out = new Float32Array(frames * d);
    let previous: Float32Array | null = null;
    for (let start = 0, k = 0; start < frames; start += every, k++) {
      const length = Math.min(every + fade, frames - start);
      const current = piece(k, length);
      for (let f = 0; f < Math.min(every, length); f++) {
        const row = current.subarray(f * d, (f + 1) * d);
        if (previous && f < fade) {
          const w = 0.5 - 0.5 * Math.cos((Math.PI * (f + 1)) / (fade + 1));
          const tail = previous.subarray((every + f) * d, (every + f + 1) * d);
          for (let j = 0; j < d; j++) out[(start + f) * d + j] = (1 - w) * tail[j] + w * row[j];
        } else out.set(row, (start + f) * d);
      }
      previous = current;
    }
    return out;
  }

  /** The index of the stored training frame nearest `point` (on the map with `plane`). */
  nearest(point: Float32Array, plane = false): number {
    return this.nearestFrames(point, 1, plane)[0];
  }

  /**
   * The `k` stored training frames nearest `point`, nearest first: Euclidean in latent space, or
   * with `plane` between their map coordinates.
   */
  nearestFrames(point: Float32Array, k: number, plane = false): number[] {
    const model = this.#model;
    const latents = model.latents;
    if (!latents) throw new Error('the model has no stored latents');
    const d = model.latent;
    const n = latents.length / d;
    const distance = new Float64Array(n);
    if (plane) {
      const [p1, p2] = latentToMapPoint(model.studio.pca, point);
      for (let i = 0; i < n; i++) {
        const [q1, q2] = latentToMapPoint(model.studio.pca, latents.subarray(i * d, (i + 1) * d));
        distance[i] = (q1 - p1) ** 2 + (q2 - p2) ** 2;
      }
    } else {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (latents[i * d + j] - point[j]) ** 2;
        distance[i] = s;
      }
    }
    // A partial selection: keep the k best seen so far.
    const best: number[] = [];
    for (let i = 0; i < n; i++) {
      if (best.length === k && distance[i] >= distance[best[k - 1]]) continue;
      let at = best.length;
      while (at > 0 && distance[best[at - 1]] > distance[i]) at--;
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
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
