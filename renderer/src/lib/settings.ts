/**
 * The app's own settings: what a window shows, kept in the browser's storage of the page's origin
 * (localStorage of `vae-studio serve`'s page, or of the desktop app's app:// origin), never in the
 * project folder, so a project shared with others carries no one's view state. One entry for the
 * app (the last project, the volume, the output) and one per project, keyed by its path on the
 * engine's machine (the model explored, the point and its undo history, the stage and inspector,
 * the sound shown, the random batch, the exports made).
 */

/** The stage's views: the map, the training view, a sound's waveform and spectrogram. */
export type StageView = 'map' | 'training' | 'sound';
/** What the inspector shows. */
export type InspectorView = 'point' | 'sound' | 'model';

export interface AppSettings {
  /** The project open last (its folder on the engine's machine). */
  project: string | null;
  /** Master volume, 0..1. */
  volume: number;
  /** The output device's id ('' is the system default). */
  output: string;
}

/** An edit of the point as the undo history keeps it. */
export interface PointState {
  z: number[];
  snapshots: { name: string; z: number[] }[];
}

export interface ProjectSettings {
  /** The model explored (its id under models/). */
  model: string | null;
  /** The edited point, a full latent vector of that model. */
  z: number[] | null;
  /** The point's undo and redo stacks (most recent last), for that model. */
  past: PointState[];
  future: PointState[];
  stage: StageView;
  inspector: InspectorView;
  /** The sound shown in the stage's sound view and the sound inspector. */
  sound: string | null;
  /** The model shown in the model inspector. */
  inspected: string | null;
  /** The last random batch's settings (the same seed makes the same sounds again). */
  batch: { count: number; seconds: number; temperature: number; seed: number } | null;
  /** Exports made from this window, newest first. */
  exports: { name: string | null; folder: string; files: number; at: string }[];
  /** The map's view and colouring, where the map reports them. */
  map: { view?: { cx: number; cy: number; scale: number }; colourBy?: string } | null;
}

const APP_KEY = 'vae-studio:app';
const PROJECT_PREFIX = 'vae-studio:project:';
/** Undo steps kept across reloads (each a full latent vector and the snapshots). */
export const MAX_STORED_HISTORY = 50;

export const DEFAULT_APP: AppSettings = { project: null, volume: 0.8, output: '' };

export function defaultProjectSettings(): ProjectSettings {
  return {
    model: null,
    z: null,
    past: [],
    future: [],
    stage: 'map',
    inspector: 'point',
    sound: null,
    inspected: null,
    batch: null,
    exports: [],
    map: null,
  };
}

/** Storage that may be missing (a sandboxed page) or full: reads fall back, writes are best effort. */
function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function read<T extends object>(key: string, fallback: T): T {
  try {
    const raw = storage()?.getItem(key);
    if (!raw) return fallback;
    const parsed = JSON.parse(raw) as unknown;
    // Whatever a stored entry lacks (an older version wrote it) comes from the defaults.
    return parsed && typeof parsed === 'object' ? { ...fallback, ...(parsed as Partial<T>) } : fallback;
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or refused: the window goes on; only the next reload forgets.
  }
}

export function loadApp(): AppSettings {
  return read(APP_KEY, { ...DEFAULT_APP });
}

export function saveApp(settings: AppSettings): void {
  write(APP_KEY, settings);
}

export function loadProject(path: string): ProjectSettings {
  const loaded = read(PROJECT_PREFIX + path, defaultProjectSettings());
  return {
    ...loaded,
    past: Array.isArray(loaded.past) ? loaded.past.slice(-MAX_STORED_HISTORY) : [],
    future: Array.isArray(loaded.future) ? loaded.future.slice(-MAX_STORED_HISTORY) : [],
    exports: Array.isArray(loaded.exports) ? loaded.exports : [],
  };
}

export function saveProject(path: string, settings: ProjectSettings): void {
  write(PROJECT_PREFIX + path, {
    ...settings,
    past: settings.past.slice(-MAX_STORED_HISTORY),
    future: settings.future.slice(-MAX_STORED_HISTORY),
    exports: settings.exports.slice(0, 20),
  });
}
