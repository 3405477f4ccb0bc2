import { plateau } from './curves.js';
import { DEFAULT_TRAIN_SETTINGS } from '../../../common/api.js';
import type { EpochSummary, JobInfo, StudioApi, StudioClient, TrainSettings, TrainingRun } from './types.js';

/** The training form's defaults: the one default model, as the CLI trains it. */
export const DEFAULT_SETTINGS: TrainSettings = { name: 'my model', ...DEFAULT_TRAIN_SETTINGS };

/** A job's id for the run training `model` (the engine's JobInfo id). */
const jobId = (model: string) => `train/${model}`;

/** Every epoch once, in order; the later of two reports of one epoch wins. */
function mergeReports(a: EpochSummary[], b: EpochSummary[]): EpochSummary[] {
  const byEpoch = new Map<number, EpochSummary>();
  for (const r of [...a, ...b]) byEpoch.set(r.epoch, r);
  return [...byEpoch.values()].sort((x, y) => x.epoch - y.epoch);
}

/**
 * The training panel's state: one run shown at a time. Runs are the engine's jobs: this window's
 * own, or one it adopts (running when the page loaded or the project opened, or started by another
 * window or by the engine itself after a restart), followed through 'job' and 'training' events.
 */
export class TrainingSession {
  run = $state.raw<TrainingRun | null>(null);
  reports = $state.raw<EpochSummary[]>([]);
  batch = $state.raw<{ done: number; total: number } | null>(null);
  /** Before epoch 1: the run's sounds being read into the frame cache (files done, fractional, of all). */
  analysis = $state.raw<{ done: number; total: number } | null>(null);
  error = $state<string | null>(null);
  /** Cancel was asked for the run shown; its end has not come yet. */
  cancelling = $state(false);
  /** The latest reconstruction the run offered (the start of its first sound). */
  preview = $state.raw<{ epoch: number; samples: Float32Array; sampleRate: number } | null>(null);
  /** Runs of the project that can be resumed (cancelled or interrupted). */
  resumable = $state.raw<TrainingRun[]>([]);
  /** The project whose runs are shown (its path, as the engine's jobs name it). */
  #project: string | null = null;
  /**
   * This window's train call, until the engine's 'job' event says which model it trains (a name
   * that is taken trains as 'name (2)'); `cancel` when Cancel was pressed before that.
   */
  #pending: { cancel: boolean } | null = null;
  /** The figures of the project's runs so far, by model (a resumed run's curve goes on from them). */
  #histories = new Map<string, EpochSummary[]>();
  /** The run this window cancelled, until it starts or resumes another. */
  #cancelled: string | null = null;

  readonly plateau = $derived(plateau(this.reports));
  get running(): boolean {
    return this.run?.status === 'running';
  }

