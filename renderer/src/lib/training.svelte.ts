import { plateau } from './curves.js';
import type { EpochSummary, StudioApi, StudioClient, TrainSettings, TrainingRun } from './types.js';

export const DEFAULT_SETTINGS: TrainSettings = {
  name: 'my model',
  preset: 'compact',
  latent: 16,
  epochs: 20,
  batch: 256,
  beta: 0.01,
};

/** The training panel's state: one run at a time, fed by the engine's 'training' events. */
export class TrainingSession {
  run = $state.raw<TrainingRun | null>(null);
  reports = $state.raw<EpochSummary[]>([]);
  batch = $state.raw<{ done: number; total: number } | null>(null);
  error = $state<string | null>(null);
  /** The latest reconstruction the run offered (the start of its first sound). */
  preview = $state.raw<{ epoch: number; samples: Float32Array; sampleRate: number } | null>(null);
  /** Runs of the project that can be resumed (cancelled or interrupted). */
  resumable = $state.raw<TrainingRun[]>([]);
  #abort: AbortController | null = null;
  /** The run this window cancelled, until it starts or resumes another. */
  #cancelled: string | null = null;

  readonly plateau = $derived(plateau(this.reports));
  get running(): boolean {
    return this.run?.status === 'running';
  }

  /** Follows a run's events (this window's, or one resumed by the engine after a restart). */
  onEvent(
    run: TrainingRun,
    report?: EpochSummary,
    batch?: { done: number; total: number },
    preview?: { epoch: number; samples: Float32Array; sampleRate: number },
  ): void {
    if (this.run && this.run.model !== run.model && this.running) return;
    // Batches already under way when this window cancelled still report 'running': the run's end follows.
    if (this.#cancelled === run.model && run.status === 'running') return;
    if (!this.run || this.run.model !== run.model) {
      this.reports = [];
      this.preview = null;
    }
    if (preview) this.preview = preview;
    this.run = run;
    if (report) this.reports = [...this.reports.filter((r) => r.epoch < report.epoch), report];
    this.batch = run.status === 'running' ? (batch ?? this.batch) : null;
  }

  async start(client: StudioClient, settings: TrainSettings): Promise<void> {
    await this.#go(client, (api) => api.train(settings), {
      model: settings.name,
      status: 'running',
      epoch: 0,
      epochs: settings.epochs,
    });
  }

  async resume(client: StudioClient, model: string): Promise<void> {
    const known = this.resumable.find((r) => r.model === model);
    await this.#go(client, (api) => api.resumeTraining(model), {
      model,
      status: 'running',
      epoch: known?.epoch ?? 0,
      epochs: known?.epochs ?? 0,
    });
  }

  cancel(): void {
    if (this.run) this.#cancelled = this.run.model;
    this.#abort?.abort();
  }

  async refresh(client: StudioClient): Promise<void> {
    this.resumable = (await client.listTraining()).filter(
      (r) => r.status === 'cancelled' || r.status === 'interrupted',
    );
  }

  async #go(
    client: StudioClient,
    call: (api: StudioApi) => Promise<TrainingRun>,
    first: TrainingRun,
  ): Promise<void> {
    this.error = null;
    this.#cancelled = null;
    this.reports = [];
    this.run = first;
    const abort = new AbortController();
    this.#abort = abort;
    try {
      // No time limit: a run takes as long as it takes; cancel is the way out.
      this.run = await call(client.with({ signal: abort.signal, timeoutMs: 0 }));
      if (this.run.status === 'failed') this.error = this.run.message ?? 'training failed';
    } catch (err) {
      if ((err as Error).name === 'AbortError') this.run = { ...(this.run ?? first), status: 'cancelled' };
      else this.error = (err as Error).message;
    } finally {
      this.#abort = null;
      this.batch = null;
      await this.refresh(client).catch(() => undefined);
    }
  }
}
