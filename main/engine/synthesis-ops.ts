// What the synthesis service computes, in a worker thread (compute-worker.ts), from a leased model
// and files the engine's main thread has already resolved inside the project: latent maps (the
// training frames' posterior means on the plane of their first two principal components, with
// meyda's descriptors), random sounds, resynthesis and renders of held points.
import { GENERATED_SOUND, type LatentMap, type ResynthOptions, type SourceAudio } from '../../common/api.js';
import { loadAudioFile } from '../../ml/audio/load.js';
import { analyze } from '../../ml/features/analyze.js';
import { toUnitFrames } from '../../ml/features/scale.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { Stft } from '../../ml/synth/stft.js';
import { framesFor, resynthesize, trajectoryToAudio } from '../../ml/vae/generate.js';
import { materialLoudness, Sampler, type Source } from '../../ml/vae/sampler.js';
import { type VaeModel, blend, stretchTrajectory } from '../../ml/vae/vae-model.js';
import { matchLoudness } from '../../ml/features/loudness.js';
import { fadeEdges } from '../outputs.js';
import { ProjectError } from './project.js';
import { DESCRIPTORS, FrameCache } from '../../ml/corpus/frame-cache.js';
import { MAP_POINT_BUDGET, mapStride } from '../../ml/corpus/map-budget.js';
import type { FrameSettings } from '../../ml/features/settings.js';

/** Generated sound fades in and out over 10 ms: it starts and stops abruptly otherwise. */
const EDGE_FADE = 0.01;

/** A training sound the project still has: its id and its file. */
export interface MapSource {
  id: string;
  file: string;
  /** The project's frame cache (ml/corpus/frame-cache.ts), where the source's frames are read from. */
  cache?: string;
}

/**
 * How far from the training data a decoded point may go: its distance from the data's mean is
 * capped at this many times the data's total spread (the root of the summed variances along the
 * principal axes). Far beyond the data the decoder saturates (+30 dBFS at 1e6) or overflows (NaN).
 */
const LATENT_REACH = 4;

