// training.json: the record of a training run, beside its checkpoint in the model folder. The
// engine's job service writes it for its runs and the CLI's `train` for a run whose output is a
// project's models/<name>/, so the studio shows CLI runs too. It says what the run was asked, how
// far it is (every epoch's figures), who runs it (the process id: a 'running' record whose process
// is gone was interrupted) and when it started and ended.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { EpochSummary } from '../../common/api.js';
import { writeFileAtomic } from '../../ml/audio/files.js';

export const TRAINING_FILE = 'training.json';

export const trainingRecordSchema = z.object({
  status: z.enum(['running', 'done', 'cancelled', 'failed', 'interrupted']),
  /** The process that ran it: a 'running' record whose process is gone was interrupted. */
  pid: z.number().int(),
  settings: z.object({
    name: z.string(),
    preset: z.enum(['seed-speech', 'compact']),
    latent: z.number().int(),
    epochs: z.number().int(),
    batch: z.number().int(),
    beta: z.number(),
    sources: z.array(z.string()).optional(),
    /** The backend the run was asked to train on (ml/backend.ts names); absent: the engine's choice. */
    backend: z.enum(['tensorflow-gpu', 'webgpu', 'webgl', 'tensorflow', 'wasm', 'cpu']).optional(),
  }),
  /** The files trained on, absolute (what the worker reads). */
  inputs: z.array(z.string()),
  /**
   * The project's own source ids the run trains on, when it was started from the project (the
   * engine); null when its inputs are files given by path (the CLI). Only a run with source ids is
   * resumed unasked after a crash: its inputs are re-resolved inside the project.
   */
  sourceIds: z.array(z.string()).nullable().default(null),
  epoch: z.number().int(),
  /** Every finished epoch's figures, in order. */
  history: z.array(z.record(z.string(), z.unknown())).default([]),
  message: z.string().optional(),
  /** Who started it: 'engine' or 'cli'. */
  origin: z.enum(['engine', 'cli']).default('engine'),
  startedAt: z.string().optional(),
  endedAt: z.string().nullable().optional(),
  updatedAt: z.string(),
});
export type TrainingRecord = z.infer<typeof trainingRecordSchema>;

export function historyOf(record: TrainingRecord): EpochSummary[] {
  return record.history as unknown as EpochSummary[];
}

export async function readTrainingRecord(folder: string): Promise<TrainingRecord | null> {
  try {
    const parsed = trainingRecordSchema.safeParse(
      JSON.parse(await readFile(join(folder, TRAINING_FILE), 'utf8')),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether a process of this id runs (on this machine). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes one folder's record, each write after the one before (the final status is never
 * overtaken by an epoch's update).
 */
export class TrainingRecordWriter {
  #queue: Promise<void> = Promise.resolve();
  constructor(readonly folder: string) {}

  write(record: TrainingRecord): Promise<void> {
    const bytes = new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
    const write = this.#queue
      .catch(() => undefined)
      .then(() => writeFileAtomic(join(this.folder, TRAINING_FILE), bytes, { overwrite: true }));
    this.#queue = write;
    return write;
  }
}

/** Whether a model folder lies in a project's models/ (so the CLI writes a record there). */
export function inProject(modelFolder: string): boolean {
  return (
    existsSync(join(dirname(dirname(modelFolder)), 'project.json')) && dirname(modelFolder).endsWith('models')
  );
}
