import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AudioFileError } from '../../ml/audio/errors.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import type { BackendInfo, BackendName } from '../../ml/backend.js';
import type { PresetName } from '../../ml/vae/model.js';
import { startTraining } from '../../ml/vae/train-job.js';
import { CHECKPOINT_FILE } from '../../ml/vae/train-protocol.js';
import { DEFAULT_TRAIN_CONFIG, type EpochReport } from '../../ml/vae/trainer.js';
import { FileSystemError, UsageError, systemErrorParts } from '../errors.js';
import { OutputGuard, kindOf } from '../outputs.js';
import { FRAME_CACHE } from '../engine/jobs.js';
import { Progress } from '../progress.js';
import {
  inProject,
  readTrainingRecord,
  type TrainingRecord,
  TrainingRecordWriter,
} from '../engine/training-record.js';

export interface TrainOptions {
  out: string;
  resume?: boolean;
  preset: PresetName;
  latent: number;
  epochs?: number;
  batch: number;
  beta: number;
  warmup: number;
  freeBits: number;
  loss: 'bce' | 'mse' | 'mixed';
  seed: number;
  /** The frame cache folder; default: the project's when --out is in one, else a temporary one. */
  cache?: string;
  /** The backend to train on (else VAE_STUDIO_BACKEND, else the automatic choice). */
  backend?: BackendName;
  json?: boolean;
}

const f2 = (x: number) => x.toFixed(2);

function epochLine(r: EpochReport): string {
  const held = r.heldOut ? `, held-out total ${f2(r.heldOut.total)}` : '';
  return (
    `epoch ${r.epoch}/${r.epochs}: reconstruction ${f2(r.reconstruction)}, KL ${f2(r.kl)} nats, total ${f2(r.total)}${held}, ` +
    `active ${r.activeUnits}/${r.klPerDim.length}, ${Math.round(r.framesPerSecond)} frames/s, ETA ${Math.round(r.etaSeconds)} s`
  );
}

/** The files in a model folder and its subfolders (encoder/, decoder/). */
function filesIn(folder: string, depth = 2): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() && depth > 0 ? filesIn(join(folder, e.name), depth - 1) : [join(folder, e.name)],
  );
}

