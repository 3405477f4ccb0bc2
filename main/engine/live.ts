// The live input service: live input streams, owned by the connection that started them, as
// auditions are (audition.ts). The streams run in the live worker (live-worker.ts); this side keeps
// who owns which stream, forwards each connection's input to its own streams only, routes each
// stream's output to its owner alone, ends a connection's streams when it closes, caps them per
// connection, and tells an owner why a stream ended by itself.
import { Worker } from 'node:worker_threads';
import {
  MAX_LIVE_INPUTS,
  type CallContext,
  type Connection,
  type LiveInputApi,
  type LiveInputSettings,
  type LiveInputStream,
  type StudioEvent,
} from '../../common/api.js';
import type { BackendName } from '../../ml/backend.js';
import { workerUrl } from '../../ml/worker-url.js';
import type { FromLiveWorker, ToLiveWorker } from './live-worker.js';
import { type Project, ProjectError } from './project.js';

interface Record {
  owner: Connection | null;
  folder: string;
  unwatch: () => void;
}

export interface LiveServiceOptions {
  backend?: BackendName;
  /** A stream with no input for this long ends (default LIVE_IDLE_MS); tests shorten it. */
  idleMs?: number;
}

export class LiveInputService implements LiveInputApi {
  readonly #project: () => Project;
  readonly #emit: (event: StudioEvent) => void;
  readonly #options: LiveServiceOptions;
  readonly #streams = new Map<number, Record>();
  readonly #starting = new Map<number, { resolve(s: LiveInputStream): void; reject(e: Error): void }>();
  readonly #setting = new Map<number, { resolve(): void; reject(e: Error): void }>();
  #worker: Worker | null = null;
  #next = 1;
  #request = 1;
  #disposed = false;

  constructor(project: () => Project, emit: (event: StudioEvent) => void, options: LiveServiceOptions = {}) {
    this.#project = project;
    this.#emit = emit;
    this.#options = options;
  }

