import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MessagePort, Worker } from 'node:worker_threads';
import type {
  ComputeAsk,
  ComputeProbeInfo,
  ComputeReply,
  TrainEvent,
  TrainRequest,
  TrainSummary,
} from './train-protocol.js';
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
 * Electron's compute windows, as the engine relays them (main/engine/compute-relay.ts): webgpu and
 * webgl then train in the app's own hidden window instead of an external browser.
 */
export interface ComputeWindowSource {
  /** A fresh window; `port` reaches its page (transferred to the worker); close() ends it. */
  open(): Promise<{ port: MessagePort; close(): void }>;
  probe(): Promise<ComputeProbeInfo>;
  readonly browser: { path: string; version: string };
}

export interface TrainingOptions {
  /** Under Electron: the compute windows the worker's browser backends run in. */
  compute?: ComputeWindowSource;
}

/**
 * Starts training in a worker thread. `onEvent` sees every TrainEvent; the outcome settles when the
 * worker has finished and exited (the job owns the worker and always ends it, and every compute
 * window it was lent).
 */
export function startTraining(
  request: Omit<TrainRequest, 'cancel'>,
  onEvent: (event: TrainEvent) => void = () => {},
  options: TrainingOptions = {},
): TrainJob {
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  // Without a frame cache of its own the run gets a temporary one, removed when the worker has exited.
  const temporary = request.cache ? null : mkdtempSync(join(tmpdir(), 'vae-studio-frames-'));
  const worker = new Worker(workerUrl('./train-worker.js', import.meta.url), {
    workerData: {
      ...request,
      cache: request.cache ?? temporary,
      cancel,
      computeWindow: options.compute !== undefined,
    },
  });
  // Compute windows lent to the worker: each closes when the worker closes its port, and at exit.
  const windows = new Set<{ close(): void }>();
  let exited = false;
  const answer = async ({ want }: ComputeAsk) => {
    const { compute } = options;
    let reply: ComputeReply;
    const transfer: MessagePort[] = [];
    try {
      if (!compute) throw new Error('there is no compute window outside the desktop app');
      if (want === 'probe') reply = { type: 'compute-reply', probe: await compute.probe() };
      else {
        const window = await compute.open();
        if (exited) return window.close();
        windows.add(window);
        reply = { type: 'compute-reply', port: window.port, browser: compute.browser };
        transfer.push(window.port);
      }
    } catch (error) {
      reply = { type: 'compute-reply', error: error instanceof Error ? error.message : String(error) };
    }
    if (!exited) worker.postMessage(reply, transfer);
  };
  const outcome = new Promise<TrainOutcome>((resolve) => {
    let result: TrainOutcome | null = null;
    worker.on('message', (event: TrainEvent | ComputeAsk) => {
      if (event.type === 'compute-ask') return void answer(event);
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
      exited = true;
      for (const window of windows) window.close();
      windows.clear();
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
