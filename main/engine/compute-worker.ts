// A worker thread of the engine's pool (pool.ts): runs one task at a time — decoding, analysis,
// maps, renders, sampling, resynthesis, export — on files the main thread has already resolved
// inside the project, with its own cache of models (model-cache.ts) that the main thread tells
// to forget or re-key a model folder. Errors go back by name and message.
import { parentPort, workerData } from 'node:worker_threads';
import type { ExportSettings, LatentMap, ResynthOptions } from '../../common/api.js';
import { decodeAudio, loadAudioFile } from '../../ml/audio/load.js';
import { initBackend, type BackendName } from '../../ml/backend.js';
import { analyze, peakAmplitude } from '../../ml/features/analyze.js';
import { toUnitFrames } from '../../ml/features/scale.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { exportInto } from './exports.js';
import { ModelCache, NoModelError } from './model-cache.js';
import type { FromWorker, ToWorker } from './pool.js';
import { recordingToWav } from './recording.js';
import {
  computeMap,
  type MapSource,
  pointToLatent,
  renderLatent,
  resynthesizeFile,
  sampleSounds,
  type SoundOptions,
} from './synthesis-ops.js';

const backend = (workerData as { backend?: BackendName } | undefined)?.backend;
const port = parentPort!;
const models = new ModelCache();
const running = new Map<number, AbortController>();

/** Runs `fn` with a lease on the model in `folder`; `id` names it in errors. */
async function withModel<T>(
  folder: string,
  id: string,
  fn: (model: import('../../ml/vae/vae-model.js').VaeModel) => Promise<T>,
): Promise<T> {
  await initBackend(backend);
  let lease;
  try {
    lease = await models.acquire(folder);
  } catch (err) {
    if (err instanceof NoModelError) {
      const error = new Error(`no model ${JSON.stringify(id)} in the project`);
      error.name = 'ProjectError';
      throw error;
    }
    throw err;
  }
  try {
    return await fn(lease.model);
  } finally {
    lease.release();
  }
}

/** The typed-array buffers in a result, moved to the main thread rather than copied. */
function transferables(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (depth > 4 || typeof value !== 'object' || value === null) return out;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !out.includes(value.buffer)) out.push(value.buffer);
    return out;
  }
  for (const v of Object.values(value)) transferables(v, out, depth + 1);
  return out;
}

type Op = (
  args: unknown[],
  task: { signal: AbortSignal; progress(done: number, total: number): void },
) => Promise<unknown>;

