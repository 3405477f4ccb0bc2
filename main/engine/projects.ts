// The projects service: which project is open, its sounds, its models' folders and snapshots.
// Decoding, resampling and analysis go to the pool; renaming and deleting a model first ask the
// engine's other services (through ModelHooks) whether the model is in use, and tell them after.
import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type {
  CallContext,
  ModelTraining,
  ProjectsApi,
  ProjectSummary,
  RecentProject,
  Snapshot,
  SourceAudio,
  SourceInfo,
  StudioEvent,
} from '../../common/api.js';
import { AudioFileError } from '../../ml/audio/errors.js';
import type { PathGrants } from './grants.js';
import type { WorkerPool } from './pool.js';
import { ensureDemoProject, Project, ProjectError, type DecodedInfo } from './project.js';
import { RecentProjects } from './recent.js';
import { readSnapshots, writeSnapshots } from './snapshots.js';
import { processAlive, readTrainingRecord } from './training-record.js';

/** What the other services say about a model folder, and what they do when it changes. */
export interface ModelHooks {
  /** Why the model cannot be renamed or deleted now (a job uses it), or null. */
  busy(folder: string): string | null;
  renamed(from: string, to: string): void;
  /** About to be deleted: end what plays it, forget it. */
  deleting(folder: string): void;
  /** A project was opened (runs its engine died in are resumed or offered). */
  opened(project: Project): Promise<void>;
}

/** At most this many uploads at once, engine-wide. */
const MAX_UPLOADS = 8;

/** A file arriving in pieces, written to a hidden file in its project's sources/. */
interface Upload {
  name: string;
  size: number;
  received: number;
  path: string;
  handle: FileHandle;
  project: Project;
  /** The last write, so pieces land one after another. */
  writing: Promise<void>;
}

export interface ProjectsOptions {
  dataDir: string;
  defaultProject?: string;
  demoAssets: string;
  /** Files main's import dialog granted (importPath); without it, importPath refuses every path. */
  grants?: PathGrants;
}

export class ProjectService implements ProjectsApi {
  readonly #pool: WorkerPool;
  readonly #emit: (event: StudioEvent) => void;
  readonly #hooks: ModelHooks;
  readonly #options: ProjectsOptions;
  readonly #recent: RecentProjects;
  #project: Project | null = null;
  #disposed = false;
  /** Uploads in progress (beginUpload .. finishUpload or cancelUpload), by token. */
  readonly #uploads = new Map<string, Upload>();
  /** One demo copy at a time, even when two windows open it together. */
  #demoCopy: Promise<void> | null = null;

  constructor(
    pool: WorkerPool,
    emit: (event: StudioEvent) => void,
    hooks: ModelHooks,
    options: ProjectsOptions,
  ) {
    this.#pool = pool;
    this.#emit = emit;
    this.#hooks = hooks;
    this.#options = options;
    this.#recent = new RecentProjects(options.dataDir);
  }

