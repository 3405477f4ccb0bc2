// A project folder (DESIGN.md, "The project"):
//
//   project.json   name, sample rate, and the sources with what was learnt when they came in
//   sources/       every imported sound, copied in byte for byte (a project never depends on
//                  files elsewhere); a source's id is its file name here
//   models/<name>/ model folders (ml/vae/folder.ts), found by listing: a model trained into the
//                  folder by the CLI shows up without being registered
//   exports/       what the engine writes for the user
//
// Every write is atomic (ml/audio/files.ts) and nothing is ever overwritten: an imported file
// whose name is taken gets " (2)", " (3)", ... Writes to one project are serialised.
//
// Opening: an existing project opens; an empty folder, or a new one whose parent exists, becomes a
// project only when the caller asks (`create`), else NoProjectError; a path whose parent does not
// exist is refused, create or not. Paths inside: every file the project reads or writes is
// resolved under its folder (resolveInside), and one that leads outside it — through '..', a
// symbolic link (sources/, models/, exports/, a source file, a model folder), or a broken link —
// is refused with a ProjectError naming it; project.json itself must be a plain file.
import { createHash, randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { isAudioFileName } from '../../ml/audio/decoders.js';
import { moveFile, writeFileAtomic } from '../../ml/audio/files.js';
import { decodeAudio, loadAudioFile, type LoadedAudio } from '../../ml/audio/load.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { studioSchema } from '../../ml/vae/folder.js';
import type { EpochSummary, ModelInfo, ModelTraining, ProjectSummary, SourceInfo } from '../../common/api.js';
import { BrokenLinkError, realPathAllowingMissing } from './grants.js';

/** Something wrong with a project folder or with an id given for it; the message says what. */
export class ProjectError extends Error {
  override readonly name: string = 'ProjectError';
}

/**
 * The folder is not a project yet but could become one: it is empty, or it does not exist and its
 * parent does. Opening it with `create: true` makes the project (the UI asks "Create a project
 * here?" first). A ProjectError too, so code that handles those handles this.
 */
export class NoProjectError extends ProjectError {
  override readonly name: string = 'NoProjectError';
}

export const PROJECT_FILE = 'project.json';
const FOLDERS = ['sources', 'models', 'exports'] as const;

/** A name that is one plain file name on every platform (see safeFileName). */
const fileName = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => safeFileName(name) === name, { message: 'not a safe file name' });

const sourceSchema = z.object({
  id: fileName,
  name: z.string().min(1).max(255),
  durationSeconds: z.number().nonnegative(),
  sampleRate: z.number().int().positive(),
  channels: z.number().int().positive(),
  warnings: z.array(z.string()),
  addedAt: z.string(),
  /** SHA-256 of the file's bytes (hex): a second import of the same content is noticed. Absent in older projects. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

const projectSchema = z.object({
  format: z.literal('vae-studio-project'),
  version: z.literal(1),
  name: z.string().min(1),
  /** Every source is read at this rate (the model rate). */
  sampleRate: z.number().int().min(1000).max(768_000),
  sources: z.array(sourceSchema).refine((s) => new Set(s.map((x) => x.id.toLowerCase())).size === s.length, {
    message: 'two sources have the same id',
  }),
});
export type ProjectJson = z.infer<typeof projectSchema>;
type SourceEntry = z.infer<typeof sourceSchema>;

/** Names Windows reserves whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * Makes a file name safe to create in sources/ on any platform: no folders, no characters that
 * some file system refuses, no leading dot (hidden, or '..'), at most 100 characters before the
 * extension, and the name's audio extension in lower case (one of AUDIO_EXTENSIONS), else `.wav`.
 */
export function safeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  const dot = last.lastIndexOf('.');
  const ext = isAudioFileName(last) ? last.slice(dot).toLowerCase() : '.wav';
  const stem = (isAudioFileName(last) ? last.slice(0, dot) : last)
    .normalize('NFC')
    .replace(/\.wav$/i, '')
    .replace(/[^\p{L}\p{N} ._()+,-]/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[ .]+|[ .]+$/g, '')
    .slice(0, 100)
    .trim();
  const safe = stem === '' ? 'sound' : RESERVED.test(stem) ? `_${stem}` : stem;
  return `${safe}${ext}`;
}

