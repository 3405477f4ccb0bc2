// A small pool of worker threads for the engine's heavy work (decoding, resampling, analysis,
// maps, renders, sampling, resynthesis, export), so the engine's main thread only answers
// messages, keeps the ownership records and writes small files. Each worker runs one task at a
// time; tasks wait in order for a free worker. The pool's size follows the engine's thread budget
// (threads.ts), which training workers draw from too. A worker that dies fails its task with a
// clear error and is replaced by the next task.
import { Worker } from 'node:worker_threads';

/** What a task's worker said went wrong: its name (AudioFileError, ProjectError, ...) and message. */
export class WorkerTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Messages between the pool and its workers (compute-worker.ts). */
export type ToWorker =
  | { type: 'task'; id: number; op: string; args: unknown[] }
  | { type: 'cancel'; id: number }
  | { type: 'control'; op: string; args: unknown[] };
export type FromWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: { name: string; message: string } }
  | { type: 'progress'; id: number; done: number; total: number };

export interface TaskOptions {
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  /** Buffers moved to the worker rather than copied (the caller gives them up). */
  transfer?: ArrayBuffer[];
}

interface Task {
  id: number;
  op: string;
  args: unknown[];
  options: TaskOptions;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

export class WorkerPool {
  readonly #url: URL;
  readonly #workerData: unknown;
  readonly #size: () => number;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  #next = 1;
  #disposed = false;

  /** `size` is read whenever a task could start: the budget can shrink while training runs. */
  constructor(url: URL, size: () => number, workerData?: unknown) {
    this.#url = url;
    this.#size = size;
    this.#workerData = workerData;
  }

  /** Runs `op` in a worker; rejects with the worker's error, an AbortError on cancel. */
  run<T>(op: string, args: unknown[], options: TaskOptions = {}): Promise<T> {
    if (this.#disposed) return Promise.reject(new Error('the engine has shut down'));
    options.signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const task: Task = {
        id: this.#next++,
        op,
        args,
        options,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      const onAbort = () => {
        const queued = this.#queue.indexOf(task);
        if (queued >= 0) {
          this.#queue.splice(queued, 1);
          reject(abortReason(options.signal!));
          return;
        }
        for (const slot of this.#slots) {
          if (slot.task === task) slot.worker.postMessage({ type: 'cancel', id: task.id } satisfies ToWorker);
        }
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle =
        <A extends unknown[]>(fn: (...a: A) => void) =>
        (...a: A) => {
          options.signal?.removeEventListener('abort', onAbort);
          fn(...a);
        };
      task.resolve = settle(task.resolve);
      task.reject = settle(task.reject);
      this.#queue.push(task);
      this.#pump();
    });
  }

  /** Sends a control message (forget a model, rename one) to every live worker. */
  broadcast(op: string, args: unknown[]): void {
    for (const slot of this.#slots) slot.worker.postMessage({ type: 'control', op, args } satisfies ToWorker);
  }

  /** Tasks running now. */
  get busy(): number {
    return [...this.#slots].filter((s) => s.task).length;
  }

  /** Fails what is queued, ends every worker. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const task of this.#queue.splice(0)) task.reject(new Error('the engine has shut down'));
    const workers = [...this.#slots].map((s) => s.worker);
    this.#slots.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#disposed) {
      let slot = [...this.#slots].find((s) => !s.task);
      if (!slot) {
        if (this.#slots.size >= Math.max(1, this.#size())) return;
        slot = this.#spawn();
      }
      const task = this.#queue.shift()!;
      slot.task = task;
      // A worker at work keeps the process alive; an idle one does not.
      slot.worker.ref();
      slot.worker.postMessage(
        { type: 'task', id: task.id, op: task.op, args: task.args } satisfies ToWorker,
        task.options.transfer ?? [],
      );
    }
  }

  #spawn(): Slot {
    const worker = new Worker(this.#url, { workerData: this.#workerData });
    const slot: Slot = { worker, task: null };
    this.#slots.add(slot);
    worker.on('message', (message: FromWorker) => {
      const task = slot.task;
      if (!task || message.id !== task.id) return;
      if (message.type === 'progress') {
        task.options.onProgress?.(message.done, message.total);
        return;
      }
      slot.task = null;
      slot.worker.unref();
      if (message.type === 'result') task.resolve(message.value);
      else if (message.error.name === 'AbortError' && task.options.signal?.aborted)
        task.reject(abortReason(task.options.signal));
      else task.reject(new WorkerTaskError(message.error.name, message.error.message));
      this.#pump();
    });
    const lost = (why: string) => {
      if (!this.#slots.delete(slot)) return;
      slot.task?.reject(new Error(`the engine's worker thread stopped (${why}); try again`));
      slot.task = null;
      void worker.terminate();
      this.#pump();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    // A worker waiting for work must not keep the process alive.
    worker.unref();
    return slot;
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('cancelled');
  error.name = 'AbortError';
  return error;
}
