// Training runs of the engine's projects: each in the worker thread of ml/vae/train-job.ts, with
// a training.json beside its checkpoint saying what it was asked and how far it is. That record is
// what lets a restarted engine find a run its predecessor died in and resume it.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { StudioEvent, TrainSettings, TrainingRun } from '../../common/api.js';
import { writeFileAtomic } from '../../ml/audio/files.js';
import type { BackendName } from '../../ml/backend.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { type TrainJob, startTraining } from '../../ml/vae/train-job.js';
import { CHECKPOINT_FILE } from '../../ml/vae/train-protocol.js';
import { DEFAULT_TRAIN_CONFIG } from '../../ml/vae/trainer.js';
import { type Project, ProjectError, safeStem } from './project.js';

export const TRAINING_FILE = 'training.json';
/** Epochs between the reconstructions a training run offers to listen to. */
const PREVIEW_EVERY = 2;

const recordSchema = z.object({
  status: z.enum(['running', 'done', 'cancelled', 'failed', 'interrupted']),
  /** The engine process that ran it: a 'running' record whose process is gone was interrupted. */
  pid: z.number().int(),
  settings: z.object({
    name: z.string(),
    preset: z.enum(['seed-speech', 'compact']),
    latent: z.number().int(),
    epochs: z.number().int(),
    batch: z.number().int(),
    beta: z.number(),
    sources: z.array(z.string()).optional(),
  }),
  /** The source files trained on, absolute. */
  inputs: z.array(z.string()),
  epoch: z.number().int(),
  message: z.string().optional(),
  updatedAt: z.string(),
});
type TrainingRecord = z.infer<typeof recordSchema>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Training {
  readonly #jobs = new Map<string, { job: TrainJob; done: Promise<TrainingRun> }>();
  readonly #emit: (event: StudioEvent) => void;
  readonly #backend?: BackendName;
  #disposed = false;

  constructor(emit: (event: StudioEvent) => void, backend?: BackendName) {
    this.#emit = emit;
    this.#backend = backend;
  }

  /** Trains a new model in the project; resolves when the run ends. */
  async train(project: Project, settings: TrainSettings, signal?: AbortSignal): Promise<TrainingRun> {
    const inputs = project.sourceFiles(settings.sources);
    const id = await this.#freeModelName(project, settings.name);
    const folder = project.modelFolder(id);
    await mkdir(folder, { recursive: true });
    const record: TrainingRecord = {
      status: 'running',
      pid: process.pid,
      settings,
      inputs,
      epoch: 0,
      updatedAt: new Date().toISOString(),
    };
    await this.#write(folder, record);
    return this.#run(id, folder, record, false, signal);
  }

  /** Continues a cancelled or interrupted run of the project from its checkpoint. */
  async resume(project: Project, model: string, signal?: AbortSignal): Promise<TrainingRun> {
    const folder = project.modelFolder(model);
    if (this.#jobs.has(folder)) throw new ProjectError(`${model} is training already`);
    const record = await this.#read(folder);
    if (!record) throw new ProjectError(`${model} has no training run to resume`);
    if (record.status === 'done') throw new ProjectError(`${model} has finished training`);
    return this.#run(
      model,
      folder,
      { ...record, status: 'running', pid: process.pid },
      existsSync(join(folder, CHECKPOINT_FILE)),
      signal,
    );
  }

  /** Runs that are running, cancelled, failed or interrupted (done ones are models). */
  async list(project: Project): Promise<TrainingRun[]> {
    const models = join(project.path, 'models');
    const entries = await readdir(models, { withFileTypes: true }).catch(() => []);
    const runs: TrainingRun[] = [];
    for (const e of entries.filter((x) => x.isDirectory())) {
      const record = await this.#read(join(models, e.name));
      if (!record || record.status === 'done') continue;
      runs.push(this.#asRun(e.name, join(models, e.name), record));
    }
    return runs.sort((a, b) => a.model.localeCompare(b.model));
  }

  /**
   * Resumes, in the background, every run of the project whose engine died mid-run. Progress and
   * the end arrive as 'training' events.
   */
  async resumeInterrupted(project: Project): Promise<string[]> {
    const resumed: string[] = [];
    for (const run of await this.list(project)) {
      if (run.status !== 'interrupted') continue;
      resumed.push(run.model);
      this.resume(project, run.model).catch(() => undefined);
    }
    return resumed;
  }

  /** Whether a run of this engine is training into `folder` now. */
  isRunning(folder: string): boolean {
    return this.#jobs.has(folder);
  }

  /** Cancels every run (each keeps its checkpoint). */
  dispose(): void {
    this.#disposed = true;
    for (const { job } of this.#jobs.values()) job.cancel();
  }

  #asRun(model: string, folder: string, record: TrainingRecord): TrainingRun {
    const interrupted =
      record.status === 'running' &&
      !this.#jobs.has(folder) &&
      (record.pid === process.pid || !alive(record.pid));
    return {
      model,
      status: interrupted ? 'interrupted' : record.status,
      epoch: record.epoch,
      epochs: record.settings.epochs,
      ...(record.message ? { message: record.message } : {}),
    };
  }

  async #run(
    model: string,
    folder: string,
    record: TrainingRecord,
    resume: boolean,
    signal?: AbortSignal,
  ): Promise<TrainingRun> {
    if (this.#disposed) throw new ProjectError('the engine has shut down');
    await this.#write(folder, record);
    const { settings } = record;
    const state: TrainingRun = { model, status: 'running', epoch: record.epoch, epochs: settings.epochs };
    let epoch = record.epoch;
    const job = startTraining(
      {
        inputs: record.inputs,
        out: folder,
        resume,
        config: {
          ...DEFAULT_TRAIN_CONFIG,
          preset: settings.preset,
          latent: settings.latent,
          epochs: settings.epochs,
          batch: settings.batch,
          beta: settings.beta,
        },
        epochs: resume ? settings.epochs : undefined,
        frames: DEFAULT_FRAME_SETTINGS,
        backend: this.#backend,
        previewEvery: PREVIEW_EVERY,
      },
      (event) => {
        if (event.type === 'batch') {
          this.#emit({
            type: 'training',
            run: { ...state, epoch: event.epoch - 1 },
            batch: { done: event.done, total: event.total },
          });
        } else if (event.type === 'preview') {
          this.#emit({
            type: 'training',
            run: { ...state },
            preview: { epoch: event.epoch, samples: event.samples, sampleRate: event.sampleRate },
          });
        } else if (event.type === 'epoch') {
          epoch = event.report.epoch;
          state.epoch = epoch;
          this.#emit({ type: 'training', run: { ...state }, report: event.report });
          void this.#write(folder, { ...record, epoch, updatedAt: new Date().toISOString() }).catch(
            () => undefined,
          );
        }
      },
    );
    const onAbort = () => job.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (async (): Promise<TrainingRun> => {
      try {
        const outcome = await job.outcome;
        const end: TrainingRun =
          outcome.status === 'done'
            ? { ...state, status: 'done', epoch: outcome.summary.epochs }
            : outcome.status === 'cancelled'
              ? { ...state, status: 'cancelled', epoch: outcome.epoch }
              : {
                  ...state,
                  status: 'failed',
                  epoch,
                  message: outcome.file ? `${outcome.file}: ${outcome.message}` : outcome.message,
                };
        await this.#write(folder, {
          ...record,
          status: end.status,
          epoch: end.epoch,
          message: end.message,
          updatedAt: new Date().toISOString(),
        });
        this.#emit({ type: 'training', run: end });
        return end;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        this.#jobs.delete(folder);
      }
    })();
    this.#jobs.set(folder, { job, done });
    return done;
  }

  async #freeModelName(project: Project, wanted: string): Promise<string> {
    const stem = safeStem(wanted);
    for (let n = 1; n <= 1000; n++) {
      const id = n === 1 ? stem : `${stem} (${n})`;
      if (!existsSync(project.modelFolder(id))) return id;
    }
    throw new ProjectError(`too many models named ${wanted}`);
  }

  async #read(folder: string): Promise<TrainingRecord | null> {
    try {
      const parsed = recordSchema.safeParse(JSON.parse(await readFile(join(folder, TRAINING_FILE), 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Writes of one record in the order they were asked for: the final status is never overtaken. */
  readonly #writes = new Map<string, Promise<void>>();

  #write(folder: string, record: TrainingRecord): Promise<void> {
    const bytes = new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
    const write = (this.#writes.get(folder) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => writeFileAtomic(join(folder, TRAINING_FILE), bytes, { overwrite: true }));
    this.#writes.set(folder, write);
    return write;
  }
}
