// Batch export (the CLI's `export` and the studio's export dialog): random sounds, a grid over
// the latent map, one sound along a path of points, or resyntheses of recordings — each a WAV in
// the chosen format, written atomically into an output folder, with manifest.json and
// manifest.csv (file, map point, latent vector, descriptors) beside them.
import { basename, extname } from 'node:path';
import { GENERATED_SOUND, GRID_SPAN } from '../../common/api.js';
import { loadAudioFile } from '../../ml/audio/load.js';
import type { BitDepth } from '../../ml/audio/wav.js';
import { analyze } from '../../ml/features/analyze.js';
import type { FrameSettings } from '../../ml/features/settings.js';
import type { PhaseMethod } from '../../ml/synth/reconstruct.js';
import type { Stft } from '../../ml/synth/stft.js';
import { framesFor, resynthesize, trajectoryToAudio } from '../../ml/vae/generate.js';
import { materialLoudness, type Motion, Sampler, type Source } from '../../ml/vae/sampler.js';
import { blend, type VaeModel } from '../../ml/vae/vae-model.js';
import { type OutputFolder, type OutputFormat, renderWav, safeName } from '../outputs.js';

export type ExportKind =
  | { kind: 'random'; count: number }
  | { kind: 'grid'; n: number }
  | { kind: 'path'; points: Float32Array[] }
  | { kind: 'resynth'; inputs: string[] };

export type ExportRequest = ExportKind & {
  seconds: number;
  phase?: PhaseMethod;
  seed: number;
  bitDepth: BitDepth;
  rate?: number;
  /** material (the default of the CLI and the studio): the training material's loudness. */
  normalize: 'material' | 'peak' | 'none';
  /** How generated sounds move (sampler.ts): the material's motion by default; 'hold' for a drone. */
  motion?: Motion;
  /** Random sounds' temperature (GENERATED_SOUND.temperature by default) and where they are drawn from (the aggregate posterior). */
  temperature?: number;
  from?: Source;
  /** Fade in and out, seconds; by default 10 ms for generated sound and none for resyntheses. */
  fade?: number;
  /** File names start with this instead of the kind (random, grid, path) or, before a resynthesis, nothing. */
  prefix?: string;
};

export interface ManifestEntry {
  file: string;
  source?: string;
  latent: number[] | null;
  map: number[] | null;
  seconds: number;
  rate: number;
  rms: number;
  centroidHz: number;
  flatness: number;
  loudness: number;
}

interface Planned {
  name: string;
  render: () => Promise<{
    audio: Float32Array;
    latent: number[] | null;
    map: [number, number] | null;
    source?: string;
  }>;
}

const round = (x: number, d = 4) => Number(x.toFixed(d));
const mean = (x: Float32Array) => (x.length ? x.reduce((s, v) => s + v, 0) / x.length : 0);

/** Mean descriptors of a sound (meyda, per frame): what manifests list beside each file. */
export function describe(audio: Float32Array, settings: FrameSettings) {
  const d = analyze(audio, settings, { descriptors: true }).descriptors!;
  return {
    rms: round(mean(d.rms)),
    centroidHz: round(mean(d.centroidHz), 1),
    flatness: round(mean(d.flatness)),
    loudness: round(mean(d.loudness), 3),
  };
}

