// The engine's control state (docs/design.md, "Control: OSC and MIDI"): what each window is
// playing — the model it explores, its point on the map and full latent vector, audition and live
// input on or off, the live mix — and which window was most recently active. Windows report their
// own changes (reportControl); control surfaces (the OSC server, osc.ts) change the state of the
// most recently active window through command(); every change is a 'control' event to every
// connection, so the window it belongs to follows it (it moves its point, starts or stops its
// audition) and anyone can watch. The engine keeps the state only: the window owns its audition
// stream and its sound.
import { readFile, rename } from 'node:fs/promises';
import { midiMapSchema } from '../../common/protocol.js';
import { writeFileAtomic } from '../../ml/audio/files.js';
import type {
  CallContext,
  ControlApi,
  ControlCommand,
  ControlPatch,
  ControlReport,
  ControlState,
  ControlView,
  LatentMap,
  MidiMap,
  Snapshot,
  StudioEvent,
} from '../../common/api.js';

/** What the control service needs from the rest of the engine. */
export interface ControlDeps {
  emit(event: StudioEvent): void;
  /** The latent map of a model of the open project (its mean, axes and spreads are used). */
  map(model: string): Promise<LatentMap>;
  snapshots(model: string): Promise<Snapshot[]>;
  /** The open project's folder, or null (the cache of map frames is per project). */
  projectPath(): string | null;
  /** The open project's midi.json, resolved inside its folder (rejects when no project is open). */
  midiFile(): Promise<string>;
}

/** What a command needs of a model's map: the plane's axes and the spreads that scale controls. */
interface MapFrame {
  mean: Float64Array;
  axes: [Float64Array, Float64Array];
  std: [number, number];
  dimMin: Float64Array;
  dimMax: Float64Array;
}

/** Why a command could not be applied (the OSC server replies with the message). */
export class ControlError extends Error {
  override readonly name = 'ControlError';
}

interface WindowRecord {
  state: ControlState;
  /** Order of last activity: the highest is the most recently active window. */
  active: number;
  unsubscribe: () => void;
}

export function emptyControlState(): ControlState {
  return { model: null, point: null, z: null, audition: false, live: false, mix: 1, snapshot: null };
}

/**
 * Map coordinates in control units: 0..1 spans −2 to +2 standard deviations of the training data
 * along each axis (the map grid's span), 0.5 is the data's mean.
 */
export function toControlUnits(point: [number, number], std: [number, number]): [number, number] {
  return [0.5 + point[0] / (4 * (std[0] || 1)), 0.5 + point[1] / (4 * (std[1] || 1))];
}

export function fromControlUnits(xy: [number, number], std: [number, number]): [number, number] {
  return [(xy[0] - 0.5) * 4 * (std[0] || 1), (xy[1] - 0.5) * 4 * (std[1] || 1)];
}

function projectOn(frame: MapFrame, z: ArrayLike<number>): [number, number] {
  let p1 = 0;
  let p2 = 0;
  for (let j = 0; j < frame.mean.length; j++) {
    const d = z[j] - frame.mean[j];
    p1 += d * frame.axes[0][j];
    p2 += d * frame.axes[1][j];
  }
  return [p1, p2];
}

function unprojectOn(frame: MapFrame, p: [number, number]): number[] {
  return Array.from(frame.mean, (m, j) => m + p[0] * frame.axes[0][j] + p[1] * frame.axes[1][j]);
}

export class ControlService implements ControlApi {
  readonly #deps: ControlDeps;
  readonly #windows = new Map<number, WindowRecord>();
  #clock = 0;
  /** Map frames by project folder and model. */
  readonly #frames = new Map<string, Promise<MapFrame>>();
  #osc: (() => ControlView['osc']) | null = null;

  constructor(deps: ControlDeps) {
    this.#deps = deps;
  }