const ops: Record<string, Op> = {
  async hello() {
    const info = await initBackend(backend);
    const fft = await createRealFft(DEFAULT_FRAME_SETTINGS.windowSize);
    const implementation = fft.implementation;
    fft.dispose();
    return {
      backend: { name: info.name, gpu: info.gpu, threads: info.threads ?? null },
      fft: implementation,
    };
  },

  /** Checks an import's bytes: what Project records about the sound (the samples stay here). */
  async decode([bytes, name, sampleRate]) {
    const audio = await decodeAudio(bytes as Uint8Array, name as string, {
      sampleRate: sampleRate as number,
    });
    return {
      durationSeconds: audio.durationSeconds,
      sourceRate: audio.sourceRate,
      channels: audio.channels,
      warnings: audio.warnings,
    };
  },

  /** decode for a file already on disk (an upload, a path), read a piece at a time; errors name `name`. */
  async decodeFile([path, name, sampleRate]) {
    const audio = await loadAudioFile(path as string, {
      sampleRate: sampleRate as number,
      name: name as string,
    });
    return {
      durationSeconds: audio.durationSeconds,
      sourceRate: audio.sourceRate,
      channels: audio.channels,
      warnings: audio.warnings,
    };
  },

  /** A recording as the WAV file it becomes (trimmed, 24-bit). */
  async recording([samples, sampleRate]) {
    return recordingToWav(samples as Float32Array, sampleRate as number);
  },

  async readSource([file, sampleRate]) {
    const audio = await loadAudioFile(file as string, { sampleRate: sampleRate as number });
    return { sampleRate: sampleRate as number, samples: audio.samples };
  },

  async sourceFrames([file, sampleRate]) {
    const settings = { ...DEFAULT_FRAME_SETTINGS, sampleRate: sampleRate as number };
    const audio = await loadAudioFile(file as string, { sampleRate: settings.sampleRate });
    const a = analyze(audio.samples, settings);
    const peak = peakAmplitude(a.amplitude);
    const data =
      peak > 0 ? toUnitFrames(a.amplitude, peak, settings.floorDb) : new Float32Array(a.amplitude.length);
    return { frames: a.frames, bins: settings.bins, data, hopSeconds: settings.hop / settings.sampleRate };
  },

  /** The latent map, kept with the model until it changes. */
  async map([folder, id, sources, missing], { signal }) {
    return withModel(folder as string, id as string, async (model) => {
      const key = `map:${JSON.stringify(sources)}`;
      const cached = models.extra<LatentMap>(folder as string, key);
      // Always a copy: what is sent is transferred, and the cached map must keep its arrays.
      if (cached) return { ...structuredClone(cached), model: id as string };
      const map = await computeMap(model, id as string, sources as MapSource[], missing as string[], signal);
      models.setExtra(folder as string, model, key, map);
      // The cached copy stays here: what is sent is a copy, since transferring would empty it.
      return structuredClone(map);
    });
  },

  async sample([folder, id, count, seconds, temperature, seed, options]) {
    return withModel(folder as string, id as string, (model) =>
      sampleSounds(
        model,
        count as number,
        seconds as number,
        temperature as number,
        seed as number,
        options as SoundOptions,
      ),
    );
  },

  async resynthesize([folder, id, file, morphFile, options]) {
    return withModel(folder as string, id as string, (model) =>
      resynthesizeFile(
        model,
        id as string,
        file as string,
        morphFile as string | null,
        options as ResynthOptions,
      ),
    );
  },

  async renderLatent([folder, id, z, seconds, options]) {
    return withModel(folder as string, id as string, (model) =>
      renderLatent(model, id as string, z as Float32Array, seconds as number, options as SoundOptions),
    );
  },

  async renderPoint([folder, id, p1, p2, seconds, options]) {
    return withModel(folder as string, id as string, (model) =>
      renderLatent(model, id as string, pointToLatent(model, p1 as number, p2 as number), seconds as number, {
        ...(options as SoundOptions),
        plane: true,
      }),
    );
  },

  async export([folder, settings, inputs, path], { signal, progress }) {
    const s = settings as ExportSettings;
    return withModel(folder as string, s.model, (model) =>
      exportInto(model, s, inputs as string[], path as string, { signal, onProgress: progress }),
    );
  },
};

const controls: Record<string, (args: unknown[]) => void> = {
  forget: ([folder]) => models.forget(folder as string),
  rekey: ([from, to]) => models.rekey(from as string, to as string),
};

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  if (message.type === 'control') {
    controls[message.op]?.(message.args);
    return;
  }
  const { id, op, args } = message;
  const controller = new AbortController();
  running.set(id, controller);
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const fn = ops[op];
  const work = fn
    ? fn(args, {
        signal: controller.signal,
        progress: (done, total) => post({ type: 'progress', id, done, total }),
      })
    : Promise.reject(new Error(`unknown operation ${op}`));
  const fail = (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    const name = controller.signal.aborted ? 'AbortError' : error.name;
    post({ type: 'error', id, error: { name, message: error.message } });
  };
  work
    .then((value) => {
      // A value that cannot be sent is this worker's bug: the caller hears of it rather than waiting.
      try {
        post({ type: 'result', id, value }, transferables(value));
      } catch (err) {
        fail(err);
      }
    }, fail)
    .finally(() => running.delete(id));
});