  /** The open project; throws a ProjectError when there is none. */
  current(): Project {
    if (this.#disposed) throw new ProjectError('the engine has shut down');
    if (!this.#project) throw new ProjectError('no project is open; open one first');
    return this.#project;
  }

  /** Tells every connection what the project holds now, if it is still the open one. */
  async announce(changed: Project): Promise<void> {
    if (changed === this.#project) this.#emit({ type: 'project', project: await changed.summary() });
  }

  async openProject(
    path?: string,
    options: { create?: boolean } = {},
    context?: CallContext,
  ): Promise<ProjectSummary> {
    let folder = path ?? this.#options.defaultProject;
    // The default project was named on the command line (serve --project): it is made when new.
    let create = options.create ?? (path === undefined && folder !== undefined);
    if (folder === undefined) {
      const target = join(resolve(this.#options.dataDir), 'projects', 'demo');
      this.#demoCopy ??= ensureDemoProject(this.#options.demoAssets, target).finally(
        () => (this.#demoCopy = null),
      );
      await this.#demoCopy;
      folder = target;
      create = false;
    }
    const opened = await Project.open(folder, { create });
    context?.signal.throwIfAborted();
    if (this.#disposed) throw new ProjectError('the engine has shut down');
    this.#project = opened;
    await this.#recent.add(opened.path, opened.name).catch(() => undefined);
    await this.#hooks.opened(opened);
    return opened.summary();
  }

  async newProject(name: string, context?: CallContext): Promise<ProjectSummary> {
    const folder = await this.#recent.freeProjectFolder(name);
    context?.signal.throwIfAborted();
    return this.openProject(folder, { create: true });
  }

  async recentProjects(): Promise<RecentProject[]> {
    return this.#recent.list();
  }

  async getSourceAudio(id: string, context?: CallContext): Promise<SourceAudio> {
    const project = this.current();
    const [file] = await project.sourcePaths([id]);
    return this.#pool.run('readSource', [file, project.sampleRate], { signal: context?.signal });
  }

  async importSource(name: string, bytes: Uint8Array, context?: CallContext): Promise<SourceInfo> {
    const target = this.current();
    // Checked in a worker: a big file's decoding and resampling never hold up other calls.
    const audio = await this.#pool.run<{
      durationSeconds: number;
      sourceRate: number;
      channels: number;
      warnings: string[];
    }>('decode', [bytes, name, target.sampleRate], { signal: context?.signal });
    context?.signal.throwIfAborted();
    const info = await target.addSource(name, bytes, audio, context?.signal);
    await this.announce(target);
    return info;
  }

  async beginUpload(name: string, size: number): Promise<string> {
    const project = this.current();
    if (this.#uploads.size >= MAX_UPLOADS)
      throw new ProjectError(`${name}: ${MAX_UPLOADS} uploads are in progress already; finish or cancel one`);
    const token = randomBytes(12).toString('hex');
    const path = await project.uploadPath(token);
    const handle = await open(path, 'wx');
    this.#uploads.set(token, { name, size, received: 0, path, handle, project, writing: Promise.resolve() });
    return token;
  }

  async uploadChunk(token: string, offset: number, bytes: Uint8Array): Promise<void> {
    const upload = this.#upload(token);
    const write = upload.writing.then(async () => {
      if (offset !== upload.received)
        throw new ProjectError(`${upload.name}: piece at byte ${offset}, expected byte ${upload.received}`);
      if (upload.received + bytes.length > upload.size)
        throw new ProjectError(`${upload.name}: more bytes than the ${upload.size} announced`);
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await upload.handle.write(bytes, done, bytes.length - done, offset + done);
        done += bytesWritten;
      }
      upload.received += bytes.length;
    });
    upload.writing = write.catch(() => undefined);
    try {
      await write;
    } catch (err) {
      await this.cancelUpload(token);
      throw err;
    }
  }

  async finishUpload(token: string, context?: CallContext): Promise<SourceInfo> {
    const upload = this.#upload(token);
    this.#uploads.delete(token);
    try {
      await upload.writing;
      await upload.handle.close();
      if (upload.received !== upload.size)
        throw new ProjectError(`${upload.name}: ${upload.received} of ${upload.size} bytes arrived`);
      // Decoded from the disk in a worker, a piece at a time: memory does not grow with the file.
      const audio = await this.#pool.run<DecodedInfo>(
        'decodeFile',
        [upload.path, upload.name, upload.project.sampleRate],
        {
          signal: context?.signal,
        },
      );
      context?.signal.throwIfAborted();
      const info = await upload.project.addSourceFile(upload.name, upload.path, audio, context?.signal);
      await this.announce(upload.project);
      return info;
    } finally {
      await upload.handle.close().catch(() => undefined);
      await rm(upload.path, { force: true });
    }
  }

  async importPath(path: string, context?: CallContext): Promise<SourceInfo> {
    const project = this.current();
    const name = typeof path === 'string' ? basename(path) : '';
    const refused = () =>
      new ProjectError(
        `${path}: not a file chosen in the import dialog (only those may be imported by path)`,
      );
    const identity = (await this.#options.grants?.grantedFile(path)) ?? null;
    if (identity === null || name === '') throw refused();
    // The copy is read from the handle opened here, checked to be the granted file itself: a link or
    // another file put at the path after the check is never read.
    const source = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new ProjectError(`${path}: could not be read (${err.code ?? err.message})`);
    });
    let copied = false;
    let target = '';
    try {
      const info = await source.stat();
      if (!info.isFile() || `${info.dev}:${info.ino}` !== identity) throw refused();
      context?.signal.throwIfAborted();
      target = await project.uploadPath(randomBytes(12).toString('hex'));
      const out = await open(target, 'wx');
      copied = true;
      // A piece at a time (the streams' buffers), not the whole file in memory.
      await pipeline(source.createReadStream({ autoClose: false, start: 0 }), out.createWriteStream(), {
        signal: context?.signal,
      }).finally(() => out.close().catch(() => undefined));
    } catch (err) {
      if (copied) await rm(target, { force: true });
      throw err;
    } finally {
      await source.close().catch(() => undefined);
    }
    try {
      // Decoded from the copy, in a worker, as finishUpload does.
      const audio = await this.#pool.run<DecodedInfo>('decodeFile', [target, name, project.sampleRate], {
        signal: context?.signal,
      });
      context?.signal.throwIfAborted();
      const info = await project.addSourceFile(name, target, audio, context?.signal);
      await this.announce(project);
      return info;
    } finally {
      await rm(target, { force: true });
    }
  }

  async cancelUpload(token: string): Promise<void> {
    const upload = this.#uploads.get(token);
    if (!upload) return;
    this.#uploads.delete(token);
    await upload.writing;
    await upload.handle.close().catch(() => undefined);
    await rm(upload.path, { force: true });
  }

  #upload(token: string): Upload {
    const upload = this.#uploads.get(token);
    if (!upload)
      throw new ProjectError(
        `no upload ${JSON.stringify(token)} in progress (finished, cancelled or unknown)`,
      );
    return upload;
  }

