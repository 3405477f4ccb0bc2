// Exports of a project's models (the export dialog). The export service (export-service.ts) owns
// the job and the folders; the files themselves are written by exportInto, in a worker thread,
// into a temporary folder that the service renames into place. Offered to a browser as a zip.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { ExportSettings } from '../../common/api.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { Stft } from '../../ml/synth/stft.js';
import type { VaeModel } from '../../ml/vae/vae-model.js';
import { OutputFolder } from '../outputs.js';
import { type ExportRequest, runExport } from './batch-export.js';
import { type Project, ProjectError, safeStem } from './project.js';

function request(settings: ExportSettings, model: VaeModel, inputs: string[]): ExportRequest {
  const format = {
    seconds: settings.seconds,
    seed: settings.seed ?? 0,
    temperature: settings.temperature,
    motion: settings.motion,
    bitDepth: settings.bitDepth,
    rate: settings.rate,
    normalize: settings.normalize,
    fade: settings.fadeSeconds,
    prefix: settings.filePrefix,
  };
  switch (settings.kind) {
    case 'random':
      return { kind: 'random', count: settings.count ?? 4, ...format };
    case 'grid':
      return { kind: 'grid', n: settings.count ?? 3, ...format };
    case 'path':
      if (settings.latents?.length) {
        if (settings.latents.some((z) => z.length !== model.latent)) {
          throw new ProjectError(`a path through ${settings.model} needs points of ${model.latent} values`);
        }
        return { kind: 'path', points: settings.latents.map((z) => Float32Array.from(z)), ...format };
      }
      if (!settings.points?.length) throw new ProjectError('a path export needs at least one point');
      return {
        kind: 'path',
        points: settings.points.map((p) => model.mapPointToLatent(p.p1, p.p2)),
        ...format,
      };
    case 'resynth':
      return { kind: 'resynth', inputs, ...format };
  }
}

/** The files of an export, written into `path` (a new or empty folder); resolves to their names. */
export async function exportInto(
  model: VaeModel,
  settings: ExportSettings,
  inputs: string[],
  path: string,
  options: { signal?: AbortSignal; onProgress?(done: number, total: number): void },
): Promise<string[]> {
  const folder = await OutputFolder.open(path, { force: false, requireEmpty: true });
  const fft = await createRealFft(model.studio.frames.windowSize);
  try {
    const { files } = await runExport(
      model,
      settings.model,
      new Stft(fft, model.studio.frames),
      request(settings, model, inputs),
      folder,
      options,
    );
    return [...files.map((f) => f.file), 'manifest.json', 'manifest.csv'];
  } finally {
    fft.dispose();
  }
}

/** exports/<name>/ as a zip (stored, not deflated: WAVs barely compress). */
export async function exportZip(project: Project, name: string): Promise<Uint8Array> {
  if (safeStem(name) !== name) throw new ProjectError(`no export ${JSON.stringify(name)}`);
  const dir = await project.exportsPath(name).catch(() => {
    throw new ProjectError(`no export ${JSON.stringify(name)} in the project ${project.name}`);
  });
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    throw new ProjectError(`no export ${JSON.stringify(name)} in the project ${project.name}`);
  }
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const file of entries.sort())
    files[`${name}/${file}`] = [new Uint8Array(await readFile(join(dir, file))), { level: 0 }];
  return zipSync(files);
}