/** A name made safe for a folder (a model, an export, a project): safeFileName without the .wav. */
export function safeStem(name: string): string {
  return safeFileName(`${name}.wav`).slice(0, -'.wav'.length);
}

export interface NewProjectOptions {
  name?: string;
  sampleRate?: number;
}

export interface OpenProjectOptions extends NewProjectOptions {
  /**
   * Make a new project where there is none: in an empty folder, or in a new folder whose parent
   * exists. Without it such a folder is refused with NoProjectError.
   */
  create?: boolean;
}

/** Whether it exists, as what (following links, as opening a folder does); null where it does not. */
async function kindOf(path: string): Promise<'folder' | 'other' | null> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new ProjectError(`${path}: cannot read it (${describeFsError(err)})`);
  }
}

/** Whether something (a file, a folder, a link even to nothing) has this name. */
async function present(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** True when `path` is `root` or under it (both absolute and normalised). */
function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export class Project {
  private queue: Promise<unknown> = Promise.resolve();
  /** Hashes of sources listed without one (older projects), computed when first asked for. */
  readonly #hashes = new Map<string, string>();

  private constructor(
    readonly path: string,
    private data: ProjectJson,
  ) {}

  get name(): string {
    return this.data.name;
  }

  get sampleRate(): number {
    return this.data.sampleRate;
  }

  /**
   * Opens the project in `folder`. An existing project opens. Where there is none: an empty folder,
   * or a folder that does not exist but whose parent does, becomes a new project with `create`,
   * and is refused with NoProjectError without it; a path whose parent does not exist, a folder
   * with other files, a damaged or linked project.json are refused with a ProjectError.
   */
  static async open(folder: string, options: OpenProjectOptions = {}): Promise<Project> {
    const path = resolve(folder);
    const kind = await kindOf(path);
    if (kind === null) {
      const parent = dirname(path);
      if ((await kindOf(parent)) !== 'folder')
        throw new ProjectError(`${path}: the folder ${parent} does not exist`);
      if (!options.create) throw new NoProjectError(`${path}: no such folder; create a project here?`);
      try {
        // Not recursive: only the last part is new (a mistyped parent is refused above).
        await mkdir(path);
      } catch (err) {
        // Made meanwhile by someone else: then it must be empty, as below.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new ProjectError(`${path}: cannot make the folder (${describeFsError(err)})`);
      }
      return Project.create(path, options);
    }
    if (kind === 'other') throw new ProjectError(`${path}: is a file, not a project folder`);

    const file = join(path, PROJECT_FILE);
    const info = await lstat(file).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ProjectError(`${path}: cannot read ${PROJECT_FILE} (${describeFsError(err)})`);
    });
    if (info === null) return Project.create(path, options);
    if (info.isSymbolicLink())
      throw new ProjectError(`${file}: a symbolic link; a project's ${PROJECT_FILE} must be a file in it`);
    if (!info.isFile()) throw new ProjectError(`${file}: not a file`);
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch (err) {
      throw new ProjectError(`${path}: cannot read ${PROJECT_FILE} (${describeFsError(err)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ProjectError(`${file}: not valid JSON`);
    }
    const parsed = projectSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProjectError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const project = new Project(path, parsed.data);
    // A missing sub-folder is made again; one that leads outside is left alone (using it is
    // refused, and summary() says so).
    for (const sub of FOLDERS) {
      const inside = await project.resolveInside(sub).catch(() => null);
      if (inside !== null && !(await present(inside))) await mkdir(inside);
    }
    return project;
  }

  /** A new project in `path`, an existing folder that must be empty. */
  private static async create(path: string, options: OpenProjectOptions): Promise<Project> {
    let entries: string[];
    try {
      entries = await readdir(path);
    } catch (err) {
      throw new ProjectError(`${path}: cannot read the folder (${describeFsError(err)})`);
    }
    if (entries.length > 0) {
      throw new ProjectError(
        `${path}: not a VAE Studio project (no ${PROJECT_FILE}) and not empty; choose an empty or new folder`,
      );
    }
    if (!options.create)
      throw new NoProjectError(`${path}: an empty folder, not a project yet; create a project here?`);
    for (const sub of FOLDERS) await mkdir(join(path, sub), { recursive: true });
    const project = new Project(path, {
      format: 'vae-studio-project',
      version: 1,
      name: options.name ?? basename(path),
      sampleRate: options.sampleRate ?? DEFAULT_FRAME_SETTINGS.sampleRate,
      sources: [],
    });
    await project.save(project.data, false);
    return project;
  }

  /**
   * `parts` joined under the project's folder, after checking that the result stays inside it:
   * '..' may not climb out, and the real path of its longest existing part (symbolic links
   * resolved) must be inside the folder's real path. The path returned is the joined one (under
   * `path`, like modelFolder's), not the real one. Throws ProjectError naming the path otherwise,
   * also for a broken symbolic link on the way (it could lead anywhere once written through).
   */
  async resolveInside(...parts: string[]): Promise<string> {
    const target = resolve(this.path, ...parts);
    if (!isWithin(this.path, target))
      throw new ProjectError(`${target}: leads outside the project ${this.path}`);
    let root: string;
    try {
      root = await realpath(this.path);
    } catch (err) {
      throw new ProjectError(`${this.path}: the project folder cannot be read (${describeFsError(err)})`);
    }
    let real: string;
    try {
      real = await realPathAllowingMissing(target);
    } catch (err) {
      if (err instanceof BrokenLinkError)
        throw new ProjectError(
          `${target}: leads outside the project ${this.path} (${err.link} is a symbolic link to something that does not exist)`,
        );
      throw new ProjectError(`${target}: cannot be resolved (${describeFsError(err)})`);
    }
    if (!isWithin(root, real))
      throw new ProjectError(`${target}: leads outside the project ${this.path} (to ${real})`);
    return target;
  }

  /** The folder's contents as the UI shows them; a missing source file or a bad model is a warning. */
  async summary(): Promise<ProjectSummary> {
    const warnings: string[] = [];
    const sources = await Promise.all(
      this.data.sources.map(async (entry) => {
        const info = toSourceInfo(entry);
        const file = await this.resolveInside('sources', entry.id).catch(() => null);
        if (file === null) {
          info.warnings = [...info.warnings, `unsafe: sources/${entry.id} leads outside the project`];
          return info;
        }
        const isFile = await stat(file).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!isFile) info.warnings = [...info.warnings, `missing: sources/${entry.id} is gone`];
        return info;
      }),
    );
    const models = await this.listModels(warnings);
    return { path: this.path, name: this.data.name, sampleRate: this.sampleRate, sources, models, warnings };
  }

  /**
   * Validates an audio file's bytes (any format decoders.ts reads) and copies them into sources/
   * under a safe name that is not taken. A file that cannot be used throws AudioFileError naming
   * `name`, and nothing changes.
   */
  async importSource(name: string, bytes: Uint8Array, signal?: AbortSignal): Promise<SourceInfo> {
    const audio = await decodeAudio(bytes, name, { sampleRate: this.sampleRate });
    return this.addSource(name, bytes, audio, signal);
  }

  /**
   * importSource for bytes already decoded and checked elsewhere (a worker thread): `audio` is what
   * the decoding learnt. Copies them into sources/ under a safe name that is not taken.
   */
  async addSource(
    name: string,
    bytes: Uint8Array,
    audio: DecodedInfo,
    signal?: AbortSignal,
  ): Promise<SourceInfo> {
    signal?.throwIfAborted();
    return this.serialised(async () => {
      signal?.throwIfAborted();
      const id = await this.placeFile(safeFileName(name), bytes);
      const entry = { ...sourceEntry(id, name, audio), sha256: sha256(bytes) };
      try {
        await this.save({ ...this.data, sources: [...this.data.sources, entry] }, true);
      } catch (err) {
        await rm(await this.sourcePath(id), { force: true });
        throw err;
      }
      return toSourceInfo(entry);
    });
  }

  /**
   * A hidden file in sources/ for an upload in progress (`.upload-<token>.partial`, token made of
   * letters and digits), checked to stay inside the project.
   */
  async uploadPath(token: string): Promise<string> {
    if (!/^[A-Za-z0-9]{1,64}$/.test(token))
      throw new ProjectError(`${JSON.stringify(token)} is not an upload token`);
    return this.resolveInside('sources', `.upload-${token}.partial`);
  }

  /**
   * addSource for a file already on disk inside sources/ (a finished upload, decoded elsewhere):
   * it is moved, not copied, under a safe name that is not taken.
   */
  async addSourceFile(
    name: string,
    file: string,
    audio: DecodedInfo,
    signal?: AbortSignal,
  ): Promise<SourceInfo> {
    signal?.throwIfAborted();
    return this.serialised(async () => {
      signal?.throwIfAborted();
      const id = await this.placeFile(safeFileName(name), file);
      const entry = sourceEntry(id, name, audio);
      try {
        await this.save({ ...this.data, sources: [...this.data.sources, entry] }, true);
      } catch (err) {
        await rm(await this.sourcePath(id), { force: true });
        throw err;
      }
      return toSourceInfo(entry);
    });
  }

  async removeSource(id: string): Promise<void> {
    await this.serialised(async () => {
      this.entry(id);
      // Checked first: a source that leads outside the project is refused, and nothing changes.
      const file = await this.sourcePath(id);
      await this.save({ ...this.data, sources: this.data.sources.filter((s) => s.id !== id) }, true);
      // project.json no longer mentions it: a failure here leaves only an unlisted file.
      await rm(file, { force: true });
    });
  }

  /**
   * The source whose file has these bytes' content (`hash`: their SHA-256, hex), or null. Sources
   * imported before hashes were kept are hashed from their files once (remembered, not written).
   */
  async findSource(hash: string): Promise<SourceInfo | null> {
    for (const entry of this.data.sources) {
      let known = entry.sha256 ?? this.#hashes.get(entry.id);
      if (!known) {
        const bytes = await readFile(await this.sourcePath(entry.id)).catch(() => null);
        if (!bytes) continue;
        known = sha256(bytes);
        this.#hashes.set(entry.id, known);
      }
      if (known === hash) return toSourceInfo(entry);
    }
    return null;
  }

  /**
   * Renames a source for display only: its id (its file in sources/) stays, so the models trained
   * on it still find it and their maps still name it.
   */
  async renameSource(id: string, name: string): Promise<SourceInfo> {
    return this.serialised(async () => {
      const entry = this.entry(id);
      const trimmed = name.trim();
      if (!trimmed) throw new ProjectError(`a sound needs a name (renaming ${entry.name})`);
      const renamed = { ...entry, name: trimmed };
      await this.save(
        { ...this.data, sources: this.data.sources.map((s) => (s.id === id ? renamed : s)) },
        true,
      );
      return toSourceInfo(renamed);
    });
  }

  /** How models/<id> was trained, from its studio.json: settings, sources, seconds and every epoch's figures. */
  async modelTraining(id: string): Promise<ModelTraining> {
    const file = await this.resolveInside('models', id, 'studio.json');
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ProjectError(`models/${id}/studio.json cannot be read (${describeFsError(err)})`);
    }
    const parsed = studioSchema.safeParse(json);
    if (!parsed.success) throw new ProjectError(`models/${id}/studio.json is not a model's record`);
    const t = parsed.data.training;
    return {
      model: id,
      settings: t.config,
      epochs: t.epochs,
      backend: t.backend,
      seconds: t.seconds,
      sources: t.sources,
      history: t.history as unknown as EpochSummary[],
    };
  }

  /** Renames models/<id> to a safe, unused name; returns the new id. Both stay inside models/. */
  async renameModel(id: string, name: string): Promise<string> {
    return this.serialised(async () => {
      const from = await this.modelPath(id);
      if (!(await present(from)))
        throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${this.data.name}`);
      const to = safeStem(name);
      if (to === id) return id;
      const target = await this.modelPath(to);
      if (await present(target)) throw new ProjectError(`a model named ${JSON.stringify(to)} exists already`);
      await rename(from, target);
      return to;
    });
  }

  /**
   * Deletes models/<id> and everything in it — only a model: a folder without a valid studio.json
   * (a run still training there, from the studio or the CLI, or something else) is refused.
   */
  async deleteModel(id: string): Promise<void> {
    await this.serialised(async () => {
      const folder = await this.modelPath(id);
      if (!(await present(folder)))
        throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${this.data.name}`);
      const model = await this.modelInfo(id);
      if (typeof model === 'string')
        throw new ProjectError(
          `models/${id} is not a finished model (${model}); only a model folder with a valid studio.json is deleted`,
        );
      await rm(folder, { recursive: true, force: true });
    });
  }

  /** A source's audio, mono at the project's rate. */
  async readSource(id: string): Promise<LoadedAudio> {
    const entry = this.entry(id);
    return loadAudioFile(await this.sourcePath(entry.id), { sampleRate: this.sampleRate });
  }

  /**
   * The files of the given sources (every source when absent), for training on them. Unchecked:
   * prefer sourcePaths, which refuses a source that leads outside the project.
   */
  sourceFiles(ids?: string[]): string[] {
    return this.chosenSources(ids).map((id) => join(this.path, 'sources', id));
  }

  /** The files of the given sources (every source when absent), each checked to be inside. */
  async sourcePaths(ids?: string[]): Promise<string[]> {
    return Promise.all(this.chosenSources(ids).map((id) => this.sourcePath(id)));
  }

  /**
   * The folder of models/<id>, for an id that names a folder there (never a path). Unchecked (a
   * link may lead elsewhere): prefer modelPath before reading or writing through it.
   */
  modelFolder(id: string): string {
    if (safeStem(id) !== id)
      throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${this.data.name}`);
    return join(this.path, 'models', id);
  }

  /** modelFolder(id), checked to stay inside the project (the same string when it does). */
  async modelPath(id: string): Promise<string> {
    this.modelFolder(id);
    return this.resolveInside('models', id);
  }

  /**
   * exports/<name> (exports/ itself without a name, or with ''), checked to stay inside the
   * project. `name` is one folder name, not a path.
   */
  async exportsPath(name?: string): Promise<string> {
    if (name === undefined || name === '') return this.resolveInside('exports');
    if (safeStem(name) !== name) throw new ProjectError(`${JSON.stringify(name)} is not a safe export name`);
    return this.resolveInside('exports', name);
  }

  private chosenSources(ids?: string[]): string[] {
    const chosen = ids ?? this.data.sources.map((s) => s.id);
    if (chosen.length === 0)
      throw new ProjectError(`the project ${this.data.name} has no sounds to train on`);
    return chosen.map((id) => this.entry(id).id);
  }

  private entry(id: string): SourceEntry {
    const entry = this.data.sources.find((s) => s.id === id);
    if (!entry) throw new ProjectError(`no source ${JSON.stringify(id)} in the project ${this.data.name}`);
    return entry;
  }

  /** sources/<id> checked to stay inside; `id` is a safe file name (the schema, placeFile). */
  private async sourcePath(id: string): Promise<string> {
    return this.resolveInside('sources', id);
  }

  /**
   * Writes the bytes under `wanted`, or the first free "stem (n).ext"; returns the name used.
   * sources/ is checked to be inside; a name in it is only ever created (never written through),
   * so anything already there under that name — a file, a link — is skipped, not followed.
   */
  private async placeFile(wanted: string, bytes: Uint8Array | string): Promise<string> {
    const folder = await this.resolveInside('sources');
    const ext = wanted.slice(wanted.lastIndexOf('.'));
    const stem = wanted.slice(0, -ext.length);
    const taken = new Set(this.data.sources.map((s) => s.id.toLowerCase()));
    for (let n = 1; n <= 1000; n++) {
      const candidate = n === 1 ? wanted : `${stem} (${n})${ext}`;
      // Case-insensitive, as macOS and Windows compare names.
      if (taken.has(candidate.toLowerCase())) continue;
      try {
        if (typeof bytes === 'string') await moveFile(bytes, join(folder, candidate), { overwrite: false });
        else await writeFileAtomic(join(folder, candidate), bytes, { overwrite: false });
        return candidate;
      } catch (err) {
        // A file of that name that project.json does not list (left by hand): keep it, go on.
        if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST') throw err;
      }
    }
    throw new ProjectError(`${this.path}: too many sources named ${wanted}`);
  }

  private async save(data: ProjectJson, overwrite: boolean): Promise<void> {
    const file = await this.resolveInside(PROJECT_FILE);
    // A rename would replace a link with a file; refused instead, like a link found at open.
    if ((await lstat(file).catch(() => null))?.isSymbolicLink())
      throw new ProjectError(`${file}: a symbolic link; a project's ${PROJECT_FILE} must be a file in it`);
    const bytes = new TextEncoder().encode(`${JSON.stringify(data, null, 2)}\n`);
    await writeFileAtomic(file, bytes, { overwrite });
    this.data = data;
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async listModels(warnings: string[]): Promise<ModelInfo[]> {
    const folder = await this.resolveInside('models').catch(() => null);
    if (folder === null) {
      warnings.push('models/ leads outside the project; its models are not shown');
      return [];
    }
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    const models: ModelInfo[] = [];
    // Folders only: a link in models/ is not listed (Dirent.isDirectory is false for links).
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      if (safeStem(entry.name) !== entry.name) continue;
      const model = await this.modelInfo(entry.name);
      if (typeof model === 'string') warnings.push(`models/${entry.name}: ${model}`);
      else models.push(model);
    }
    return models;
  }

  /** models/<id>'s summary from its studio.json (read inside the project), or why it is not a model. */
  private async modelInfo(id: string): Promise<ModelInfo | string> {
    const file = await this.resolveInside('models', id, 'studio.json').catch(() => null);
    if (file === null) return 'studio.json leads outside the project';
    return readModelInfo(file, id);
  }
}

