import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Connection, LatentMap, Snapshot, StudioEvent } from '../../common/api.js';
import { ControlService, fromControlUnits, toControlUnits } from './control.js';

/** A 4-dimensional model whose map axes are the first two latent dimensions. */
function fakeMap(): LatentMap {
  return {
    model: 'm',
    sources: [],
    p1: new Float32Array(0),
    p2: new Float32Array(0),
    source: new Uint16Array(0),
    frame: new Uint32Array(0),
    loudness: new Float32Array(0),
    centroidHz: new Float32Array(0),
    flatness: new Float32Array(0),
    hopSeconds: 0.0116,
    std: [2, 0.5],
    missing: [],
    mean: Float32Array.from([1, -1, 0, 0]),
    axes: [Float32Array.from([1, 0, 0, 0]), Float32Array.from([0, 1, 0, 0])],
    dimMin: Float32Array.from([-3, -3, -2, -1]),
    dimMax: Float32Array.from([3, 3, 2, 1]),
  };
}

function connection(id: number): Connection & { close(): void } {
  const listeners = new Set<() => void>();
  return {
    id,
    send: () => {},
    onClose(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => listeners.forEach((l) => l()),
  };
}

function service(snapshots: Snapshot[] = [], midiFile = '/nonexistent/midi.json') {
  const events: StudioEvent[] = [];
  let maps = 0;
  const control = new ControlService({
    emit: (e) => events.push(e),
    map: async () => {
      maps++;
      return fakeMap();
    },
    snapshots: async () => snapshots,
    projectPath: () => '/p',
    midiFile: async () => midiFile,
  });
  const ctx = (c: Connection) => ({ signal: new AbortController().signal, connection: c });
  return { control, events, ctx, maps: () => maps };
}

describe('control units', () => {
  it('span ±2 standard deviations with the mean at 0.5, and invert', () => {
    expect(fromControlUnits([0, 1], [2, 0.5])).toEqual([-4, 1]);
    expect(toControlUnits([-4, 1], [2, 0.5])).toEqual([0, 1]);
    expect(toControlUnits([0, 0], [2, 0.5])).toEqual([0.5, 0.5]);
  });
});

describe('ControlService', () => {
  it('has no window to control until one reports, then controls the most recently active one', async () => {
    const { control, ctx } = service();
    await expect(control.command({ kind: 'get' })).rejects.toThrow(/no window/);
    const a = connection(1);
    const b = connection(2);
    await control.reportControl({ model: 'm' }, ctx(a));
    await control.reportControl({ model: 'm' }, ctx(b));
    expect((await control.getControl()).window).toBe(2);
    // A report that is not activity (a window following along) does not take the lead.
    await control.reportControl({ mix: 0.5, active: false }, ctx(a));
    expect((await control.getControl()).window).toBe(2);
    await control.reportControl({ audition: false }, ctx(a));
    expect((await control.getControl()).window).toBe(1);
    const { window } = await control.command({ kind: 'mix', value: 0.25 });
    expect(window).toBe(1);
    expect((await control.getControl()).state?.mix).toBe(0.25);
  });

  it('moves the point, a latent dimension and recalls snapshots, announcing each change', async () => {
    const { control, events, ctx, maps } = service([{ name: 'low', z: [2, 0, 1, 0.5] }]);
    const a = connection(7);
    await control.reportControl({ model: 'm' }, ctx(a));
    events.length = 0;

    const moved = await control.command({ kind: 'point', x: 0.75, y: 0.25 });
    expect(moved.xy).toEqual([0.75, 0.25]);
    expect(moved.state.point).toEqual([2, -0.5]);
    expect(moved.state.z).toEqual([3, -1.5, 0, 0]);
    expect(events.at(-1)).toMatchObject({ type: 'control', window: 7, active: 7, from: 'osc' });

    const latent = await control.command({ kind: 'latent', dim: 2, value: 1 });
    expect(latent.state.z).toEqual([3, -1.5, 2, 0]);
    // z3 is off the map's plane: the point stays.
    expect(latent.xy).toEqual([0.75, 0.25]);
    const onAxis = await control.command({ kind: 'latent', dim: 0, value: 0.5 });
    expect(onAxis.state.point).toEqual([-1, -0.5]);

    const recalled = await control.command({ kind: 'snapshot', which: 1 });
    expect(recalled.state).toMatchObject({ z: [2, 0, 1, 0.5], point: [1, 1], snapshot: 1 });
    const byName = await control.command({ kind: 'snapshot', which: 'low' });
    expect(byName.state.snapshot).toBe(1);
    await expect(control.command({ kind: 'snapshot', which: 2 })).rejects.toThrow(
      /no snapshot 2 \(the model has 1\)/,
    );
    await expect(control.command({ kind: 'latent', dim: 4, value: 0 })).rejects.toThrow(
      /4 latent dimensions/,
    );
    // The failed commands changed nothing.
    expect((await control.getControl()).state).toMatchObject({ z: [2, 0, 1, 0.5], snapshot: 1 });

    await control.command({ kind: 'audition', on: true });
    await control.command({ kind: 'live', on: true });
    expect((await control.getControl()).state).toMatchObject({ audition: true, live: true });
    // The map is fetched once for the model, then kept.
    expect(maps()).toBe(1);
  });

  it('says so when the window explores no model, and a new model forgets the old point', async () => {
    const { control, ctx } = service();
    const a = connection(3);
    await control.reportControl({}, ctx(a));
    await expect(control.command({ kind: 'point', x: 0.5, y: 0.5 })).rejects.toThrow(/not exploring a model/);
    await control.reportControl({ model: 'm', point: [1, 2], z: [1, 2, 0, 0] }, ctx(a));
    const { state } = await control.reportControl({ model: 'other' }, ctx(a));
    expect(state.point).toBeNull();
    expect(state.z).toBeNull();
  });

  it('hands the lead to the next window when the active one closes, and says so', async () => {
    const { control, events, ctx } = service();
    const a = connection(1);
    const b = connection(2);
    await control.reportControl({ model: 'm' }, ctx(a));
    await control.reportControl({ model: 'm' }, ctx(b));
    b.close();
    expect(events.at(-1)).toMatchObject({ type: 'control', window: 1, active: 1 });
    expect((await control.getControl()).windows).toBe(1);
    a.close();
    expect(events.at(-1)).toMatchObject({ type: 'control', window: null, state: null });
    await expect(control.command({ kind: 'audition', on: true })).rejects.toThrow(/no window/);
  });
});

describe('MIDI mappings in the project', () => {
  it('reads none from no file, writes midi.json and reads it back; keeps an unreadable file aside', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vae-midi-'));
    try {
      const file = join(dir, 'midi.json');
      const { control } = service([], file);
      expect(await control.getMidiMap()).toEqual({ mappings: [], problem: null });
      const map = {
        mappings: [
          {
            source: { kind: 'cc' as const, channel: 0, controller: 21 },
            target: { kind: 'mapX' as const },
            min: 0,
            max: 1,
            curve: 'linear' as const,
          },
        ],
      };
      await control.setMidiMap(map);
      expect(await control.getMidiMap()).toEqual({ ...map, problem: null });

      await writeFile(file, '{"mappings": [{"source": 5}]}');
      const bad = await control.getMidiMap();
      expect(bad.mappings).toEqual([]);
      expect(bad.problem).toMatch(/midi\.json: not MIDI mappings \(mappings\.0\.source/);
      await control.setMidiMap(map);
      expect((await readdir(dir)).sort()).toEqual(['midi.json', 'midi.json.unreadable']);
      expect(await readFile(join(dir, 'midi.json.unreadable'), 'utf8')).toBe('{"mappings": [{"source": 5}]}');
      expect((await control.getMidiMap()).problem).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
