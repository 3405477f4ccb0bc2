import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TrainEvent, TrainRequest, TrainSummary } from './train-protocol.js';
import { workerUrl } from '../worker-url.js';

export type TrainOutcome =
  | { status: 'done'; summary: TrainSummary }
  | { status: 'cancelled'; epoch: number }
  | {
      status: 'failed';
      kind: 'input' | 'diverged' | 'checkpoint' | 'internal';
      message: string;
      file?: string;
    };

export interface TrainJob {
  /** Stops the run at the next batch; the last epoch's checkpoint stays for --resume. */
  cancel(): void;
  readonly outcome: Promise<TrainOutcome>;
}

/**
 * Starts training in a worker thread. `onEvent` sees every TrainEvent; the outcome settles when the
 * worker has finished and exited (the job owns the worker and always ends it).
 */
export function startTraining(
  request: Omit<TrainRequest, 'cancel'>,
  onEvent: (event: TrainEvent) => void = () => {},
): TrainJob {
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  // Without a frame cache of its own the run gets a temporary one, removed when the worker has exited.
  const temporary = request.cache ? null : mkdtempSync(join(tmpdir(), 'vae-studio-frames-'));
  const worker = new Worker(workerUrl('./train-worker.js', import.meta.url), {
    workerData: { ...request, cache: request.cache ?? temporary, cancel },
  });
  const outcome = new Promise<TrainOutcome>((resolve) => {
    let result: TrainOutcome | null = null;
    worker.on('message', (event: TrainEvent) => {
      onEvent(event);
      if (event.type === 'done') result = { status: 'done', summary: event.summary };
      else if (event.type === 'cancelled') result = { status: 'cancelled', epoch: event.epoch };
      else if (event.type === 'error')
        result = { status: 'failed', kind: event.kind, message: event.message, file: event.file };
      if (result) void worker.terminate();
    });
    worker.on('error', (err) => {
      result ??= { status: 'failed', kind: 'internal', message: err.stack ?? err.message };
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      if (temporary) rmSync(temporary, { recursive: true, force: true });
      resolve(
        result ?? {
          status: 'failed',
          kind: 'internal',
          message: `the training worker exited (code ${code})`,
        },
      );
    });
  });
  return {
    cancel: () => Atomics.store(flag, 0, 1),
    outcome,
  };
}