  /** The most recently active window's id, or null when no window has reported. */
  get activeWindow(): number | null {
    let best: number | null = null;
    let at = -1;
    for (const [id, record] of this.#windows)
      if (record.active > at) {
        at = record.active;
        best = id;
      }
    return best;
  }

  async reportControl(patch: ControlPatch, context?: CallContext): Promise<ControlReport> {
    const connection = context?.connection;
    if (!connection) throw new ControlError('reportControl needs a connection (a window)');
    let record = this.#windows.get(connection.id);
    if (!record) {
      const id = connection.id;
      record = {
        state: emptyControlState(),
        active: 0,
        unsubscribe: connection.onClose(() => this.#closed(id)),
      };
      this.#windows.set(id, record);
    }
    const { active, ...change } = patch;
    const prev = record.state;
    const next: ControlState = { ...prev, ...change };
    if (
      change.model !== undefined &&
      change.model !== prev.model &&
      change.point === undefined &&
      change.z === undefined
    ) {
      // Another model: the old one's point means nothing in it.
      next.point = next.z = next.snapshot = null;
    }
    record.state = next;
    if (active !== false) record.active = ++this.#clock;
    this.#announce(connection.id, 'window');
    return { window: connection.id, state: record.state };
  }

  async getControl(): Promise<ControlView> {
    const window = this.activeWindow;
    return {
      window,
      state: window === null ? null : this.#windows.get(window)!.state,
      windows: this.#windows.size,
      osc: this.#osc?.() ?? null,
    };
  }

  /** What the OSC server says about itself (shown by getControl). */
  setOscStatus(status: (() => ControlView['osc']) | null): void {
    this.#osc = status;
  }

  /**
   * Applies a control surface's command to the most recently active window's state and announces
   * it; resolves to that state and where its point lies in control units (null without a point).
   * Rejects with a ControlError when there is no window, or the window explores no model, or the
   * snapshot does not exist; the state is then unchanged.
   */
  async command(
    command: ControlCommand,
    from: 'osc' = 'osc',
  ): Promise<{ window: number; state: ControlState; xy: [number, number] | null }> {
    const window = this.activeWindow;
    if (window === null) throw new ControlError('no window is open to control');
    const record = this.#windows.get(window)!;
    const before = record.state;
    const next: ControlState = { ...before };
    let frame: MapFrame | null = null;
    const needModel = async (): Promise<[string, MapFrame]> => {
      if (!before.model) throw new ControlError('the window is not exploring a model');
      frame = await this.#frame(before.model);
      return [before.model, frame];
    };
    switch (command.kind) {
      case 'point': {
        const [, f] = await needModel();
        next.point = fromControlUnits([command.x, command.y], f.std);
        next.z = unprojectOn(f, next.point);
        next.snapshot = null;
        break;
      }
      case 'latent': {
        const [, f] = await needModel();
        if (command.dim >= f.mean.length)
          throw new ControlError(
            `the model has ${f.mean.length} latent dimensions (0 to ${f.mean.length - 1})`,
          );
        const z = before.z && before.z.length === f.mean.length ? [...before.z] : Array.from(f.mean);
        z[command.dim] =
          f.dimMin[command.dim] + command.value * (f.dimMax[command.dim] - f.dimMin[command.dim]);
        next.z = z;
        next.point = projectOn(f, z);
        next.snapshot = null;
        break;
      }
      case 'snapshot': {
        const [model, f] = await needModel();
        const snapshots = await this.#deps.snapshots(model);
        const index =
          typeof command.which === 'number'
            ? command.which - 1
            : snapshots.findIndex((s) => s.name === command.which);
        const snapshot = snapshots[index];
        if (!snapshot || snapshot.z.length !== f.mean.length)
          throw new ControlError(
            typeof command.which === 'number'
              ? `there is no snapshot ${command.which} (the model has ${snapshots.length})`
              : `there is no snapshot named ${JSON.stringify(command.which)}`,
          );
        next.z = [...snapshot.z];
        next.point = projectOn(f, snapshot.z);
        next.snapshot = index + 1;
        break;
      }
      case 'audition':
        next.audition = command.on;
        break;
      case 'live':
        next.live = command.on;
        break;
      case 'mix':
        next.mix = command.value;
        break;
      case 'get':
        break;
    }
    // The window may have closed while the map was fetched: then nothing changes.
    if (this.#windows.get(window) !== record) throw new ControlError('no window is open to control');
    if (command.kind !== 'get') {
      record.state = next;
      this.#announce(window, from);
    }
    let xy: [number, number] | null = null;
    if (next.point) {
      if (!frame && next.model) frame = await this.#frame(next.model).catch(() => null);
      const f = frame as MapFrame | null;
      if (f) xy = toControlUnits(next.point, f.std);
    }
    return { window, state: next, xy };
  }

  async getMidiMap(): Promise<MidiMap & { problem: string | null }> {
    const file = await this.#deps.midiFile();
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { mappings: [], problem: null };
      return { mappings: [], problem: `${file}: ${(err as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { mappings: [], problem: `${file}: not valid JSON` };
    }
    const parsed = midiMapSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        mappings: [],
        problem: `${file}: not MIDI mappings (${issue.path.join('.') || 'root'}: ${issue.message})`,
      };
    }
    return { mappings: parsed.data.mappings as MidiMap['mappings'], problem: null };
  }

  async setMidiMap(map: MidiMap): Promise<void> {
    const file = await this.#deps.midiFile();
    // Never overwrite what cannot be read without keeping it: it may be someone's hand-edited file.
    if ((await this.getMidiMap()).problem !== null)
      await rename(file, `${file}.unreadable`).catch(() => undefined);
    await writeFileAtomic(
      file,
      new TextEncoder().encode(`${JSON.stringify({ mappings: map.mappings }, null, 2)}\n`),
      {
        overwrite: true,
      },
    );
  }

  /** Forgets cached map frames (a model renamed or deleted). */
  forget(): void {
    this.#frames.clear();
  }

  dispose(): void {
    for (const record of this.#windows.values()) record.unsubscribe();
    this.#windows.clear();
    this.#frames.clear();
  }

  #frame(model: string): Promise<MapFrame> {
    const key = `${this.#deps.projectPath() ?? ''}\0${model}`;
    let frame = this.#frames.get(key);
    if (!frame) {
      frame = this.#deps.map(model).then((map) => ({
        mean: Float64Array.from(map.mean),
        axes: [Float64Array.from(map.axes[0]), Float64Array.from(map.axes[1])] as [
          Float64Array,
          Float64Array,
        ],
        std: [map.std[0], map.std[1]] as [number, number],
        dimMin: Float64Array.from(map.dimMin),
        dimMax: Float64Array.from(map.dimMax),
      }));
      frame.catch(() => this.#frames.delete(key));
      this.#frames.set(key, frame);
    }
    return frame;
  }

  #closed(id: number): void {
    const record = this.#windows.get(id);
    if (!record) return;
    const wasActive = this.activeWindow;
    record.unsubscribe();
    this.#windows.delete(id);
    // The window that now leads (if the closed one led) is announced, so followers know.
    if (wasActive === id) {
      const now = this.activeWindow;
      this.#deps.emit({
        type: 'control',
        window: now,
        active: now,
        state: now === null ? null : this.#windows.get(now)!.state,
        from: 'window',
      });
    }
  }

  #announce(window: number, from: 'window' | 'osc'): void {
    this.#deps.emit({
      type: 'control',
      window,
      active: this.activeWindow,
      state: this.#windows.get(window)!.state,
      from,
    });
  }
}