  async startLiveInput(
    model: string,
    inputRate: number,
    settings: LiveInputSettings = {},
    context?: CallContext,
  ): Promise<LiveInputStream> {
    const owner = context?.connection ?? null;
    const folder = await this.#project().modelPath(model);
    const mine = [...this.#streams.values()].filter((r) => r.owner === owner).length;
    if (mine >= MAX_LIVE_INPUTS)
      throw new ProjectError(`at most ${MAX_LIVE_INPUTS} live inputs at once; stop one first`);
    if (this.#disposed) throw new ProjectError('the engine has shut down');
    const stream = this.#next++;
    const unwatch = owner?.onClose(() => this.#stop(stream)) ?? (() => {});
    this.#streams.set(stream, { owner, folder, unwatch });
    const started = new Promise<LiveInputStream>((resolve, reject) =>
      this.#starting.set(stream, { resolve, reject }),
    );
    this.#post({ type: 'start', stream, folder, inputRate, settings });
    try {
      return await started;
    } catch (err) {
      this.#forget(stream);
      if ((err as Error).name === 'NoModelError')
        throw new ProjectError(`no model ${JSON.stringify(model)} in the project`);
      if (err instanceof RangeError) throw new ProjectError(err.message);
      throw err;
    }
  }

  async liveInput(
    stream: number,
    samples: Float32Array,
    sentAt: number,
    context?: CallContext,
  ): Promise<void> {
    if (!this.#owned(stream, context)) return;
    // A copy the worker owns: the received array may be a view into a larger message.
    const copy = samples.slice();
    this.#worker?.postMessage({ type: 'input', stream, samples: copy, sentAt } satisfies ToLiveWorker, [
      copy.buffer,
    ]);
  }

  async setLiveInput(stream: number, settings: LiveInputSettings, context?: CallContext): Promise<void> {
    if (!this.#owned(stream, context)) return;
    const request = this.#request++;
    const done = new Promise<void>((resolve, reject) => this.#setting.set(request, { resolve, reject }));
    this.#post({ type: 'set', stream, settings, request });
    await done;
  }

  async stopLiveInput(stream: number, context?: CallContext): Promise<void> {
    if (this.#owned(stream, context)) this.#stop(stream);
  }

  /** Ends every stream of the model in `folder`, telling each owner `reason` (the model is being deleted). */
  endModel(folder: string, reason: string): void {
    if ([...this.#streams.values()].some((r) => r.folder === folder))
      this.#post({ type: 'endModel', folder, reason });
    else this.#worker?.postMessage({ type: 'forget', folder } satisfies ToLiveWorker);
  }

  rekey(from: string, to: string): void {
    for (const record of this.#streams.values()) if (record.folder === from) record.folder = to;
    this.#worker?.postMessage({ type: 'rekey', from, to } satisfies ToLiveWorker);
  }

  get count(): number {
    return this.#streams.size;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const stream of [...this.#streams.keys()]) this.#forget(stream);
    const gone = new ProjectError('the engine has shut down');
    for (const [, pending] of this.#starting) pending.reject(gone);
    for (const [, pending] of this.#setting) pending.reject(gone);
    this.#starting.clear();
    this.#setting.clear();
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  /** Whether the caller owns the stream; another connection's is refused, an unknown one ignored. */
  #owned(stream: number, context?: CallContext): boolean {
    const record = this.#streams.get(stream);
    if (!record) return false;
    if (record.owner !== (context?.connection ?? null))
      throw new ProjectError(`live input ${stream} belongs to another window`);
    return true;
  }

  #stop(stream: number): void {
    if (!this.#streams.has(stream)) return;
    this.#forget(stream);
    this.#worker?.postMessage({ type: 'stop', stream } satisfies ToLiveWorker);
  }

  #forget(stream: number): void {
    this.#streams.get(stream)?.unwatch();
    this.#streams.delete(stream);
  }

  #send(record: Record | undefined, event: StudioEvent): void {
    if (!record) return;
    if (record.owner) record.owner.send(event);
    else this.#emit(event);
  }

  #post(message: ToLiveWorker): void {
    this.#ensureWorker().postMessage(message);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerUrl('./live-worker.js', import.meta.url), {
      workerData: { backend: this.#options.backend, idleMs: this.#options.idleMs },
    });
    worker.unref();
    worker.on('message', (message: FromLiveWorker) => this.#onMessage(message));
    const lost = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      const error = new Error(`the live worker stopped (${why})`);
      for (const [, pending] of this.#starting) pending.reject(error);
      for (const [, pending] of this.#setting) pending.reject(error);
      this.#starting.clear();
      this.#setting.clear();
      for (const [stream, record] of [...this.#streams]) {
        this.#forget(stream);
        this.#send(record, { type: 'liveInput', stream, state: 'ended', reason: error.message });
      }
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #onMessage(message: FromLiveWorker): void {
    switch (message.type) {
      case 'started': {
        const pending = this.#starting.get(message.stream);
        this.#starting.delete(message.stream);
        const { stream, sampleRate, hop, latencyMs } = message;
        if (!this.#streams.has(stream)) {
          // Its owner went while it started.
          this.#worker?.postMessage({ type: 'stop', stream } satisfies ToLiveWorker);
          pending?.reject(new ProjectError('the live input was stopped'));
        } else pending?.resolve({ stream, sampleRate, hop, latencyMs });
        break;
      }
      case 'failed': {
        const pending = this.#starting.get(message.stream);
        this.#starting.delete(message.stream);
        const error =
          message.error.name === 'RangeError'
            ? new RangeError(message.error.message)
            : new Error(message.error.message);
        error.name = message.error.name;
        pending?.reject(error);
        break;
      }
      case 'set': {
        const pending = this.#setting.get(message.request);
        this.#setting.delete(message.request);
        if (message.error === null) pending?.resolve();
        else pending?.reject(new ProjectError(message.error));
        break;
      }
      case 'audio': {
        const { stream, samples, echo, echoAt } = message;
        this.#send(this.#streams.get(stream), {
          type: 'liveAudio',
          stream,
          samples,
          ...(echo !== undefined ? { echo, echoAt } : {}),
        });
        break;
      }
      case 'ended': {
        const record = this.#streams.get(message.stream);
        this.#forget(message.stream);
        this.#send(record, {
          type: 'liveInput',
          stream: message.stream,
          state: 'ended',
          reason: message.reason,
        });
        break;
      }
    }
  }
}
