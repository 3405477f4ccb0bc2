// The job service: training runs and exports are jobs the engine owns. A job outlives the call
// and the connection that started it (a closed connection only stops watching; a cancel from any
// connection stops it), reports to every connection ('job', 'training' and 'progress' events),
// and keeps a record in the project that survives an engine restart:
//   - a training run: models/<name>/training.json (training-record.ts), the CLI's runs included;
//   - an export: jobs/export-<name>.json.
// After a crash, a run whose inputs are the project's own sources resumes by itself; any other
// interrupted run is listed as interrupted and resumed only when asked.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type {
  CallContext,
  EpochSummary,
  ExportResult,
  JobInfo,
  JobsApi,
  StudioEvent,
  TrainSettings,
  TrainingRun,
} from '../../common/api.js';
import { writeFileAtomic } from '../../ml/audio/files.js';
import type { BackendName } from '../../ml/backend.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { type ComputeWindowSource, startTraining } from '../../ml/vae/train-job.js';
import { CHECKPOINT_FILE } from '../../ml/vae/train-protocol.js';
import { DEFAULT_TRAIN_CONFIG } from '../../ml/vae/trainer.js';
import { type Project, ProjectError, safeStem } from './project.js';
import { disconnected } from './serve-api.js';
import { threadBudget, trainingThreads } from './threads.js';
import {
  historyOf,
  processAlive,
  readTrainingRecord,
  type TrainingRecord,
  TrainingRecordWriter,
} from './training-record.js';

/** Epochs between the reconstructions a training run offers to listen to. */
const PREVIEW_EVERY = 2;
const JOBS_FOLDER = 'jobs';
/** The project's frame cache (ml/corpus/frame-cache.ts): every source analysed once, for training and maps. */
export const FRAME_CACHE = 'cache/frames';

interface LiveJob {
  info: JobInfo;
  /** The model folder it trains into or exports from. */
  folder: string;
  cancel(): void;
  /** Training: the threads it holds of the engine's budget (what it asked for, then what it uses). */
  threads?: number;
}

const exportRecordSchema = z.object({
  job: z.object({
    id: z.string(),
    kind: z.literal('export'),
    project: z.string(),
    model: z.string(),
    state: z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']),
    progress: z.object({ done: z.number(), total: z.number() }),
    history: z.array(z.unknown()),
    result: z.unknown(),
    error: z.string().nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
  }),
  pid: z.number().int(),
});

export interface JobServiceOptions {
  project: () => Project;
  emit: (event: StudioEvent) => void;
  backend?: BackendName;
  /** The engine's thread budget (main/engine/threads.ts); default VAE_STUDIO_THREADS, else every core. */
  threads?: number;
  /** A run finished and wrote its model, or the number of running trainings changed. */
  onTrainingChange?(project: Project): void;
  /** Under Electron: the compute windows webgpu/webgl train in (main/engine/compute-relay.ts). */
  compute?: ComputeWindowSource;
}

const now = () => new Date().toISOString();

export class JobService implements JobsApi {
  readonly #live = new Map<string, LiveJob>();
  readonly #writers = new Map<string, TrainingRecordWriter>();
  readonly #options: JobServiceOptions;
  #disposed = false;

  constructor(options: JobServiceOptions) {
    this.#options = options;
  }

