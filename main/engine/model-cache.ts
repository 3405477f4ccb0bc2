// The models a worker thread holds, by folder. Every user of a model holds a lease on it (a map
// being built, a render, an audition stream) and the model is disposed only when no lease is left:
// a folder renamed, deleted or rewritten on disk (a CLI run writing a new studio.json) retires its
// entry, and the retired model lives on until its last lease is released. This is what keeps a
// live audition decoding safely while the model it plays is renamed or deleted.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { VaeModel } from '../../ml/vae/vae-model.js';

/** A use of a model; release it exactly once when done (a second release does nothing). */
export interface ModelLease {
  readonly model: VaeModel;
  release(): void;
}

interface Entry {
  /** studio.json's modification time when loaded: a newer file means a new model. */
  stamp: number;
  model: VaeModel;
  leases: number;
  /** No longer handed out: disposed as soon as the last lease goes. */
  retired: boolean;
  /** What the owner computed from the model and keeps with it (the latent map). */
  extras: Map<string, unknown>;
}

/** Thrown when the folder has no model (no studio.json); the caller names the model. */
export class NoModelError extends Error {
  override readonly name = 'NoModelError';
}

export class ModelCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  #disposed = false;

  /** Leases the model in `folder`, loading it once (again when its studio.json changed). */
  async acquire(folder: string): Promise<ModelLease> {
    const entry = await this.#current(folder);
    entry.leases++;
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.#collect(entry);
      },
    };
  }

  /** A value kept with the current model of `folder` until the model is retired. */
  extra<T>(folder: string, key: string): T | undefined {
    return this.#entries.get(folder)?.extras.get(key) as T | undefined;
  }

  setExtra(folder: string, model: VaeModel, key: string, value: unknown): void {
    const entry = this.#entries.get(folder);
    if (entry && entry.model === model) entry.extras.set(key, value);
  }

  /** The folder was renamed: the same model, under its new folder. */
  rekey(from: string, to: string): void {
    const entry = this.#entries.get(from);
    if (!entry) return;
    this.#entries.delete(from);
    this.#retire(this.#entries.get(to));
    this.#entries.set(to, entry);
  }

  /** The folder is gone or changed: no new leases on its model; disposed when the last is released. */
  forget(folder: string): void {
    this.#retire(this.#entries.get(folder));
    this.#entries.delete(folder);
  }

  /** Models still loaded (retired ones still leased included). */
  get size(): number {
    return this.#live.size;
  }

  dispose(): void {
    this.#disposed = true;
    for (const entry of this.#live) {
      entry.model.dispose();
    }
    this.#live.clear();
    this.#entries.clear();
  }

  /** Every loaded model, current or retired, until it is disposed. */
  readonly #live = new Set<Entry>();

  async #current(folder: string): Promise<Entry> {
    if (this.#disposed) throw new Error('the model cache has been disposed');
    let stamp: number;
    try {
      stamp = (await stat(join(folder, 'studio.json'))).mtimeMs;
    } catch {
      throw new NoModelError(`${folder}: no model (no studio.json)`);
    }
    const cached = this.#entries.get(folder);
    if (cached && cached.stamp === stamp && !cached.retired) return cached;
    const pending = this.#loading.get(folder);
    if (pending) return pending;
    const load = (async () => {
      const model = await VaeModel.load(folder);
      const entry: Entry = { stamp, model, leases: 0, retired: false, extras: new Map() };
      if (this.#disposed) {
        model.dispose();
        throw new Error('the model cache has been disposed');
      }
      this.#live.add(entry);
      const previous = this.#entries.get(folder);
      if (previous !== entry) this.#retire(previous);
      this.#entries.set(folder, entry);
      return entry;
    })().finally(() => this.#loading.delete(folder));
    this.#loading.set(folder, load);
    return load;
  }

  #retire(entry: Entry | undefined): void {
    if (!entry || entry.retired) return;
    entry.retired = true;
    entry.extras.clear();
    this.#collect(entry);
  }

  #collect(entry: Entry): void {
    if (entry.retired && entry.leases === 0 && this.#live.has(entry)) {
      this.#live.delete(entry);
      entry.model.dispose();
    }
  }
}