function plan(
  model: VaeModel,
  stft: Stft,
  request: ExportRequest,
): { items: Planned[]; method: PhaseMethod } {
  const settings = model.studio.frames;
  const frames = framesFor(request.seconds, settings);
  const method = request.phase ?? (request.kind === 'resynth' ? 'source' : GENERATED_SOUND.phase);
  const sampler = new Sampler(model);
  const motion = request.motion ?? 'material';
  const hold = (z: Float32Array) => sampler.around(z, frames, { motion: 'hold' });
  const items: Planned[] = [];
  const prefix = request.prefix ? safeName(request.prefix) : null;
  if (request.kind === 'random') {
    for (let i = 0; i < request.count; i++) {
      const seed = request.seed + i;
      items.push({
        name: `${prefix ?? 'random'}-${String(i + 1).padStart(3, '0')}.wav`,
        render: async () => {
          const { trajectory, point } = sampler.random(frames, {
            seed,
            motion,
            temperature: request.temperature,
            from: request.from,
          });
          return {
            audio: trajectoryToAudio(model, trajectory, stft, { method, seed }),
            latent: Array.from(point),
            map: model.latentToMapPoint(point),
          };
        },
      });
    }
  } else if (request.kind === 'grid') {
    const n = request.n;
    const [s1, s2] = model.studio.pca.std;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const p1 = n === 1 ? 0 : -GRID_SPAN * s1 + (2 * GRID_SPAN * s1 * c) / (n - 1);
        const p2 = n === 1 ? 0 : GRID_SPAN * s2 - (2 * GRID_SPAN * s2 * r) / (n - 1);
        items.push({
          name: `${prefix ?? 'grid'}-r${String(r + 1).padStart(2, '0')}-c${String(c + 1).padStart(2, '0')}.wav`,
          render: async () => {
            const z = model.mapPointToLatent(p1, p2);
            const trajectory = sampler.around(z, frames, {
              motion,
              seed: request.seed + r * n + c,
              plane: true,
              wander: true,
            });
            return {
              audio: trajectoryToAudio(model, trajectory, stft, { method, seed: request.seed }),
              latent: Array.from(z),
              map: [p1, p2],
            };
          },
        });
      }
    }
  } else if (request.kind === 'path') {
    const points = request.points;
    items.push({
      name: `${prefix ?? 'path'}.wav`,
      render: async () => {
        // Each point is reached after `seconds`, gliding linearly from the one before; the glide
        // moves as the material does around the first point (sampler.ts), unless held.
        const traj = new Float32Array(Math.max(1, points.length - 1) * frames * model.latent);
        if (points.length === 1) traj.set(hold(points[0]));
        for (let k = 0; k + 1 < points.length; k++) {
          for (let f = 0; f < frames; f++)
            traj.set(blend(points[k], points[k + 1], f / frames), (k * frames + f) * model.latent);
        }
        const moving = sampler.around(points[0], traj.length / model.latent, { motion, seed: request.seed });
        for (let i = 0; i < traj.length; i++) traj[i] += moving[i] - points[0][i % model.latent];
        return {
          audio: trajectoryToAudio(model, traj, stft, { method, seed: request.seed }),
          latent: Array.from(points[0]),
          map: model.latentToMapPoint(points[0]),
        };
      },
    });
  } else {
    const used = new Set<string>();
    for (const input of request.inputs) {
      const stem = `${prefix ? `${prefix}-` : ''}${safeName(basename(input, extname(input)))}`;
      let name = `${stem}-resynth.wav`;
      for (let k = 2; used.has(name); k++) name = `${stem}-resynth-${k}.wav`;
      used.add(name);
      items.push({
        name,
        render: async () => {
          const audio = await loadAudioFile(input, {
            sampleRate: settings.sampleRate,
            minSamples: settings.windowSize,
          });
          const r = resynthesize(model, audio.samples, stft, { method, seed: request.seed });
          return { audio: r.audio, latent: null, map: null, source: input };
        },
      });
    }
  }
  return { items, method };
}

/**
 * Renders and writes every file of the request into `folder`, then the manifests. Refuses up front
 * (before any work) a name the folder already holds, unless it was opened with force. `onProgress`
 * hears each file; an aborted `signal` stops between files. A staged folder
 * (`OutputFolder.open(…, { staged: true })`) is committed at the end and abandoned on any failure or
 * abort, so nothing is left that blocks a rerun; a folder not staged keeps the files written.
 */
export async function runExport(
  model: VaeModel,
  modelName: string,
  stft: Stft,
  request: ExportRequest,
  folder: OutputFolder,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<{ files: ManifestEntry[]; method: PhaseMethod }> {
  try {
    const result = await writeExport(model, modelName, stft, request, folder, options);
    await folder.commit();
    return result;
  } catch (err) {
    await folder.abandon();
    throw err;
  }
}

async function writeExport(
  model: VaeModel,
  modelName: string,
  stft: Stft,
  request: ExportRequest,
  folder: OutputFolder,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
): Promise<{ files: ManifestEntry[]; method: PhaseMethod }> {
  const settings = model.studio.frames;
  const { items, method } = plan(model, stft, request);
  folder.checkFree([...items.map((p) => p.name), 'manifest.json', 'manifest.csv']);
  const format: OutputFormat = {
    bitDepth: request.bitDepth,
    rate: request.rate,
    // A resynthesis keeps its recording's level: 'material' leaves it as made.
    normalize: request.kind === 'resynth' && request.normalize === 'material' ? 'none' : request.normalize,
    materialDb: materialLoudness(model),
    fade: request.fade ?? (request.kind === 'resynth' ? 0 : 0.01),
  };
  const files: ManifestEntry[] = [];
  for (const [i, item] of items.entries()) {
    options.onProgress?.(i, items.length);
    options.signal?.throwIfAborted();
    const r = await item.render();
    const { bytes, rate } = renderWav(r.audio, settings.sampleRate, format);
    await folder.write(item.name, bytes);
    files.push({
      file: item.name,
      ...(r.source ? { source: r.source } : {}),
      latent: r.latent?.map((v) => round(v)) ?? null,
      map: r.map?.map((v) => round(v)) ?? null,
      seconds: round(r.audio.length / settings.sampleRate, 3),
      rate,
      ...describe(r.audio, settings),
    });
  }
  options.onProgress?.(items.length, items.length);
  const manifest = {
    model: modelName,
    phase: method,
    bitDepth: request.bitDepth,
    normalize: request.normalize,
    files,
  };
  await folder.write('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2)));
  const csv = [
    'file,p1,p2,latent,seconds,rms,centroid_hz,flatness,loudness',
    ...files.map((e) =>
      [
        e.file,
        e.map?.[0] ?? '',
        e.map?.[1] ?? '',
        e.latent ? e.latent.join(' ') : '',
        e.seconds,
        e.rms,
        e.centroidHz,
        e.flatness,
        e.loudness,
      ].join(','),
    ),
  ].join('\n');
  await folder.write('manifest.csv', Buffer.from(`${csv}\n`));
  return { files, method };
}