  async importRecording(
    name: string,
    samples: Float32Array,
    sampleRate: number,
    context?: CallContext,
  ): Promise<SourceInfo> {
    const file = /\.wav$/i.test(name) ? name : `${name}.wav`;
    let bytes: Uint8Array;
    try {
      bytes = await this.#pool.run<Uint8Array>('recording', [samples, sampleRate], {
        signal: context?.signal,
      });
    } catch (err) {
      if ((err as Error).name !== 'Error') throw err;
      throw new AudioFileError(file, (err as Error).message.replace(/^the recording is /, ''));
    }
    return this.importSource(file, bytes, context);
  }

  async removeSource(id: string): Promise<void> {
    const target = this.current();
    await target.removeSource(id);
    await this.announce(target);
  }

  async renameSource(id: string, name: string): Promise<SourceInfo> {
    const target = this.current();
    const info = await target.renameSource(id, name);
    await this.announce(target);
    return info;
  }

  async findSource(sha256: string): Promise<SourceInfo | null> {
    return this.current().findSource(sha256);
  }

  async getModelTraining(model: string): Promise<ModelTraining> {
    return this.current().modelTraining(model);
  }

  async getSourceFrames(
    id: string,
    context?: CallContext,
  ): Promise<{ frames: number; bins: number; data: Float32Array; hopSeconds: number }> {
    const project = this.current();
    const [file] = await project.sourcePaths([id]);
    return this.#pool.run('sourceFrames', [file, project.sampleRate], { signal: context?.signal });
  }

  async renameModel(id: string, name: string): Promise<string> {
    const project = this.current();
    const folder = await project.modelPath(id);
    const busy = this.#hooks.busy(folder);
    if (busy) throw new ProjectError(`${id} ${busy}; rename it when that is done`);
    const renamed = await project.renameModel(id, name);
    if (renamed !== id) this.#hooks.renamed(folder, await project.modelPath(renamed));
    await this.announce(project);
    return renamed;
  }

  async deleteModel(id: string): Promise<void> {
    const project = this.current();
    const folder = await project.modelPath(id);
    const busy = this.#hooks.busy(folder);
    if (busy) throw new ProjectError(`${id} ${busy}; delete it when that is done`);
    const record = await readTrainingRecord(folder);
    if (record?.status === 'running' && record.pid !== process.pid && processAlive(record.pid))
      throw new ProjectError(
        `${id} is being trained by another process (${record.pid}); delete it when that is done`,
      );
    this.#hooks.deleting(folder);
    await project.deleteModel(id);
    await this.announce(project);
  }

  async getSnapshots(model: string): Promise<Snapshot[]> {
    return readSnapshots(await this.current().modelPath(model));
  }

  async setSnapshots(model: string, snapshots: Snapshot[]): Promise<void> {
    await writeSnapshots(await this.current().modelPath(model), snapshots);
  }

  dispose(): void {
    this.#disposed = true;
    this.#project = null;
    for (const token of [...this.#uploads.keys()]) void this.cancelUpload(token).catch(() => undefined);
  }
}