/** `vae-studio train`: trains in a worker thread; Ctrl-C stops at the next batch, keeping the checkpoint. */
export async function train(inputs: string[], options: TrainOptions): Promise<number> {
  const progress = new Progress();
  const out = resolve(options.out);
  const checkpoint = join(out, CHECKPOINT_FILE);
  const found = statSync(out, { throwIfNoEntry: false });
  if (found && !found.isDirectory())
    throw new UsageError(`${options.out}: is ${kindOf(found)}, not a folder; choose another --out`);
  if (options.resume) {
    if (!existsSync(checkpoint))
      throw new UsageError(`${options.out}: nothing to resume (no ${CHECKPOINT_FILE})`);
  } else if (existsSync(out) && readdirSync(out).length > 0) {
    throw new UsageError(
      `${options.out}: exists and is not empty; use --resume to continue its run, or choose another --out`,
    );
  }
  if (found) {
    // Resuming replaces the model's files: never an input (by inode, through links), a FIFO or a device.
    const guard = new OutputGuard({ inputs });
    for (const file of filesIn(out)) guard.check(file);
  }
  const epochs = options.epochs ?? DEFAULT_TRAIN_CONFIG.epochs;
  // A run into a project's models/ keeps the same record the engine's jobs keep, so the studio
  // lists it (running while this process lives, interrupted after). A failing record never stops training.
  const recorder = inProject(out) ? new TrainingRecordWriter(out) : null;
  const previous = options.resume && recorder ? await readTrainingRecord(out) : null;
  let record: TrainingRecord | null = recorder
    ? {
        status: 'running',
        pid: process.pid,
        settings: {
          name: basename(out),
          preset: options.preset,
          latent: options.latent,
          epochs: options.epochs ?? previous?.settings.epochs ?? epochs,
          batch: options.batch,
          beta: options.beta,
        },
        inputs: inputs.map((i) => resolve(i)),
        sourceIds: null,
        epoch: previous?.epoch ?? 0,
        history: previous?.history ?? [],
        origin: 'cli',
        startedAt: previous?.startedAt ?? new Date().toISOString(),
        endedAt: null,
        updatedAt: new Date().toISOString(),
      }
    : null;
  const note = (change: Partial<TrainingRecord>) => {
    if (!recorder || !record) return Promise.resolve();
    record = { ...record, ...change, updatedAt: new Date().toISOString() };
    return recorder.write(record).catch(() => undefined);
  };
  await note({});
  let backend: BackendInfo | undefined;
  /** Threads each batch is split over (ml/vae/data-parallel.ts), from the corpus event. */
  let threads = 1;
  const job = startTraining(
    {
      inputs: inputs.map((i) => resolve(i)),
      out,
      resume: Boolean(options.resume),
      config: {
        ...DEFAULT_TRAIN_CONFIG,
        preset: options.preset,
        latent: options.latent,
        epochs,
        batch: options.batch,
        beta: options.beta,
        warmupEpochs: options.warmup,
        freeBits: options.freeBits,
        loss: options.loss,
        seed: options.seed,
      },
      epochs: options.resume ? options.epochs : undefined,
      frames: DEFAULT_FRAME_SETTINGS,
      backend: options.backend,
      cache: options.cache
        ? resolve(options.cache)
        : inProject(out)
          ? join(dirname(dirname(out)), FRAME_CACHE)
          : undefined,
    },
    (event) => {
      switch (event.type) {
        case 'backend':
          backend = event.info;
          progress.stage(`backend: ${event.info.name}${event.info.gpu ? ' (GPU)' : ''}`);
          break;
        case 'analysis':
          progress.update(
            `analysing ${basename(event.file)}`,
            Math.floor(event.done * 100),
            event.total * 100,
          );
          break;
        case 'skipped':
          progress.warn(`skipped ${event.skipped.file}: ${event.skipped.reason}`);
          break;
        case 'corpus':
          progress.stage(
            `${event.sources.length} sources, ${event.train} training and ${event.heldOut} held-out frames, ` +
              `${event.params.toLocaleString('en')} parameters, ${event.threads} thread${event.threads > 1 ? 's' : ''}${event.resumedAt ? `, resuming after epoch ${event.resumedAt}` : ''}`,
          );
          threads = event.threads;
          break;
        case 'batch':
          progress.update(`epoch ${event.epoch}`, event.done, event.total);
          break;
        case 'epoch': {
          progress.stage(epochLine(event.report));
          const history = (record?.history ?? []).filter((h) => Number(h.epoch) < event.report.epoch);
          void note({ epoch: event.report.epoch, history: [...history, { ...event.report }] });
          break;
        }
      }
    },
  );
  const stop = () => {
    progress.stage('stopping at the next batch…');
    job.cancel();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let outcome;
  try {
    outcome = await job.outcome;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  await note({
    status: outcome.status,
    ...(outcome.status === 'done'
      ? { epoch: outcome.summary.epochs }
      : outcome.status === 'cancelled'
        ? { epoch: outcome.epoch }
        : { message: outcome.message }),
    endedAt: new Date().toISOString(),
  });
  if (outcome.status === 'cancelled') {
    progress.stage(`stopped; ${outcome.epoch} epochs are in ${checkpoint}; continue with --resume`);
    return 130;
  }
  if (outcome.status === 'failed') {
    if (outcome.kind === 'input')
      throw new AudioFileError(outcome.file ?? inputs.join(', '), outcome.message);
    if (outcome.kind === 'checkpoint') throw new UsageError(outcome.message);
    // A full disk or a permission: one line naming the file (the model folder when none is named).
    const system = outcome.kind === 'internal' ? systemErrorParts(outcome.message) : null;
    if (system) throw new FileSystemError(system.path ?? out, system.reason);
    const note = outcome.kind === 'diverged' ? `; the last good epoch is in ${checkpoint}` : '';
    throw new Error(`${outcome.message}${note}`);
  }
  const { summary } = outcome;
  const r = summary.final;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        model: summary.folder,
        epochs: summary.epochs,
        params: summary.params,
        seconds: Number(summary.seconds.toFixed(2)),
        reconstruction: r.reconstruction,
        kl: r.kl,
        klPerDim: r.klPerDim,
        total: r.total,
        // Deprecated alias (−total): kept so scripts reading it do not break.
        elbo: r.elbo,
        heldOut: r.heldOut,
        activeUnits: r.activeUnits,
        latent: r.klPerDim.length,
        framesPerSecond: Math.round(r.framesPerSecond),
        threads,
        backend: backend && {
          name: backend.name,
          tfBackend: backend.tfBackend,
          host: backend.host ?? 'node',
          gpu: backend.gpu,
          adapter: backend.adapter ?? null,
          browser: backend.browser ?? null,
        },
      })}\n`,
    );
  } else {
    process.stdout.write(
      `${summary.folder}: ${summary.epochs} epochs, ${r.activeUnits}/${r.klPerDim.length} active units\n`,
    );
  }
  return 0;
}