/** A latent vector brought within reach of the model's training data (NaN becomes the mean). */
export function clampLatent(model: VaeModel, z: Float32Array): Float32Array {
  const { mean, std } = model.studio.pca;
  const spread = Math.sqrt(std.reduce((s, v) => s + v * v, 0)) || 1;
  const out = new Float32Array(z.length);
  let norm = 0;
  for (let d = 0; d < z.length; d++) {
    const v = Number.isFinite(z[d]) ? z[d] - mean[d] : 0;
    out[d] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  const scale = norm > LATENT_REACH * spread ? (LATENT_REACH * spread) / norm : 1;
  // Within reach: the vector as it was (only non-finite values replaced by the mean's).
  for (let d = 0; d < z.length; d++)
    out[d] = scale === 1 && Number.isFinite(z[d]) ? z[d] : mean[d] + out[d] * scale;
  return out;
}

/** A map point brought within reach (see clampLatent), as its latent vector. */
export function pointToLatent(model: VaeModel, p1: number, p2: number): Float32Array {
  const [s1, s2] = model.studio.pca.std;
  const bound = (v: number, s: number) =>
    Number.isFinite(v) ? Math.max(-LATENT_REACH * s * 4, Math.min(LATENT_REACH * s * 4, v)) : 0;
  return clampLatent(model, model.mapPointToLatent(bound(p1, s1), bound(p2, s2)));
}

/** One source's frames for the map: amplitude rows and descriptors, a stretch at a time. */
interface MapFrames {
  frames: number;
  /** Amplitude rows [from, from + count) and their descriptors (rms, centroid Hz, flatness, loudness). */
  read(from: number, count: number): { amplitude: Float32Array; descriptors: Float32Array };
}

async function mapFrames(source: MapSource, settings: FrameSettings): Promise<MapFrames> {
  if (source.cache) {
    const cache = new FrameCache(source.cache);
    const entry = await cache.ensure(source.file, settings);
    return {
      frames: entry.frames,
      read: (from, count) => {
        const amplitude = new Float32Array(count * settings.bins);
        cache.readAmplitude(entry, from, count, amplitude);
        return { amplitude, descriptors: cache.readDescriptors(entry, from, count) };
      },
    };
  }
  const audio = await loadAudioFile(source.file, { sampleRate: settings.sampleRate });
  const a = analyze(audio.samples, settings, { descriptors: true });
  const d = a.descriptors!;
  return {
    frames: a.frames,
    read: (from, count) => {
      const descriptors = new Float32Array(count * DESCRIPTORS);
      for (let i = 0; i < count; i++) {
        descriptors.set(
          [d.rms[from + i], d.centroidHz[from + i], d.flatness[from + i], d.loudness[from + i]],
          i * DESCRIPTORS,
        );
      }
      return {
        amplitude: a.amplitude.subarray(from * settings.bins, (from + count) * settings.bins),
        descriptors,
      };
    },
  };
}

/** Frames encoded at a time while a map is made. */
const MAP_STRETCH = 8192;

/**
 * The latent map of `model` over the training sounds the project still has. Within the point
 * budget (ml/corpus/map-budget.ts, 200,000) every frame is a point; over it, every k-th frame of each
 * source from its first, k = ⌈frames / budget⌉ over all the sources.
 */
export async function computeMap(
  model: VaeModel,
  id: string,
  sources: MapSource[],
  missing: string[],
  signal?: AbortSignal,
  budget = MAP_POINT_BUDGET,
): Promise<LatentMap> {
  const settings = model.studio.frames;
  if (sources.length === 0) {
    throw new ProjectError(
      `${id}: none of the sounds it was trained on are in this project (${missing.join(', ')})`,
    );
  }
  const dimMin = new Float32Array(model.latent).fill(Infinity);
  const dimMax = new Float32Array(model.latent).fill(-Infinity);
  const parts = {
    p1: [] as number[],
    p2: [] as number[],
    source: [] as number[],
    frame: [] as number[],
    loudness: [] as number[],
    centroid: [] as number[],
    flatness: [] as number[],
  };
  const found: MapFrames[] = [];
  for (const source of sources) {
    signal?.throwIfAborted();
    found.push(await mapFrames(source, settings));
  }
  const stride = mapStride(
    found.reduce((n, s) => n + s.frames, 0),
    budget,
  );
  for (const [index, source] of found.entries()) {
    for (let from = 0; from < source.frames; from += MAP_STRETCH) {
      signal?.throwIfAborted();
      const count = Math.min(MAP_STRETCH, source.frames - from);
      const { amplitude, descriptors } = source.read(from, count);
      // The kept frames of this stretch: every stride-th of the source, from its first.
      const keep: number[] = [];
      for (let f = Math.ceil(from / stride) * stride; f < from + count; f += stride) keep.push(f - from);
      const bins = settings.bins;
      const rows = new Float32Array(keep.length * bins);
      keep.forEach((k, i) => rows.set(amplitude.subarray(k * bins, (k + 1) * bins), i * bins));
      const { mu } = model.encode(toUnitFrames(rows, model.studio.ref, settings.floorDb));
      for (let j = 0; j < mu.length; j++) {
        const d = j % model.latent;
        if (mu[j] < dimMin[d]) dimMin[d] = mu[j];
        if (mu[j] > dimMax[d]) dimMax[d] = mu[j];
      }
      keep.forEach((k, i) => {
        const [p1, p2] = model.latentToMapPoint(mu.subarray(i * model.latent, (i + 1) * model.latent));
        parts.p1.push(p1);
        parts.p2.push(p2);
        parts.source.push(index);
        parts.frame.push(from + k);
        parts.loudness.push(descriptors[k * DESCRIPTORS + 3]);
        parts.centroid.push(descriptors[k * DESCRIPTORS + 1]);
        parts.flatness.push(descriptors[k * DESCRIPTORS + 2]);
      });
    }
  }
  const [s1, s2] = model.studio.pca.std;
  return {
    model: id,
    sources: sources.map((s) => s.id),
    p1: Float32Array.from(parts.p1),
    p2: Float32Array.from(parts.p2),
    source: Uint16Array.from(parts.source),
    frame: Uint32Array.from(parts.frame),
    loudness: Float32Array.from(parts.loudness),
    centroidHz: Float32Array.from(parts.centroid),
    flatness: Float32Array.from(parts.flatness),
    hopSeconds: settings.hop / settings.sampleRate,
    std: [s1, s2],
    missing,
    mean: Float32Array.from(model.studio.pca.mean),
    axes: [
      Float32Array.from(model.studio.pca.components[0]),
      Float32Array.from(model.studio.pca.components[1]),
    ],
    dimMin,
    dimMax,
  };
}

/** How a generated sound is made (the API's SoundOptions, defaults filled in). */
export interface SoundOptions {
  motion?: 'material' | 'hold';
  from?: Source;
}

/** A generated trajectory as sound (GENERATED_SOUND's phase), faded, at the material's loudness. */
async function toSound(model: VaeModel, trajectory: Float32Array, seed: number): Promise<SourceAudio> {
  const settings = model.studio.frames;
  const fft = await createRealFft(settings.windowSize);
  try {
    // As the CLI's `sample` and `export` make it, so a preview sounds as the file will.
    const audio = trajectoryToAudio(model, trajectory, new Stft(fft, settings), {
      method: GENERATED_SOUND.phase,
      seed,
    });
    fadeEdges(audio, EDGE_FADE, settings.sampleRate);
    matchLoudness(audio, materialLoudness(model));
    return { sampleRate: settings.sampleRate, samples: audio };
  } finally {
    fft.dispose();
  }
}

/** Random sounds from the one sampler (sampler.ts), as export and the CLI make them. */
export async function sampleSounds(
  model: VaeModel,
  count: number,
  seconds: number,
  temperature: number,
  seed: number,
  options: SoundOptions = {},
): Promise<SourceAudio[]> {
  const frames = framesFor(seconds, model.studio.frames);
  const sampler = new Sampler(model);
  const out: SourceAudio[] = [];
  for (let i = 0; i < count; i++) {
    const { trajectory } = sampler.random(frames, {
      temperature,
      seed: seed + i,
      motion: options.motion ?? 'material',
      from: options.from ?? 'posterior',
    });
    out.push(await toSound(model, trajectory, seed + i));
  }
  return out;
}

/**
 * A source (its file) through the model, optionally offset along a direction or morphed toward
 * another source (`morphFile`).
 */
export async function resynthesizeFile(
  model: VaeModel,
  id: string,
  file: string,
  morphFile: string | null,
  options: ResynthOptions,
): Promise<SourceAudio> {
  const settings = model.studio.frames;
  const read = async (path: string) =>
    (await loadAudioFile(path, { sampleRate: settings.sampleRate })).samples;
  const samples = await read(file);
  const d = model.latent;
  let target: Float32Array | null = null;
  const fft = await createRealFft(settings.windowSize);
  try {
    const stft = new Stft(fft, settings);
    if (options.morph && morphFile) {
      target = resynthesize(model, await read(morphFile), stft, { method: 'source' }).mu;
    }
    const direction = (() => {
      const o = options.offset;
      if (!o) return null;
      if (o.direction === 'axis1' || o.direction === 'axis2') {
        const axis = o.direction === 'axis1' ? 0 : 1;
        return Float32Array.from(
          model.studio.pca.components[axis],
          (v) => v * o.amount * model.studio.pca.std[axis],
        );
      }
      if (o.direction >= d)
        throw new ProjectError(`${id} has ${d} latent dimensions; there is no z${o.direction + 1}`);
      const v = new Float32Array(d);
      v[o.direction] = o.amount;
      return v;
    })();
    const transform = (mu: Float32Array): Float32Array => {
      let out = mu;
      if (target && options.morph)
        out = blend(out, stretchTrajectory(target, d, out.length / d), options.morph.amount);
      if (direction) out = out.map((v, i) => v + direction[i % d]);
      return out;
    };
    const r = resynthesize(model, samples, stft, { method: options.phase ?? 'source', transform });
    return { sampleRate: settings.sampleRate, samples: r.audio };
  } finally {
    fft.dispose();
  }
}

/**
 * The sound of a latent vector (clamped within reach of the data) for `seconds`: moving as the
 * material does around it (sampler.ts), or held; `plane` for a map point (only its map coordinates
 * are the caller's).
 */
export async function renderLatent(
  model: VaeModel,
  id: string,
  z: Float32Array,
  seconds: number,
  options: SoundOptions & { plane?: boolean } = {},
): Promise<SourceAudio> {
  if (z.length !== model.latent)
    throw new ProjectError(`${id} has ${model.latent} latent dimensions, not ${z.length}`);
  const frames = framesFor(seconds, model.studio.frames);
  const trajectory = new Sampler(model).around(clampLatent(model, z), frames, {
    motion: options.motion ?? 'material',
    plane: options.plane,
    wander: options.plane,
  });
  return toSound(model, trajectory, 0);
}
