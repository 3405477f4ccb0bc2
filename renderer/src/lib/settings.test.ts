import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultProjectSettings,
  loadApp,
  loadProject,
  MAX_STORED_HISTORY,
  saveApp,
  saveProject,
} from './settings.js';

/** A Map-backed Storage, as a page's localStorage behaves. */
class MemoryStorage {
  readonly items = new Map<string, string>();
  full = false;
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException('quota exceeded', 'QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

let storage: MemoryStorage;
beforeEach(() => {
  storage = new MemoryStorage();
  (globalThis as { localStorage?: unknown }).localStorage = storage;
});
afterEach(() => {
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

describe("the app's settings", () => {
  it('keeps each project apart, keyed by its path, and the app-wide ones on their own', () => {
    saveApp({ project: '/p/a', volume: 0.4, output: 'dev' });
    const a = { ...defaultProjectSettings(), model: 'demo', z: [0.5, -1], stage: 'sound' as const };
    saveProject('/p/a', a);
    saveProject('/p/b', { ...defaultProjectSettings(), model: 'other' });
    expect(loadApp()).toEqual({ project: '/p/a', volume: 0.4, output: 'dev' });
    expect(loadProject('/p/a')).toMatchObject({ model: 'demo', z: [0.5, -1], stage: 'sound' });
    expect(loadProject('/p/b').model).toBe('other');
    expect(loadProject('/p/never')).toEqual(defaultProjectSettings());
    expect([...storage.items.keys()].sort()).toEqual([
      'vae-studio:app',
      'vae-studio:project:/p/a',
      'vae-studio:project:/p/b',
    ]);
  });

  it('keeps the last undo steps only, and the newest exports', () => {
    const step = (i: number) => ({ z: [i], snapshots: [] });
    const past = Array.from({ length: MAX_STORED_HISTORY + 30 }, (_, i) => step(i));
    const exports = Array.from({ length: 30 }, (_, i) => ({
      name: `e${i}`,
      folder: '/x',
      files: 1,
      at: `${i}`,
    }));
    saveProject('/p', { ...defaultProjectSettings(), past, exports });
    const loaded = loadProject('/p');
    expect(loaded.past).toHaveLength(MAX_STORED_HISTORY);
    expect(loaded.past.at(-1)).toEqual(step(MAX_STORED_HISTORY + 29));
    expect(loaded.exports.map((e) => e.name)).toEqual(exports.slice(0, 20).map((e) => e.name));
  });

  it('falls back to the defaults for a damaged or older entry, and a full storage only forgets', () => {
    storage.items.set('vae-studio:project:/p', '{not json');
    expect(loadProject('/p')).toEqual(defaultProjectSettings());
    // An older version's entry: what it lacks comes from the defaults.
    storage.items.set('vae-studio:project:/q', JSON.stringify({ model: 'm' }));
    expect(loadProject('/q')).toEqual({ ...defaultProjectSettings(), model: 'm' });
    storage.items.set('vae-studio:app', JSON.stringify({ volume: 0.2 }));
    expect(loadApp()).toEqual({ project: null, volume: 0.2, output: '' });
    storage.full = true;
    expect(() => saveApp({ project: '/p', volume: 1, output: '' })).not.toThrow();
    expect(loadApp().volume).toBe(0.2);
  });

  it('works without storage at all (a page that may not keep any)', () => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
    expect(loadApp().volume).toBe(0.8);
    expect(() => saveProject('/p', defaultProjectSettings())).not.toThrow();
  });
});
