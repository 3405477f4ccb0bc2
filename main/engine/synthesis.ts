// The synthesis service: latent maps, renders of points and vectors, random sounds and
// resynthesis. The main thread resolves the model folder and the source files inside the open
// project and hands the work to the pool (compute-worker.ts, synthesis-ops.ts), so none of it
// runs on the thread that answers the UI.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  CallContext,
  LatentMap,
  ResynthOptions,
  SoundOptions,
  SourceAudio,
  SynthesisApi,
} from '../../common/api.js';
import type { WorkerPool } from './pool.js';
import { type Project, ProjectError } from './project.js';
import type { MapSource } from './synthesis-ops.js';
import { FRAME_CACHE } from './jobs.js';

export class SynthesisService implements SynthesisApi {
  readonly #pool: WorkerPool;
  readonly #project: () => Project;

  constructor(pool: WorkerPool, project: () => Project) {
    this.#pool = pool;
    this.#project = project;
  }

  async getMap(model: string, context?: CallContext): Promise<LatentMap> {
    const project = this.#project();
    const folder = await project.modelPath(model);
    const trained = await trainedSources(folder, model);
    const known = new Set((await project.summary()).sources.map((s) => s.id));
    const present = trained.filter((name) => known.has(name));
    const sources: MapSource[] = [];
    // The map reads the project's frame cache, as training does (and fills it for a source not yet in it).
    const cache = await project.resolveInside(FRAME_CACHE);
    for (const id of present) sources.push({ id, file: (await project.sourcePaths([id]))[0], cache });
    const missing = trained.filter((name) => !known.has(name));
    return this.#pool.run('map', [folder, model, sources, missing], { signal: context?.signal });
  }

  async sample(
    model: string,
    count: number,
    seconds: number,
    temperature: number,
    seed: number,
    options: SoundOptions = {},
    context?: CallContext,
  ): Promise<SourceAudio[]> {
    const folder = await this.#project().modelPath(model);
    return this.#pool.run('sample', [folder, model, count, seconds, temperature, seed, options], {
      signal: context?.signal,
    });
  }

  async resynthesize(
    model: string,
    source: string,
    options: ResynthOptions,
    context?: CallContext,
  ): Promise<SourceAudio> {
    const project = this.#project();
    const folder = await project.modelPath(model);
    const [file] = await project.sourcePaths([source]);
    const morph = options.morph ? (await project.sourcePaths([options.morph.target]))[0] : null;
    return this.#pool.run('resynthesize', [folder, model, file, morph, options], { signal: context?.signal });
  }

  async renderLatent(
    model: string,
    z: Float32Array,
    seconds: number,
    options: SoundOptions = {},
    context?: CallContext,
  ): Promise<SourceAudio> {
    const folder = await this.#project().modelPath(model);
    return this.#pool.run('renderLatent', [folder, model, z, seconds, options], { signal: context?.signal });
  }

  async renderPoint(
    model: string,
    p1: number,
    p2: number,
    seconds: number,
    options: SoundOptions = {},
    context?: CallContext,
  ): Promise<SourceAudio> {
    const folder = await this.#project().modelPath(model);
    return this.#pool.run('renderPoint', [folder, model, p1, p2, seconds, options], {
      signal: context?.signal,
    });
  }
}

/** The names of the sounds a model was trained on, from its studio.json (a small file: read here). */
async function trainedSources(folder: string, id: string): Promise<string[]> {
  try {
    const studio = JSON.parse(await readFile(join(folder, 'studio.json'), 'utf8')) as {
      training?: { sources?: { name?: unknown }[] };
    };
    return (studio.training?.sources ?? []).map((s) => String(s.name));
  } catch {
    throw new ProjectError(`no model ${JSON.stringify(id)} in the project`);
  }
}
