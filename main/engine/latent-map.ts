// Latent maps of a project's models: the training frames' posterior means on the plane of their
// first two principal components, with meyda's descriptors, cached per model until it changes.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LatentMap, ResynthOptions, SourceAudio } from '../../common/api.js';
import { loadAudioFile } from '../../ml/audio/load.js';
import { analyze } from '../../ml/features/analyze.js';
import { toUnitFrames } from '../../ml/features/scale.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { Stft } from '../../ml/synth/stft.js';
import { framesFor, resynthesize, trajectoryToAudio } from '../../ml/vae/generate.js';
import { VaeModel, blend, stretchTrajectory } from '../../ml/vae/vae-model.js';
import { fadeEdges } from '../outputs.js';
import { type Project, ProjectError } from './project.js';

/** Generated sound fades in and out over 10 ms: it starts and stops abruptly otherwise. */
const EDGE_FADE = 0.01;

interface Entry {
  stamp: number;
  model: VaeModel;
  map: LatentMap | null;
}

export class LatentMaps {
  readonly #models = new Map<string, Entry>();

  /** The model, loaded once and reloaded when its studio.json changes. */
  async #entry(project: Project, id: string): Promise<Entry> {
    const folder = project.modelFolder(id);
    let stamp: number;
    try {
      stamp = (await stat(join(folder, 'studio.json'))).mtimeMs;
    } catch {
      throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${project.name}`);
    }
    const cached = this.#models.get(folder);
    if (cached && cached.stamp === stamp) return cached;
    cached?.model.dispose();
    const entry: Entry = { stamp, model: await VaeModel.load(folder), map: null };
    this.#models.set(folder, entry);
    return entry;
  }

  /** The loaded model (shared with maps and auditions; owned here). */
  async model(project: Project, id: string): Promise<VaeModel> {
    return (await this.#entry(project, id)).model;
  }

  async map(project: Project, id: string, signal?: AbortSignal): Promise<LatentMap> {
    const entry = await this.#entry(project, id);
    if (entry.map) return entry.map;
    const { model } = entry;
    const settings = model.studio.frames;
    const known = new Set((await project.summary()).sources.map((s) => s.id));
    const sources = model.studio.training.sources.map((s) => s.name).filter((name) => known.has(name));
    const missing = model.studio.training.sources.map((s) => s.name).filter((name) => !known.has(name));
    if (sources.length === 0) {
      throw new ProjectError(
        `${id}: none of the sounds it was trained on are in this project (${missing.join(', ')})`,
      );
    }
    const dimMin = new Float32Array(model.latent).fill(Infinity);
    const dimMax = new Float32Array(model.latent).fill(-Infinity);
    const parts: {
      p1: number[];
      p2: number[];
      source: number[];
      frame: number[];
      loudness: number[];
      centroid: number[];
      flatness: number[];
    } = {
      p1: [],
      p2: [],
      source: [],
      frame: [],
      loudness: [],
      centroid: [],
      flatness: [],
    };
    for (const [index, name] of sources.entries()) {
      signal?.throwIfAborted();
      const [file] = project.sourceFiles([name]);
      const audio = await loadAudioFile(file, { sampleRate: settings.sampleRate });
      const a = analyze(audio.samples, settings, { descriptors: true });
      const { mu } = model.encode(toUnitFrames(a.amplitude, model.studio.ref, settings.floorDb));
      for (let j = 0; j < mu.length; j++) {
        const d = j % model.latent;
        if (mu[j] < dimMin[d]) dimMin[d] = mu[j];
        if (mu[j] > dimMax[d]) dimMax[d] = mu[j];
      }
      for (let f = 0; f < a.frames; f++) {
        const [p1, p2] = model.latentToMapPoint(mu.subarray(f * model.latent, (f + 1) * model.latent));
        parts.p1.push(p1);
        parts.p2.push(p2);
        parts.source.push(index);
        parts.frame.push(f);
        parts.loudness.push(a.descriptors!.loudness[f]);
        parts.centroid.push(a.descriptors!.centroidHz[f]);
        parts.flatness.push(a.descriptors!.flatness[f]);
      }
    }
    const [s1, s2] = model.studio.pca.std;
    entry.map = {
      model: id,
      sources,
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
    return entry.map;
  }

  /** Random sounds: smooth walks from prior draws, decoded with PGHI + Griffin-Lim. */
  async sample(
    project: Project,
    id: string,
    count: number,
    seconds: number,
    temperature: number,
    seed: number,
  ): Promise<SourceAudio[]> {
    const { model } = await this.#entry(project, id);
    const settings = model.studio.frames;
    const fft = await createRealFft(settings.windowSize);
    try {
      const stft = new Stft(fft, settings);
      const out: SourceAudio[] = [];
      for (let i = 0; i < count; i++) {
        const z = model.sampleTrajectory(framesFor(seconds, settings), {
          temperature,
          seed: seed + i,
          framesPerSecond: settings.sampleRate / settings.hop,
        });
        out.push({
          sampleRate: settings.sampleRate,
          samples: fadeEdges(
            trajectoryToAudio(model, z, stft, { method: 'pghi-gl', iterations: 16, seed: seed + i }),
            EDGE_FADE,
            settings.sampleRate,
          ),
        });
      }
      return out;
    } finally {
      fft.dispose();
    }
  }

  /** A source through the model, optionally offset along a direction or morphed toward another source. */
  async resynthesize(
    project: Project,
    id: string,
    sourceId: string,
    options: ResynthOptions,
  ): Promise<SourceAudio> {
    const { model } = await this.#entry(project, id);
    const settings = model.studio.frames;
    const read = async (source: string) =>
      (await loadAudioFile(project.sourceFiles([source])[0], { sampleRate: settings.sampleRate })).samples;
    const samples = await read(sourceId);
    const d = model.latent;
    let target: Float32Array | null = null;
    const fft = await createRealFft(settings.windowSize);
    try {
      const stft = new Stft(fft, settings);
      if (options.morph) {
        target = resynthesize(model, await read(options.morph.target), stft, { method: 'source' }).mu;
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

  async renderPoint(
    project: Project,
    id: string,
    p1: number,
    p2: number,
    seconds: number,
  ): Promise<SourceAudio> {
    const { model } = await this.#entry(project, id);
    return this.renderLatent(project, id, model.mapPointToLatent(p1, p2), seconds);
  }

  async renderLatent(project: Project, id: string, z: Float32Array, seconds: number): Promise<SourceAudio> {
    const { model } = await this.#entry(project, id);
    if (z.length !== model.latent)
      throw new ProjectError(`${id} has ${model.latent} latent dimensions, not ${z.length}`);
    const settings = model.studio.frames;
    const frames = framesFor(seconds, settings);
    const trajectory = new Float32Array(frames * model.latent);
    for (let f = 0; f < frames; f++) trajectory.set(z, f * model.latent);
    const fft = await createRealFft(settings.windowSize);
    try {
      const audio = trajectoryToAudio(model, trajectory, new Stft(fft, settings), {
        method: 'pghi-gl',
        iterations: 16,
      });
      return { sampleRate: settings.sampleRate, samples: fadeEdges(audio, EDGE_FADE, settings.sampleRate) };
    } finally {
      fft.dispose();
    }
  }

  /** Lets go of a model whose folder is renamed or deleted. */
  forget(folder: string): void {
    this.#models.get(folder)?.model.dispose();
    this.#models.delete(folder);
  }

  dispose(): void {
    for (const entry of this.#models.values()) entry.model.dispose();
    this.#models.clear();
  }
}
