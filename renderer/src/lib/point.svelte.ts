import type { LatentMap, Snapshot, StudioClient } from './types.js';

interface State {
  z: Float32Array;
  snapshots: Snapshot[];
}

/** The point and its history as stored: plain arrays. */
export interface StoredPoint {
  z: number[] | null;
  past?: { z: number[]; snapshots: Snapshot[] }[];
  future?: { z: number[]; snapshots: Snapshot[] }[];
}

/** Map coordinates of a latent vector: its projection on the map's two axes around the mean. */
export function project(map: LatentMap, z: ArrayLike<number>): [number, number] {
  let p1 = 0;
  let p2 = 0;
  for (let j = 0; j < map.mean.length; j++) {
    p1 += (z[j] - map.mean[j]) * map.axes[0][j];
    p2 += (z[j] - map.mean[j]) * map.axes[1][j];
  }
  return [p1, p2];
}

/** The latent vector of a map point: mean + p1·v1 + p2·v2 (every other component at the mean). */
export function unproject(map: LatentMap, p1: number, p2: number): Float32Array {
  return map.mean.map((m, j) => m + p1 * map.axes[0][j] + p2 * map.axes[1][j]);
}

/**
 * The point being explored (a full latent vector) and the model's snapshots, with undo and redo
 * for every edit of either. Snapshots are saved to the model's folder after each edit.
 */
export class PointEditor {
  z = $state.raw<Float32Array>(new Float32Array(0));
  snapshots = $state.raw<Snapshot[]>([]);
  #past = $state.raw<State[]>([]);
  #future = $state.raw<State[]>([]);
  #model: string | null = null;
  #client: StudioClient | null = null;

  readonly canUndo = $derived(this.#past.length > 0);
  readonly canRedo = $derived(this.#future.length > 0);

  /**
   * Edits a model's point: at the map's centre, or where `restore` says (a reload brings back the
   * point and its undo history; a vector of another length is not this model's and is dropped).
   */
  async open(client: StudioClient, map: LatentMap, restore?: StoredPoint): Promise<void> {
    this.#client = client;
    this.#model = map.model;
    const n = map.mean.length;
    const fits = (z: ArrayLike<number> | null | undefined): z is ArrayLike<number> =>
      !!z && z.length === n && Array.from(z).every(Number.isFinite);
    const states = (list: StoredPoint['past'] | undefined): State[] =>
      (list ?? [])
        .filter((s) => fits(s.z))
        .map((s) => ({ z: Float32Array.from(s.z), snapshots: s.snapshots.filter((x) => fits(x.z)) }));
    this.z = fits(restore?.z) ? Float32Array.from(restore.z) : Float32Array.from(map.mean);
    this.#past = states(restore?.past);
    this.#future = states(restore?.future);
    this.snapshots = await client.getSnapshots(map.model);
  }

  /** The point and its undo history as plain data (the app's settings keep them across reloads). */
  stored(): Required<StoredPoint> {
    const plain = (s: State) => ({ z: Array.from(s.z), snapshots: s.snapshots });
    return { z: Array.from(this.z), past: this.#past.map(plain), future: this.#future.map(plain) };
  }

  /** Shows a value while a slider moves, without an undo step. */
  preview(z: Float32Array): void {
    this.z = z;
  }

  /** An edit of the point (a map click, a key, a slider let go, a snapshot recalled). */
  set(z: Float32Array, from: Float32Array = this.z): void {
    this.#record({ z: from, snapshots: this.snapshots });
    this.z = z;
  }

  save(name: string): void {
    this.#record({ z: this.z, snapshots: this.snapshots });
    this.snapshots = [...this.snapshots, { name, z: Array.from(this.z, (v) => Number(v.toFixed(5))) }];
    this.#persist();
  }

  remove(index: number): void {
    this.#record({ z: this.z, snapshots: this.snapshots });
    this.snapshots = this.snapshots.filter((_, i) => i !== index);
    this.#persist();
  }

  recall(index: number): void {
    const s = this.snapshots[index];
    if (s) this.set(Float32Array.from(s.z));
  }

  undo(): void {
    const last = this.#past.at(-1);
    if (!last) return;
    this.#past = this.#past.slice(0, -1);
    this.#future = [...this.#future, { z: this.z, snapshots: this.snapshots }];
    this.#restore(last);
  }

  redo(): void {
    const next = this.#future.at(-1);
    if (!next) return;
    this.#future = this.#future.slice(0, -1);
    this.#past = [...this.#past, { z: this.z, snapshots: this.snapshots }];
    this.#restore(next);
  }

  #record(state: State): void {
    this.#past = [...this.#past.slice(-199), state];
    this.#future = [];
  }

  #restore(state: State): void {
    const snapshotsChanged = state.snapshots !== this.snapshots;
    this.z = state.z;
    this.snapshots = state.snapshots;
    if (snapshotsChanged) this.#persist();
  }

  #persist(): void {
    if (this.#client && this.#model)
      void this.#client.setSnapshots(this.#model, this.snapshots).catch(() => undefined);
  }
}
