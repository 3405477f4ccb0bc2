// The window's side of control (docs/design.md, "Control: OSC and MIDI"): it tells the engine what
// this window plays (reportControl) and that it is the most recently active window (on focus, a
// click or a key), follows the engine's 'control' events about it (a control surface — OSC — moved
// its point, switched its audition, live input or mix), and applies MIDI (midi-map.ts's actions).
// It works on the studio through ControlHost, the few members it needs.
import type {
  AuditionStream,
  ControlPatch,
  ControlState,
  LatentMap,
  MidiMap,
  Snapshot,
  StudioEvent,
} from '../../../common/api.js';
import type { StudioClient } from '../../../common/client.js';
import {
  actionsFor,
  MidiLearn,
  parseMidi,
  type MidiAction,
  type MidiSource,
  type MidiTarget,
} from './midi-map.js';
import { MidiInput, type MidiDevice } from './midi-input.js';

/** What control needs of the studio. */
export interface ControlHost {
  readonly client: StudioClient | null;
  /** The open project (its MIDI mappings are loaded when it changes). */
  readonly project: { path: string } | null;
  readonly explorer: { model: string | null; map: LatentMap | null; audition: AuditionStream | null };
  readonly point: { z: Float32Array; snapshots: Snapshot[] };
  readonly player: {
    play(
      samples: Float32Array,
      sampleRate: number,
      options?: { offset?: number; gain?: number },
    ): Promise<void>;
  };
  /** The edited point's map coordinates. */
  readonly cursor: [number, number];
  /** A point edit: `live` while a control moves, then once more when it rests (one undo step). */
  changePoint(z: Float32Array, live: boolean): void;
  /** Recalls snapshot `index` (0-based): the point moves there and sounds. */
  recall(index: number): void;
  /** Live audition on or off; `latch` keeps it on when the pointer leaves the map. */
  setLiveAudition(on: boolean, p1?: number, p2?: number, latch?: boolean): Promise<void>;
  setVolume(volume: number): void;
}

/** A control at rest this long ends its gesture (one undo step per knob turn). */
const REST_MS = 300;
/** This window's state is reported at most this often while it changes. */
const REPORT_MS = 100;
/** A snapshot's one-shot sound, seconds. */
const ONE_SHOT_SECONDS = 1;

/** Map coordinates to control units: 0..1 spans ±2 standard deviations (main/engine/control.ts). */
export function toUnits(map: LatentMap, p: [number, number]): [number, number] {
  return [0.5 + p[0] / (4 * (map.std[0] || 1)), 0.5 + p[1] / (4 * (map.std[1] || 1))];
}

export function fromUnits(map: LatentMap, xy: [number, number]): [number, number] {
  return [(xy[0] - 0.5) * 4 * (map.std[0] || 1), (xy[1] - 0.5) * 4 * (map.std[1] || 1)];
}

function unproject(map: LatentMap, p: [number, number]): Float32Array {
  return map.mean.map((m, j) => m + p[0] * map.axes[0][j] + p[1] * map.axes[1][j]);
}

function same(a: ArrayLike<number> | null, b: ArrayLike<number> | null): boolean {
  if (!a || !b || a.length !== b.length) return a === b;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-6) return false;
  return true;
}

export class ControlLink {
  /** This window's id in the engine's control state (null until the first report). */
  window = $state<number | null>(null);
  /** Live input on or off and its mix, as control surfaces last set them (the live input UI follows these). */
  live = $state(false);
  mix = $state(1);
  /** The project's MIDI mappings, and why midi.json could not be read (if so). */
  midi = $state.raw<MidiMap>({ mappings: [] });
  midiProblem = $state<string | null>(null);
  /** The last MIDI action applied, in words (the panel shows it). */
  lastMidi = $state<string | null>(null);
  error = $state<string | null>(null);
  /** MIDI inputs (after enableMidi), learn mode and the gesture it heard. */
  midiOn = $state(false);
  devices = $state.raw<MidiDevice[]>([]);
  learning = $state(false);
  heard = $state.raw<MidiSource | null>(null);
  /** The engine's OSC server, where one runs. */
  osc = $state.raw<{ host: string; port: number } | null>(null);
  readonly #learn = new MidiLearn();
  readonly #input = new MidiInput((data) => this.onMidiMessage(data));
  readonly #host: ControlHost;
  /** This window's state as the engine last said it. */
  #known: ControlState | null = null;
  #client: StudioClient | null = null;
  #unsubscribe: () => void = () => {};
  #stopEffects: () => void = () => {};
  #reportTimer: ReturnType<typeof setTimeout> | null = null;
  #pending: ControlPatch = {};
  #restTimer: ReturnType<typeof setTimeout> | null = null;
  #resting: Float32Array | null = null;
  /** One-shot sounds of snapshots already rendered, by model and vector. */
  readonly #oneShots = new Map<string, { samples: Float32Array; sampleRate: number }>();
  readonly #onActivity = () => this.#report({ active: true }, true);

