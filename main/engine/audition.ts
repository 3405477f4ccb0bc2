// The audition service: live audition streams, owned by the connection that started them. The
// streams themselves run in the audition worker (audition-worker.ts); this side keeps who owns
// which stream, routes each stream's audio to its owner alone, ends a connection's streams when it
// closes, caps them per connection, and tells an owner why a stream ended by itself.
import { Worker } from 'node:worker_threads';
import {
  MAX_AUDITIONS,
  type AuditionApi,
  type AuditionStream,
  type CallContext,
  type Connection,
  type StudioEvent,
} from '../../common/api.js';
import type { BackendName } from '../../ml/backend.js';
import type { FromAuditionWorker, ToAuditionWorker } from './audition-worker.js';
import { type Project, ProjectError } from './project.js';
import { workerUrl } from '../../ml/worker-url.js';

interface Record {
  owner: Connection | null;
  folder: string;
  unwatch: () => void;
}

export interface AuditionServiceOptions {
  backend?: BackendName;
  /** A stream with no move for this long ends (default a minute); tests shorten it. */
  idleMs?: number;
}

export class AuditionService implements AuditionApi {
  readonly #project: () => Project;
  /** Events for in-process callers (no connection): the engine's own listeners. */
  readonly #emit: (event: StudioEvent) => void;
  readonly #options: AuditionServiceOptions;
  readonly #streams = new Map<number, Record>();
  readonly #starting = new Map<number, { resolve(f: AuditionStream): void; reject(e: Error): void }>();
  #worker: Worker | null = null;
  #next = 1;
  #disposed = false;

  constructor(
    project: () => Project,
    emit: (event: StudioEvent) => void,
    options: AuditionServiceOptions = {},
  ) {
    this.#project = project;
    this.#emit = emit;
    this.#options = options;
  }

  async startAudition(
    model: string,
    p1: number,
    p2: number,
    options: { trace?: boolean } = {},
    context?: CallContext,
  ): Promise<AuditionStream> {
    const owner = context?.connection ?? null;
    const folder = await this.#project().modelPath(model);
    const mine = [...this.#streams.values()].filter((r) => r.owner === owner).length;
    if (mine >= MAX_AUDITIONS) {
      throw new ProjectError(`at most ${MAX_AUDITIONS} live auditions at once; stop one first`);
    }
    if (this.#disposed) throw new ProjectError('the engine has shut down');
    const stream = this.#next++;
    const unwatch = owner?.onClose(() => this.#stop(stream)) ?? (() => {});
    this.#streams.set(stream, { owner, folder, unwatch });
    const started = new Promise<AuditionStream>((resolve, reject) =>
      this.#starting.set(stream, { resolve, reject }),
    );
    this.#post({ type: 'start', stream, folder, p1, p2, trace: options.trace });
    try {
      return await started;
    } catch (err) {
      this.#forgetStream(stream);
      if ((err as Error).name === 'NoModelError')
        throw new ProjectError(`no model ${JSON.stringify(model)} in the project`);
      throw err;
    }
  }

  async moveAudition(
    stream: number,
    p1: number,
    p2: number,
    sentAt: number,
    context?: CallContext,
  ): Promise<void> {
    if (this.#owned(stream, context)) this.#post({ type: 'move', stream, p1, p2, sentAt });
  }

  async moveAuditionTo(
    stream: number,
    z: Float32Array,
    sentAt: number,
    context?: CallContext,
  ): Promise<void> {
    if (this.#owned(stream, context)) this.#post({ type: 'moveTo', stream, z, sentAt });
  }

  async stopAudition(stream: number, context?: CallContext): Promise<void> {
    if (this.#owned(stream, context)) this.#stop(stream);
  }

  /** Ends every stream of the model in `folder`, telling each owner `reason` (the model is being deleted). */
  endModel(folder: string, reason: string): void {
    if ([...this.#streams.values()].some((r) => r.folder === folder))
      this.#post({ type: 'endModel', folder, reason });
    else this.#worker?.postMessage({ type: 'forget', folder } satisfies ToAuditionWorker);
  }

  /** The model's folder was renamed: its streams go on. */
  rekey(from: string, to: string): void {
    for (const record of this.#streams.values()) if (record.folder === from) record.folder = to;
    this.#worker?.postMessage({ type: 'rekey', from, to } satisfies ToAuditionWorker);
  }

  /** Streams running now (all connections). */
  get count(): number {
    return this.#streams.size;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const stream of [...this.#streams.keys()]) this.#forgetStream(stream);
    for (const [, pending] of this.#starting) pending.reject(new ProjectError('the engine has shut down'));
    this.#starting.clear();
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  /** Whether the caller owns the stream; a stream of another connection is refused, an unknown one ignored. */
  #owned(stream: number, context?: CallContext): boolean {
    const record = this.#streams.get(stream);
    if (!record) return false;
    if (record.owner !== (context?.connection ?? null)) {
      throw new ProjectError(`audition ${stream} belongs to another window`);
    }
    return true;
  }

  #stop(stream: number): void {
    if (!this.#streams.has(stream)) return;
    this.#forgetStream(stream);
    this.#worker?.postMessage({ type: 'stop', stream } satisfies ToAuditionWorker);
  }

  #forgetStream(stream: number): void {
    this.#streams.get(stream)?.unwatch();
    this.#streams.delete(stream);
  }

  #send(record: Record | undefined, event: StudioEvent): void {
    if (!record) return;
    if (record.owner) record.owner.send(event);
    else this.#emit(event);
  }

  #post(message: ToAuditionWorker): void {
    this.#ensureWorker().postMessage(message);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerUrl('./audition-worker.js', import.meta.url), {
      workerData: { backend: this.#options.backend, idleMs: this.#options.idleMs },
    });
    worker.unref();
    worker.on('message', (message: FromAuditionWorker) => this.#onMessage(message));
    const lost = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      for (const [stream, pending] of this.#starting) {
        pending.reject(new Error(`the audition worker stopped (${why})`));
        this.#starting.delete(stream);
      }
      for (const [stream, record] of [...this.#streams]) {
        this.#forgetStream(stream);
        this.#send(record, {
          type: 'audition',
          stream,
          state: 'ended',
          reason: `the audition worker stopped (${why})`,
        });
      }
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #onMessage(message: FromAuditionWorker): void {
    switch (message.type) {
      case 'started': {
        const pending = this.#starting.get(message.stream);
        this.#starting.delete(message.stream);
        const { stream, sampleRate, hop } = message;
        if (!this.#streams.has(stream)) {
          // Its owner went while it started.
          this.#worker?.postMessage({ type: 'stop', stream } satisfies ToAuditionWorker);
          pending?.reject(new ProjectError('the audition was stopped'));
        } else pending?.resolve({ stream, sampleRate, hop });
        break;
      }
      case 'failed': {
        const pending = this.#starting.get(message.stream);
        this.#starting.delete(message.stream);
        const error = new Error(message.error.message);
        error.name = message.error.name;
        pending?.reject(error);
        break;
      }
      case 'audio':
        // Already the event its owner gets.
        this.#send(this.#streams.get(message.stream), message);
        break;
      case 'ended': {
        const record = this.#streams.get(message.stream);
        this.#forgetStream(message.stream);
        this.#send(record, {
          type: 'audition',
          stream: message.stream,
          state: 'ended',
          reason: message.reason,
        });
        break;
      }
    }
  }
}
