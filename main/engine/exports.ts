// Exports of a project's models (the export dialog): written by the engine into the project's
// exports/<name>/, or under Electron into a folder the user chose; offered to a browser as a zip.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { ExportResult, ExportSettings, StudioEvent } from '../../common/api.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { Stft } from '../../ml/synth/stft.js';
import type { VaeModel } from '../../ml/vae/vae-model.js';
import { OutputFolder } from '../outputs.js';
import { type ExportRequest, runExport } from './batch-export.js';
import { type Project, ProjectError, safeStem } from './project.js';

function request(settings: ExportSettings, model: VaeModel, project: Project): ExportRequest {
  const format = {
    seconds: settings.seconds,
    seed: 0,
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
      return { kind: 'resynth', inputs: project.sourceFiles(settings.sources), ...format };
  }
}

/** The stem of a safe, not yet used folder name under exports/. */
async function freeName(project: Project, wanted: string): Promise<string> {
  const stem = safeStem(wanted);
  const taken = new Set(await readdir(join(project.path, 'exports')).catch(() => [] as string[]));
  for (let n = 1; n <= 1000; n++) {
    const name = n === 1 ? stem : `${stem} (${n})`;
    if (!taken.has(name)) return name;
  }
  throw new ProjectError(`too many exports named ${wanted}`);
}

export async function exportSounds(
  project: Project,
  model: VaeModel,
  settings: ExportSettings,
  emit: (event: StudioEvent) => void,
  signal?: AbortSignal,
): Promise<ExportResult> {
  const name = settings.folder ? null : await freeName(project, settings.name);
  const path = settings.folder ?? join(project.path, 'exports', name!);
  // A chosen folder must be empty: nothing of the user's is ever replaced.
  const folder = await OutputFolder.open(path, { force: false, requireEmpty: true });
  const fft = await createRealFft(model.studio.frames.windowSize);
  try {
    const { files } = await runExport(
      model,
      settings.model,
      new Stft(fft, model.studio.frames),
      request(settings, model, project),
      folder,
      {
        signal,
        onProgress: (done, total) => emit({ type: 'progress', job: 'export', done, total }),
      },
    );
    return {
      folder: folder.path,
      name,
      files: [...files.map((f) => f.file), 'manifest.json', 'manifest.csv'],
    };
  } finally {
    fft.dispose();
  }
}

/** exports/<name>/ as a zip (stored, not deflated: WAVs barely compress). */
export async function exportZip(project: Project, name: string): Promise<Uint8Array> {
  if (safeStem(name) !== name) throw new ProjectError(`no export ${JSON.stringify(name)}`);
  const dir = join(project.path, 'exports', name);
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