  /**
   * A project opened (or the page loaded): the last project's run is let go, and the run training
   * in this one, if any, is shown with its curve so far.
   */
  async load(client: StudioClient, project: string): Promise<void> {
    if (this.#project !== project) {
      this.#project = project;
      this.#pending = null;
      this.#cancelled = null;
      this.run = null;
      this.reports = [];
      this.batch = null;
      this.preview = null;
      this.error = null;
      this.cancelling = false;
    }
    const jobs = await client.listJobs();
    if (this.#project !== project) return;
    this.#listResumable(jobs);
    // The run shown ended while this window was not listening (an engine restart, say): say how.
    const shown =
      this.running && !this.#pending ? jobs.find((j) => j.id === jobId(this.run!.model)) : undefined;
    if (shown && shown.state !== 'running' && shown.state !== 'queued') this.onJob(client, shown);
    const job = jobs.find((j) => j.kind === 'train' && (j.state === 'running' || j.state === 'queued'));
    // This window's own run, while its model's name is not known yet, is adopted by its 'job' event.
    if (job && !this.#pending && (!this.running || this.run?.model === job.model)) this.#adopt(job);
  }

  /** A job started or ended (any window's, or the engine's own). */
  onJob(client: StudioClient, job: JobInfo): void {
    if (job.kind !== 'train' || (this.#project !== null && job.project !== this.#project)) return;
    if (job.state === 'running' || job.state === 'queued') {
      const pending = this.#pending;
      if (pending) {
        // This window's run, under the model name the engine gave it.
        this.#pending = null;
        this.#adopt(job);
        if (pending.cancel) void this.cancel(client);
      } else if (!this.running || this.run?.model === job.model) this.#adopt(job);
      return;
    }
    // An end: the 'training' event with it usually came first; this one is sure to come.
    if (this.run?.model === job.model && this.running) {
      const end = job.result as TrainingRun | null;
      this.run = end ?? {
        model: job.model,
        status: job.state,
        epoch: job.progress.done,
        epochs: job.progress.total,
        ...(job.error ? { message: job.error } : {}),
      };
      this.batch = null;
      this.cancelling = false;
      if (this.run.status === 'failed') this.error = this.run.message ?? 'training failed';
    }
  }

  /** A train job's progress before its first epoch: its sounds being analysed. */
  onProgress(job: string, done: number, total: number): void {
    if (this.run && jobId(this.run.model) === job && this.running && this.run.epoch === 0)
      this.analysis = done < total ? { done, total } : null;
  }

  /** A run moved on: only the run shown is followed (others are adopted through 'job' events). */
  onEvent(
    run: TrainingRun,
    report?: EpochSummary,
    batch?: { done: number; total: number },
    preview?: { epoch: number; samples: Float32Array; sampleRate: number },
  ): void {
    if (!this.run || this.run.model !== run.model) return;
    // Batches already under way when this window cancelled still report 'running': the run's end follows.
    if (this.#cancelled === run.model && run.status === 'running') return;
    if (this.run.status !== 'running' && run.status === 'running') return;
    if (preview) this.preview = preview;
    if (batch || report || run.status !== 'running') this.analysis = null;
    this.run = run;
    if (report) this.reports = mergeReports(this.reports, [report]);
    this.batch = run.status === 'running' ? (batch ?? this.batch) : null;
    if (run.status !== 'running') this.cancelling = false;
  }

  async start(client: StudioClient, settings: TrainSettings): Promise<void> {
    await this.#go(
      client,
      (api) => api.train(settings),
      { model: settings.name, status: 'running', epoch: 0, epochs: settings.epochs },
      true,
    );
  }

  async resume(client: StudioClient, model: string): Promise<void> {
    const known = this.resumable.find((r) => r.model === model);
    await this.#go(
      client,
      (api) => api.resumeTraining(model),
      { model, status: 'running', epoch: known?.epoch ?? 0, epochs: known?.epochs ?? 0 },
      false,
      // The curve so far stays: the resumed run adds to it (and its best epoch counts them all).
      this.#histories.get(model) ?? [],
    );
  }

  /** Cancels the run shown, whichever window started it (it stops at its next batch, checkpoint kept). */
  async cancel(client: StudioClient): Promise<void> {
    const run = this.run;
    if (!run || run.status !== 'running') return;
    this.cancelling = true;
    if (this.#pending) {
      // Its model's name is not known yet: cancelled as soon as it is.
      this.#pending.cancel = true;
      return;
    }
    this.#cancelled = run.model;
    try {
      await client.cancelJob(jobId(run.model));
    } catch (err) {
      // It ended meanwhile (the end is on its way), or the cancel failed: say so only then.
      if (this.run?.model === run.model && this.running) {
        this.#cancelled = null;
        this.cancelling = false;
        this.error = (err as Error).message;
      }
    }
  }

  /** The runs offered for Resume: cancelled, or interrupted by an engine that died. */
  async refresh(client: StudioClient): Promise<void> {
    const project = this.#project;
    const jobs = await client.listJobs();
    if (this.#project === project) this.#listResumable(jobs);
  }

  // From the job list rather than listTraining: the same runs, and it answers while a run is live.
  #listResumable(jobs: JobInfo[]): void {
    for (const j of jobs)
      if (j.kind === 'train' && j.history.length > 0) this.#histories.set(j.model, j.history);
    this.resumable = jobs
      .filter((j) => j.kind === 'train' && (j.state === 'cancelled' || j.state === 'interrupted'))
      .map((j) => ({
        model: j.model,
        status: j.state as 'cancelled' | 'interrupted',
        epoch: j.progress.done,
        epochs: j.progress.total,
      }))
      .sort((a, b) => a.model.localeCompare(b.model));
  }

  /** Shows a running job: its figures so far, then its events. */
  #adopt(job: JobInfo): void {
    const same = this.run?.model === job.model;
    if (!same) {
      this.preview = null;
      this.batch = null;
      this.#cancelled = null;
      this.cancelling = false;
    }
    this.error = null;
    this.run = {
      model: job.model,
      status: 'running',
      epoch: Math.max(job.progress.done, same ? (this.run?.epoch ?? 0) : 0),
      epochs: job.progress.total,
    };
    // Reports that came as events while the list was on its way are newer than its history.
    this.reports = mergeReports(job.history, same ? this.reports : []);
  }

  async #go(
    client: StudioClient,
    call: (api: StudioApi) => Promise<TrainingRun>,
    first: TrainingRun,
    pending: boolean,
    earlier: EpochSummary[] = [],
  ): Promise<void> {
    this.error = null;
    this.#cancelled = null;
    this.cancelling = false;
    this.reports = earlier;
    this.preview = null;
    this.batch = null;
    this.analysis = null;
    this.run = first;
    const project = this.#project;
    const mine = pending ? { cancel: false } : null;
    this.#pending = mine;
    // Still this call's run on screen: the same project, and its model (or its model not known yet).
    const shown = (model: string) =>
      this.#project === project && (this.run?.model === model || (mine !== null && this.#pending === mine));
    try {
      // No time limit: a run takes as long as it takes. No signal either: the run is the engine's
      // job, which goes on if this page closes; Cancel asks the engine (cancelJob).
      const end = await call(client.with({ timeoutMs: 0 }));
      if (shown(end.model)) {
        this.run = end;
        this.batch = null;
        this.cancelling = false;
        if (end.status === 'failed') this.error = end.message ?? 'training failed';
      }
    } catch (err) {
      // A closed connection stopped only the watching: the run goes on, and the next load shows it.
      if ((err as Error).name !== 'DisconnectedError' && shown(first.model)) {
        this.error = (err as Error).message;
        if (this.running && this.run?.model === first.model && this.run.epoch === first.epoch)
          this.run = { ...this.run, status: 'failed', message: (err as Error).message };
        this.cancelling = false;
      }
    } finally {
      if (mine && this.#pending === mine) this.#pending = null;
      await this.refresh(client).catch(() => undefined);
    }
  }
}
