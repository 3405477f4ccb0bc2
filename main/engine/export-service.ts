// The export service: batches of WAVs as jobs (jobs.ts). From a browser the engine writes only
// inside the open project (exports/<name>/); under Electron, a folder the user chose is honoured
// only when main's native dialog produced it (a grant, grants.ts). The files are written by a
// pool worker into a temporary folder beside the target, renamed into place when all are written,
// so a failure or a cancel leaves nothing that blocks a rerun.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { CallContext, ExportApi, ExportResult, ExportSettings } from '../../common/api.js';
import { exportZip } from './exports.js';
import type { PathGrants } from './grants.js';
import type { JobService } from './jobs.js';
import type { WorkerPool } from './pool.js';
import { type Project, ProjectError, safeStem } from './project.js';

export class ExportService implements ExportApi {
  readonly #pool: WorkerPool;
  readonly #jobs: JobService;
  readonly #grants: PathGrants;
  readonly #project: () => Project;

  constructor(pool: WorkerPool, jobs: JobService, grants: PathGrants, project: () => Project) {
    this.#pool = pool;
    this.#jobs = jobs;
    this.#grants = grants;
    this.#project = project;
  }

  async exportSounds(settings: ExportSettings, context?: CallContext): Promise<ExportResult> {
    const project = this.#project();
    const modelFolder = await project.modelPath(settings.model);
    let target: string;
    let name: string | null;
    if (settings.folder) {
      target = resolve(settings.folder);
      if (!(await this.#grants.allows(target, 'export'))) {
        throw new ProjectError(
          `${settings.folder}: the engine writes only inside the open project, or into a folder chosen in the app's own folder dialog`,
        );
      }
      const entries = await readdir(target).catch((err: NodeJS.ErrnoException) =>
        err.code === 'ENOENT'
          ? []
          : Promise.reject(new ProjectError(`${settings.folder}: ${err.code ?? err.message}`)),
      );
      if (entries.length > 0) throw new ProjectError(`${settings.folder}: not empty; choose an empty folder`);
      await mkdir(target, { recursive: true });
      name = null;
    } else {
      name = await this.#freeName(project, settings.name);
      target = await project.exportsPath(name);
    }
    const inputs =
      settings.kind === 'resynth'
        ? await project.sourcePaths(settings.sources ?? (await project.summary()).sources.map((s) => s.id))
        : [];
    // Written into a hidden folder inside the chosen one (what its grant covers) or beside the
    // target under exports/, then moved into place: a failure leaves nothing that blocks a rerun.
    const partial = settings.folder
      ? join(target, `.partial-${randomBytes(6).toString('hex')}`)
      : join(dirname(target), `.${basename(target)}.partial-${randomBytes(6).toString('hex')}`);
    const id = `export/${name ?? basename(target)}`;
    if (name) this.#running.add(name);
    return this.#jobs
      .runJob(
        project,
        { id, kind: 'export', model: settings.model, folder: modelFolder },
        async ({ signal, progress }) => {
          try {
            const files = await this.#pool.run<string[]>('export', [modelFolder, settings, inputs, partial], {
              signal,
              onProgress: progress,
            });
            if (settings.folder) {
              for (const file of files) await rename(join(partial, file), join(target, file));
            } else await rename(partial, target);
            return { folder: target, name, files };
          } finally {
            await rm(partial, { recursive: true, force: true });
          }
        },
        context?.signal,
      )
      .finally(() => {
        if (name) this.#running.delete(name);
      });
  }

  async getExportZip(name: string): Promise<Uint8Array> {
    return exportZip(this.#project(), name);
  }

  /** A safe name not used under exports/ (nor by an export running now). */
  async #freeName(project: Project, wanted: string): Promise<string> {
    const stem = safeStem(wanted);
    const taken = new Set(await readdir(await project.exportsPath('')).catch(() => [] as string[]));
    for (let n = 1; n <= 1000; n++) {
      const candidate = n === 1 ? stem : `${stem} (${n})`;
      if (!taken.has(candidate) && !this.#running.has(candidate)) return candidate;
    }
    throw new ProjectError(`too many exports named ${wanted}`);
  }

  readonly #running = new Set<string>();
}