  /** Running training runs (the thread budget counts them). */
  get trainingCount(): number {
    return [...this.#live.values()].filter((j) => j.info.kind === 'train').length;
  }

  /** Threads the running trainings hold (the worker pool gets what they leave). */
  get trainingThreads(): number {
    return [...this.#live.values()].reduce((n, j) => n + (j.info.kind === 'train' ? (j.threads ?? 1) : 0), 0);
  }

  /** Jobs running now. */
  get runningCount(): number {
    return this.#live.size;
  }

  /** Whether a job trains into or exports from the model in `folder`. */
  usesModel(folder: string): boolean {
    return [...this.#live.values()].some((j) => j.folder === folder);
  }

  async train(settings: TrainSettings, context?: CallContext): Promise<TrainingRun> {
    const project = this.#options.project();
    const sourceIds = settings.sources ?? (await project.summary()).sources.map((s) => s.id);
    const inputs = await project.sourcePaths(sourceIds);
    const id = await this.#freeModelName(project, settings.name);
    const folder = await project.modelPath(id);
    await mkdir(folder, { recursive: true });
    const record: TrainingRecord = {
      status: 'running',
      pid: process.pid,
      settings: { ...settings, name: id },
      inputs,
      sourceIds,
      epoch: 0,
      history: [],
      origin: 'engine',
      startedAt: now(),
      endedAt: null,
      updatedAt: now(),
    };
    return this.#run(project, id, folder, record, false, context?.signal);
  }

  async resumeTraining(model: string, context?: CallContext): Promise<TrainingRun> {
    return this.#resume(this.#options.project(), model, context?.signal);
  }

  async listTraining(): Promise<TrainingRun[]> {
    const project = this.#options.project();
    const runs: TrainingRun[] = [];
    for (const job of await this.#trainingJobs(project)) {
      if (job.state === 'done' || job.state === 'queued') continue;
      runs.push({
        model: job.model,
        status: job.state,
        epoch: job.progress.done,
        epochs: job.progress.total,
        ...(job.error ? { message: job.error } : {}),
      });
    }
    return runs.sort((a, b) => a.model.localeCompare(b.model));
  }

  async listJobs(): Promise<JobInfo[]> {
    const project = this.#options.project();
    const jobs = [...(await this.#trainingJobs(project)), ...(await this.#exportJobs(project))];
    const rank = (j: JobInfo) => (j.state === 'running' || j.state === 'queued' ? 0 : 1);
    return jobs.sort((a, b) => rank(a) - rank(b) || b.startedAt.localeCompare(a.startedAt));
  }

  async cancelJob(id: string): Promise<void> {
    const job = this.#live.get(id);
    if (!job) throw new ProjectError(`no running job ${JSON.stringify(id)}`);
    job.cancel();
  }

  /**
   * Resumes, in the background, every run of the project that its engine died in and whose inputs
   * are the project's own sources; returns their models. Others stay listed as interrupted.
   */
  async resumeInterrupted(project: Project): Promise<string[]> {
    const resumed: string[] = [];
    const known = new Set((await project.summary()).sources.map((s) => s.id));
    for (const job of await this.#trainingJobs(project)) {
      if (job.state !== 'interrupted') continue;
      const record = await readTrainingRecord(await project.modelPath(job.model));
      if (!record?.sourceIds || !record.sourceIds.every((s) => known.has(s))) continue;
      resumed.push(job.model);
      this.#resume(project, job.model).catch(() => undefined);
    }
    return resumed;
  }

  /**
   * Runs `work` as a job of the project (an export): listed, cancellable from any connection,
   * recorded in jobs/. The call's own cancel stops it; its connection closing does not.
   */
  async runJob<T extends ExportResult>(
    project: Project,
    job: { id: string; kind: 'export'; model: string; folder: string },
    work: (control: { signal: AbortSignal; progress(done: number, total: number): void }) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.#live.has(job.id)) throw new ProjectError(`${job.id} is running already`);
    const controller = new AbortController();
    const info: JobInfo = {
      id: job.id,
      kind: job.kind,
      project: project.path,
      model: job.model,
      state: 'running',
      progress: { done: 0, total: 0 },
      history: [],
      result: null,
      error: null,
      startedAt: now(),
      endedAt: null,
    };
    const live: LiveJob = { info, folder: job.folder, cancel: () => controller.abort() };
    this.#live.set(job.id, live);
    const onAbort = () => {
      if (signal && !disconnected(signal)) controller.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const record = (state: JobInfo) => this.#writeExportRecord(project, state);
    this.#announce(info);
    await record(info).catch(() => undefined);
    try {
      const result = await work({
        signal: controller.signal,
        progress: (done, total) => {
          info.progress = { done, total };
          this.#options.emit({ type: 'progress', job: job.id, done, total });
        },
      });
      Object.assign(info, { state: 'done', result, endedAt: now() });
      return result;
    } catch (err) {
      const cancelled = controller.signal.aborted;
      Object.assign(info, {
        state: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? null : (err as Error).message,
        endedAt: now(),
      });
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#live.delete(job.id);
      await record(info).catch(() => undefined);
      this.#announce(info);
    }
  }

  /** Cancels every job (runs keep their checkpoints). */
  dispose(): void {
    this.#disposed = true;
    for (const job of this.#live.values()) job.cancel();
  }

  #announce(info: JobInfo): void {
    this.#options.emit({ type: 'job', job: structuredClone(info) });
  }

  async #resume(project: Project, model: string, signal?: AbortSignal): Promise<TrainingRun> {
    const folder = await project.modelPath(model);
    if (this.#live.has(`train/${model}`)) throw new ProjectError(`${model} is training already`);
    const record = await readTrainingRecord(folder);
    if (!record) throw new ProjectError(`${model} has no training run to resume`);
    if (record.status === 'done') throw new ProjectError(`${model} has finished training`);
    if (record.status === 'running' && record.pid !== process.pid && processAlive(record.pid))
      throw new ProjectError(`${model} is being trained by another process (${record.pid})`);
    // A run of the project's sources reads them where they are now.
    const inputs = record.sourceIds ? await project.sourcePaths(record.sourceIds) : record.inputs;
    return this.#run(
      project,
      model,
      folder,
      { ...record, inputs, status: 'running', pid: process.pid, endedAt: null },
      existsSync(join(folder, CHECKPOINT_FILE)),
      signal,
    );
  }

  #writer(folder: string): TrainingRecordWriter {
    let writer = this.#writers.get(folder);
    if (!writer) this.#writers.set(folder, (writer = new TrainingRecordWriter(folder)));
    return writer;
  }

  /** A training record as a job. */
  #trainingJob(project: Project, model: string, record: TrainingRecord): JobInfo {
    const live = this.#live.get(`train/${model}`);
    if (live) return structuredClone(live.info);
    const interrupted =
      record.status === 'running' && (record.pid === process.pid || !processAlive(record.pid));
    const state = interrupted ? 'interrupted' : record.status;
    const run: TrainingRun = {
      model,
      status: state,
      epoch: record.epoch,
      epochs: record.settings.epochs,
      ...(record.message ? { message: record.message } : {}),
    };
    return {
      id: `train/${model}`,
      kind: 'train',
      project: project.path,
      model,
      state,
      progress: { done: record.epoch, total: record.settings.epochs },
      history: historyOf(record),
      result: run,
      error: state === 'failed' ? (record.message ?? 'failed') : null,
      startedAt: record.startedAt ?? record.updatedAt,
      endedAt: record.endedAt ?? (state === 'running' || state === 'interrupted' ? null : record.updatedAt),
    };
  }

  async #trainingJobs(project: Project): Promise<JobInfo[]> {
    const models = join(project.path, 'models');
    const entries = await readdir(models, { withFileTypes: true }).catch(() => []);
    const jobs: JobInfo[] = [];
    for (const e of entries.filter((x) => x.isDirectory())) {
      const record = await readTrainingRecord(join(models, e.name));
      if (record) jobs.push(this.#trainingJob(project, e.name, record));
    }
    return jobs;
  }

  async #exportJobs(project: Project): Promise<JobInfo[]> {
    const dir = join(project.path, JOBS_FOLDER);
    const files = await readdir(dir).catch(() => [] as string[]);
    const jobs: JobInfo[] = [];
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      try {
        const parsed = exportRecordSchema.safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
        if (!parsed.success) continue;
        const job = parsed.data.job as JobInfo;
        const live = this.#live.get(job.id);
        if (live) jobs.push(structuredClone(live.info));
        else if (job.state === 'running' && !processAlive(parsed.data.pid))
          jobs.push({ ...job, state: 'interrupted' });
        else if (job.state === 'running' && parsed.data.pid === process.pid)
          jobs.push({ ...job, state: 'interrupted' });
        else jobs.push(job);
      } catch {
        // An unreadable record is no job.
      }
    }
    return jobs;
  }

  async #writeExportRecord(project: Project, info: JobInfo): Promise<void> {
    const dir = join(project.path, JOBS_FOLDER);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${info.id.replace('/', '-')}.json`);
    const bytes = new TextEncoder().encode(`${JSON.stringify({ job: info, pid: process.pid }, null, 2)}\n`);
    await writeFileAtomic(file, bytes, { overwrite: true });
  }

  async #run(
    project: Project,
    model: string,
    folder: string,
    first: TrainingRecord,
    resume: boolean,
    signal?: AbortSignal,
  ): Promise<TrainingRun> {
    if (this.#disposed) throw new ProjectError('the engine has shut down');
    const cache = await project.resolveInside(FRAME_CACHE);
    const id = `train/${model}`;
    const writer = this.#writer(folder);
    let record: TrainingRecord = { ...first, startedAt: first.startedAt ?? now(), updatedAt: now() };
    await writer.write(record);
    const { settings } = record;
    const state: TrainingRun = { model, status: 'running', epoch: record.epoch, epochs: settings.epochs };
    const info: JobInfo = this.#trainingJob(project, model, record);
    Object.assign(info, { state: 'running', error: null, endedAt: null, result: null });
    const history: EpochSummary[] = [...historyOf(record)];
    // The budget the other trainings leave; the run reports what it uses (its corpus event).
    const threads = trainingThreads(this.#options.threads ?? threadBudget(), this.trainingThreads);
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
        // The form's choice (ml/backend.ts names), else the engine's.
        backend: settings.backend ?? this.#options.backend,
        previewEvery: PREVIEW_EVERY,
        cache,
        threads,
      },
      (event) => {
        const emit = this.#options.emit;
        if (event.type === 'analysis') {
          // Sources analysed into the frame cache: files done (fractional) of all, before epoch 1.
          emit({ type: 'progress', job: id, done: event.done, total: event.total });
        } else if (event.type === 'batch') {
          emit({
            type: 'training',
            job: id,
            run: { ...state, epoch: event.epoch - 1 },
            batch: { done: event.done, total: event.total },
          });
        } else if (event.type === 'preview') {
          emit({
            type: 'training',
            job: id,
            run: { ...state },
            preview: { epoch: event.epoch, samples: event.samples, sampleRate: event.sampleRate },
          });
        } else if (event.type === 'corpus') {
          const held = this.#live.get(id);
          if (held) held.threads = event.threads;
        } else if (event.type === 'epoch') {
          state.epoch = event.report.epoch;
          // A resumed run repeats no epoch: anything at or after this one is from before the restart.
          while (history.length && history[history.length - 1].epoch >= event.report.epoch) history.pop();
          history.push(event.report);
          info.history = history;
          info.progress = { done: state.epoch, total: settings.epochs };
          emit({ type: 'training', job: id, run: { ...state }, report: event.report });
          record = { ...record, epoch: state.epoch, history: history as never, updatedAt: now() };
          void writer.write(record).catch(() => undefined);
        }
      },
      { compute: this.#options.compute },
    );
    const live: LiveJob = { info, folder, cancel: () => job.cancel(), threads };
    this.#live.set(id, live);
    this.#options.onTrainingChange?.(project);
    this.#announce(info);
    const onAbort = () => {
      if (signal && !disconnected(signal)) job.cancel();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
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
                message: outcome.file ? `${outcome.file}: ${outcome.message}` : outcome.message,
              };
      record = {
        ...record,
        status: end.status,
        epoch: end.epoch,
        message: end.message,
        endedAt: now(),
        updatedAt: now(),
      };
      await writer.write(record).catch(() => undefined);
      Object.assign(info, {
        state: end.status,
        result: end,
        error: end.status === 'failed' ? (end.message ?? 'failed') : null,
        endedAt: record.endedAt,
        progress: { done: end.epoch, total: settings.epochs },
      });
      this.#live.delete(id);
      this.#options.emit({ type: 'training', job: id, run: end });
      this.#announce(info);
      return end;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#live.delete(id);
      this.#options.onTrainingChange?.(project);
    }
  }

  async #freeModelName(project: Project, wanted: string): Promise<string> {
    const stem = safeStem(wanted);
    for (let n = 1; n <= 1000; n++) {
      const id = n === 1 ? stem : `${stem} (${n})`;
      if (!existsSync(await project.modelPath(id)) && !this.#live.has(`train/${id}`)) return id;
    }
    throw new ProjectError(`too many models named ${wanted}`);
  }
}
