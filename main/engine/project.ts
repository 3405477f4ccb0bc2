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
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../ml/audio/files.js';
import { decodeAudio, loadAudioFile, type LoadedAudio } from '../../ml/audio/load.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { studioSchema } from '../../ml/vae/folder.js';
import type { ModelInfo, ProjectSummary, SourceInfo } from '../../common/api.js';

/** Something wrong with a project folder or with an id given for it; the message says what. */
export class ProjectError extends Error {
  override readonly name = 'ProjectError';
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
 * extension, and always `.wav`.
 */
export function safeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  const stem = last
    .normalize('NFC')
    .replace(/\.wav$/i, '')
    .replace(/[^\p{L}\p{N} ._()+,-]/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[ .]+|[ .]+$/g, '')
    .slice(0, 100)
    .trim();
  const safe = stem === '' ? 'sound' : RESERVED.test(stem) ? `_${stem}` : stem;
  return `${safe}.wav`;
}

/** A name made safe for a folder (a model, an export, a project): safeFileName without the .wav. */
export function safeStem(name: string): string {
  return safeFileName(`${name}.wav`).slice(0, -'.wav'.length);
}

export interface NewProjectOptions {
  name?: string;
  sampleRate?: number;
}

export class Project {
  private queue: Promise<unknown> = Promise.resolve();

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
   * Opens the project in `folder`. A folder that does not exist, or is empty, becomes a new
   * project; a folder with other files but no project.json is refused.
   */
  static async open(folder: string, options: NewProjectOptions = {}): Promise<Project> {
    const path = resolve(folder);
    let raw: string | null = null;
    try {
      raw = await readFile(join(path, PROJECT_FILE), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        throw new ProjectError(`${path}: cannot read ${PROJECT_FILE} (${describeFsError(err)})`);
    }
    if (raw === null) return Project.create(path, options);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ProjectError(`${join(path, PROJECT_FILE)}: not valid JSON`);
    }
    const parsed = projectSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProjectError(
        `${join(path, PROJECT_FILE)}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    for (const sub of FOLDERS) await mkdir(join(path, sub), { recursive: true });
    return new Project(path, parsed.data);
  }

  private static async create(path: string, options: NewProjectOptions): Promise<Project> {
    let entries: string[] = [];
    try {
      entries = await readdir(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new ProjectError(`${path}: is a file, not a project folder`);
      if (code !== 'ENOENT')
        throw new ProjectError(`${path}: cannot read the folder (${describeFsError(err)})`);
    }
    if (entries.length > 0) {
      throw new ProjectError(
        `${path}: not a VAE Studio project (no ${PROJECT_FILE}) and not empty; choose an empty or new folder`,
      );
    }
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

  /** The folder's contents as the UI shows them; a missing source file or a bad model is a warning. */
  async summary(): Promise<ProjectSummary> {
    const warnings: string[] = [];
    const sources = await Promise.all(
      this.data.sources.map(async (entry) => {
        const info = toSourceInfo(entry);
        const present = await stat(this.sourcePath(entry.id)).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!present) info.warnings = [...info.warnings, `missing: sources/${entry.id} is gone`];
        return info;
      }),
    );
    const models = await this.listModels(warnings);
    return { path: this.path, name: this.data.name, sampleRate: this.sampleRate, sources, models, warnings };
  }

  /**
   * Validates a WAV file's bytes and copies them into sources/ under a safe name that is not
   * taken. A file that cannot be used throws AudioFileError naming `name`, and nothing changes.
   */
  async importSource(name: string, bytes: Uint8Array, signal?: AbortSignal): Promise<SourceInfo> {
    const audio = decodeAudio(bytes, name, { sampleRate: this.sampleRate });
    signal?.throwIfAborted();
    return this.serialised(async () => {
      signal?.throwIfAborted();
      const id = await this.placeFile(safeFileName(name), bytes);
      const entry = sourceEntry(id, name, audio);
      try {
        await this.save({ ...this.data, sources: [...this.data.sources, entry] }, true);
      } catch (err) {
        await rm(this.sourcePath(id), { force: true });
        throw err;
      }
      return toSourceInfo(entry);
    });
  }

  async removeSource(id: string): Promise<void> {
    await this.serialised(async () => {
      this.entry(id);
      await this.save({ ...this.data, sources: this.data.sources.filter((s) => s.id !== id) }, true);
      // project.json no longer mentions it: a failure here leaves only an unlisted file.
      await rm(this.sourcePath(id), { force: true });
    });
  }

  /** Renames models/<id> to a safe, unused name; returns the new id. */
  async renameModel(id: string, name: string): Promise<string> {
    return this.serialised(async () => {
      const from = this.modelFolder(id);
      if (!existsSync(from))
        throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${this.data.name}`);
      const to = safeStem(name);
      if (to === id) return id;
      if (existsSync(this.modelFolder(to)))
        throw new ProjectError(`a model named ${JSON.stringify(to)} exists already`);
      await rename(from, this.modelFolder(to));
      return to;
    });
  }

  /** Deletes models/<id> and everything in it. */
  async deleteModel(id: string): Promise<void> {
    await this.serialised(async () => {
      const folder = this.modelFolder(id);
      if (!existsSync(folder))
        throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${this.data.name}`);
      await rm(folder, { recursive: true, force: true });
    });
  }

  /** A source's audio, mono at the project's rate. */
  async readSource(id: string): Promise<LoadedAudio> {
    const entry = this.entry(id);
    return loadAudioFile(this.sourcePath(entry.id), { sampleRate: this.sampleRate });
  }

  /** The files of the given sources (every source when absent), for training on them. */
  sourceFiles(ids?: string[]): string[] {
    const chosen = ids ?? this.data.sources.map((s) => s.id);
    if (chosen.length === 0)
      throw new ProjectError(`the project ${this.data.name} has no sounds to train on`);
    return chosen.map((id) => this.sourcePath(this.entry(id).id));
  }

  /** The folder of models/<id>, for an id that names a folder there (never a path). */
  modelFolder(id: string): string {
    if (safeStem(id) !== id)
      throw new ProjectError(`no model ${JSON.stringify(id)} in the project ${this.data.name}`);
    return join(this.path, 'models', id);
  }

  private entry(id: string): SourceEntry {
    const entry = this.data.sources.find((s) => s.id === id);
    if (!entry) throw new ProjectError(`no source ${JSON.stringify(id)} in the project ${this.data.name}`);
    return entry;
  }

  private sourcePath(id: string): string {
    return join(this.path, 'sources', id);
  }

  /** Writes the bytes under `wanted`, or the first free "stem (n).wav"; returns the name used. */
  private async placeFile(wanted: string, bytes: Uint8Array): Promise<string> {
    const stem = wanted.slice(0, -'.wav'.length);
    const taken = new Set(this.data.sources.map((s) => s.id.toLowerCase()));
    for (let n = 1; n <= 1000; n++) {
      const candidate = n === 1 ? wanted : `${stem} (${n}).wav`;
      // Case-insensitive, as macOS and Windows compare names.
      if (taken.has(candidate.toLowerCase())) continue;
      try {
        await writeFileAtomic(this.sourcePath(candidate), bytes, { overwrite: false });
        return candidate;
      } catch (err) {
        // A file of that name that project.json does not list (left by hand): keep it, go on.
        if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST') throw err;
      }
    }
    throw new ProjectError(`${this.path}: too many sources named ${wanted}`);
  }

  private async save(data: ProjectJson, overwrite: boolean): Promise<void> {
    const bytes = new TextEncoder().encode(`${JSON.stringify(data, null, 2)}\n`);
    await writeFileAtomic(join(this.path, PROJECT_FILE), bytes, { overwrite });
    this.data = data;
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async listModels(warnings: string[]): Promise<ModelInfo[]> {
    const folder = join(this.path, 'models');
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    const models: ModelInfo[] = [];
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const model = await readModelInfo(join(folder, entry.name), entry.name);
      if (typeof model === 'string') warnings.push(`models/${entry.name}: ${model}`);
      else models.push(model);
    }
    return models;
  }
}

/** A model folder's summary from its studio.json, or why it cannot be used. */
async function readModelInfo(folder: string, id: string): Promise<ModelInfo | string> {
  let raw: string;
  try {
    raw = await readFile(join(folder, 'studio.json'), 'utf8');
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

function sourceEntry(id: string, name: string, audio: LoadedAudio): SourceEntry {
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
  try {
    const project = await Project.open(staging, { name: 'Demo' });
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