/** A model's summary from its studio.json, or why it cannot be used. */
async function readModelInfo(studioFile: string, id: string): Promise<ModelInfo | string> {
  let raw: string;
  try {
    raw = await readFile(studioFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A training run in progress writes studio.json last.
    return code === 'ENOENT'
      ? 'not a model yet (no studio.json)'
      : `cannot read studio.json (${describeFsError(err)})`;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return 'studio.json is not valid JSON';
  }
  const parsed = studioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `studio.json: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
  }
  const studio = parsed.data;
  const metrics: ModelInfo['metrics'] = {};
  for (const [key, value] of Object.entries(studio.metrics)) {
    if (value === null || ['number', 'string', 'boolean'].includes(typeof value)) {
      metrics[key] = value as number | string | boolean | null;
    }
  }
  return {
    id,
    name: id,
    preset: studio.preset,
    latent: studio.latent,
    epochs: studio.training.epochs,
    metrics,
  };
}

/** What decoding a source learnt about it, as project.json keeps it. */
export type DecodedInfo = Pick<LoadedAudio, 'durationSeconds' | 'sourceRate' | 'channels' | 'warnings'>;

function sourceEntry(id: string, name: string, audio: DecodedInfo): SourceEntry {
  return {
    id,
    name,
    durationSeconds: audio.durationSeconds,
    sampleRate: audio.sourceRate,
    channels: audio.channels,
    warnings: audio.warnings,
    addedAt: new Date().toISOString(),
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toSourceInfo(entry: SourceEntry): SourceInfo {
  const { id, name, durationSeconds, sampleRate, channels, warnings } = entry;
  return { id, name, durationSeconds, sampleRate, channels, warnings: [...warnings] };
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Makes the demo project at `target` from the app's assets, once: the sources, and the demo
 * model where the assets have one. It is built beside the target and renamed into place, so a
 * crash halfway leaves no half-made demo, and the assets themselves are only ever read.
 */
export async function ensureDemoProject(assets: string, target: string): Promise<void> {
  const projectFile = join(target, PROJECT_FILE);
  if (
    await stat(projectFile).then(
      () => true,
      () => false,
    )
  )
    return;
  const staging = `${target}.partial-${randomBytes(6).toString('hex')}`;
  // The target's parent is the engine's own data folder: made here, as the demo's home.
  await mkdir(dirname(resolve(target)), { recursive: true });
  try {
    const project = await Project.open(staging, { name: 'Demo', create: true });
    const folder = join(assets, 'sources');
    const files = (await readdir(folder)).filter((f) => /\.wav$/i.test(f)).sort();
    for (const file of files) {
      await project.importSource(file, await readFile(join(folder, file)));
    }
    const model = join(assets, 'model');
    if (
      await stat(join(model, 'studio.json')).then(
        () => true,
        () => false,
      )
    ) {
      await cp(model, join(staging, 'models', 'demo'), { recursive: true, errorOnExist: true, force: false });
    }
    try {
      await rename(staging, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another engine made it first (rename onto a non-empty folder fails): use theirs.
      if (
        (code === 'ENOTEMPTY' || code === 'EEXIST') &&
        (await stat(projectFile).then(
          () => true,
          () => false,
        ))
      )
        return;
      throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