  constructor(host: ControlHost) {
    this.#host = host;
  }

  /** Starts following the host: its client, what it plays, the window's activity. */
  start(): void {
    this.#stopEffects = $effect.root(() => {
      $effect(() => {
        const client = this.#host.client;
        if (client !== this.#client) this.#adopt(client);
      });
      $effect(() => {
        // What this window plays, as it changes (read here so the effect tracks it).
        const model = this.#host.explorer.model;
        const map = this.#host.explorer.map;
        const z = this.#host.point.z;
        const audition = this.#host.explorer.audition !== null;
        const onMap = map !== null && z.length === map.mean.length;
        this.#report({
          model,
          z: onMap ? Array.from(z) : null,
          point: onMap ? this.#host.cursor : null,
          audition,
          active: false,
        });
      });
      $effect(() => {
        const client = this.#host.client;
        const project = this.#host.project?.path;
        if (client && project) void this.loadMidi();
      });
    });
    window.addEventListener('focus', this.#onActivity);
    window.addEventListener('pointerdown', this.#onActivity, true);
    window.addEventListener('keydown', this.#onActivity, true);
  }

  dispose(): void {
    this.#input.dispose();
    this.#stopEffects();
    this.#unsubscribe();
    window.removeEventListener('focus', this.#onActivity);
    window.removeEventListener('pointerdown', this.#onActivity, true);
    window.removeEventListener('keydown', this.#onActivity, true);
    if (this.#reportTimer !== null) clearTimeout(this.#reportTimer);
    if (this.#restTimer !== null) clearTimeout(this.#restTimer);
    this.#reportTimer = this.#restTimer = null;
  }

  #adopt(client: StudioClient | null): void {
    this.#unsubscribe();
    this.#unsubscribe = () => {};
    this.#client = client;
    this.window = null;
    if (!client) return;
    this.#unsubscribe = client.onEvent((event) => this.#onEvent(event));
    this.#report({ active: true }, true);
    void client
      .getControl()
      .then((view) => (this.osc = view.osc ? { host: view.osc.host, port: view.osc.port } : null))
      .catch(() => undefined);
  }

  /** Reports a change of this window's state; batched, unless `now`. */
  #report(patch: ControlPatch, now = false): void {
    const { active, ...rest } = patch;
    this.#pending = {
      ...this.#pending,
      ...rest,
      active: (this.#pending.active ?? false) || active !== false,
    };
    if (now) {
      if (this.#reportTimer !== null) clearTimeout(this.#reportTimer);
      this.#reportTimer = null;
      this.#flush();
    } else if (this.#reportTimer === null) {
      this.#reportTimer = setTimeout(() => {
        this.#reportTimer = null;
        this.#flush();
      }, REPORT_MS);
    }
  }

  #flush(): void {
    const client = this.#client;
    if (!client) return;
    const patch = this.#pending;
    this.#pending = {};
    client
      .reportControl(patch)
      .then((report) => {
        if (this.#client !== client) return;
        this.window = report.window;
        this.#known = report.state;
      })
      .catch(() => undefined);
  }

  /** Live input's own UI says what it does, so control surfaces and other windows see it. */
  reportLive(on: boolean, mix: number): void {
    this.live = on;
    this.mix = mix;
    // Not activity by itself (a panel mounting reports too); clicks and keys already are.
    this.#report({ live: on, mix, active: false });
  }

  #onEvent(event: StudioEvent): void {
    if (event.type !== 'control' || event.window === null || event.window !== this.window || !event.state)
      return;
    const known = this.#known;
    this.#known = event.state;
    if (event.from !== 'window') this.apply(event.state, known);
  }

  /**
   * Applies a control surface's change to this window: what differs from the state the engine had
   * before (`known`) — its point, its audition (latched), live input and mix — so a change of one
   * never undoes something this window did meanwhile.
   */
  apply(state: ControlState, known: ControlState | null = null): void {
    const host = this.#host;
    const changed = <K extends keyof ControlState>(key: K) =>
      !known || JSON.stringify(known[key]) !== JSON.stringify(state[key]);
    if (changed('live')) this.live = state.live;
    if (changed('mix')) this.mix = state.mix;
    const map = host.explorer.map;
    if (changed('z') && map && state.model === host.explorer.model && state.z?.length === map.mean.length) {
      if (!same(state.z, host.point.z)) host.changePoint(Float32Array.from(state.z), false);
    }
    if (!changed('audition')) return;
    if (state.audition && !host.explorer.audition && map) {
      const [p1, p2] = host.cursor;
      void host.setLiveAudition(true, p1, p2, true);
    } else if (!state.audition && host.explorer.audition) {
      void host.setLiveAudition(false);
    }
  }

  // ── MIDI ────────────────────────────────────────────────────────────────

  async loadMidi(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const { problem, ...map } = await client.getMidiMap();
      this.midi = map;
      this.midiProblem = problem;
    } catch (err) {
      this.midiProblem = (err as Error).message;
    }
  }

  /** Replaces the mappings and saves them with the project (midi.json). */
  async saveMidi(map: MidiMap): Promise<void> {
    this.midi = map;
    const client = this.#client;
    if (!client) return;
    try {
      await client.setMidiMap(map);
      this.midiProblem = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Listens to every MIDI input (the browser may ask the user first). */
  async enableMidi(): Promise<void> {
    try {
      this.#input.onDevices = (devices) => (this.devices = devices);
      await this.#input.enable();
      this.midiOn = true;
      this.error = null;
    } catch (err) {
      this.error = `MIDI: ${(err as Error).message}`;
    }
  }

  get midiAvailable(): boolean {
    return MidiInput.available;
  }

  /** Learn mode on (the next gesture is remembered) or off. */
  setLearning(on: boolean): void {
    if (on) this.#learn.arm();
    else this.#learn.cancel();
    this.learning = on;
    this.heard = null;
  }

  /** The target clicked while learning: the mapping is made and saved. */
  async assign(target: MidiTarget): Promise<boolean> {
    const map = this.#learn.assign(this.midi, target);
    if (!map) return false;
    this.learning = false;
    this.heard = null;
    await this.saveMidi(map);
    return true;
  }

  /** One MIDI message's bytes, from any input: learned while learning, else mapped to actions. */
  onMidiMessage(data: ArrayLike<number>): void {
    const event = parseMidi(data);
    if (!event) return;
    if (this.learning) {
      if (this.#learn.hear(event)) this.heard = this.#learn.source;
      return;
    }
    for (const action of actionsFor(this.midi, event)) this.applyMidi(action);
  }

  applyMidi(action: MidiAction): void {
    const host = this.#host;
    const map = host.explorer.map;
    this.#onActivity();
    switch (action.kind) {
      case 'mapX':
      case 'mapY': {
        if (!map) return;
        const xy = toUnits(map, host.cursor);
        xy[action.kind === 'mapX' ? 0 : 1] = action.value;
        this.#move(unproject(map, fromUnits(map, xy)));
        this.lastMidi = `map ${action.kind === 'mapX' ? 'X' : 'Y'} ${action.value.toFixed(2)}`;
        break;
      }
      case 'latent': {
        if (!map || action.dim >= map.mean.length || host.point.z.length !== map.mean.length) return;
        const z = Float32Array.from(host.point.z);
        z[action.dim] =
          map.dimMin[action.dim] + action.value * (map.dimMax[action.dim] - map.dimMin[action.dim]);
        this.#move(z);
        this.lastMidi = `z${action.dim + 1} ${z[action.dim].toFixed(2)}`;
        break;
      }
      case 'mix':
        this.reportLive(this.live, action.value);
        this.lastMidi = `live mix ${action.value.toFixed(2)}`;
        break;
      case 'volume':
        host.setVolume(action.value);
        this.lastMidi = `volume ${Math.round(action.value * 100)} %`;
        break;
      case 'recall':
        if (action.index <= host.point.snapshots.length) {
          host.recall(action.index - 1);
          this.lastMidi = `recall snapshot ${action.index}`;
        }
        break;
      case 'play':
        void this.#playSnapshot(action.index, action.velocity);
        break;
    }
  }

  /** A control moves the point: each move sounds, and the gesture is one undo step when it rests. */
  #move(z: Float32Array): void {
    this.#host.changePoint(z, true);
    this.#resting = z;
    if (this.#restTimer !== null) clearTimeout(this.#restTimer);
    this.#restTimer = setTimeout(() => {
      this.#restTimer = null;
      const last = this.#resting;
      this.#resting = null;
      if (last) this.#host.changePoint(last, false);
    }, REST_MS);
  }

  /** A snapshot's sound, once, at the note's velocity (rendered once, then kept). */
  async #playSnapshot(index: number, velocity: number): Promise<void> {
    const host = this.#host;
    const snapshot = host.point.snapshots[index - 1];
    const model = host.explorer.model;
    const client = this.#client;
    if (!snapshot || !model || !client) return;
    const key = `${model}\0${snapshot.z.join(',')}`;
    try {
      let sound = this.#oneShots.get(key);
      if (!sound) {
        sound = await client.renderLatent(model, Float32Array.from(snapshot.z), ONE_SHOT_SECONDS);
        if (this.#oneShots.size > 64) this.#oneShots.clear();
        this.#oneShots.set(key, sound);
      }
      await host.player.play(sound.samples, sound.sampleRate, { gain: velocity });
      this.lastMidi = `play snapshot ${index} (${snapshot.name})`;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }
}
