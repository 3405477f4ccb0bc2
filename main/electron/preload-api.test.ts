import { describe, expect, it, vi } from 'vitest';
import {
  assertChannel,
  CHANNEL_PREFIX,
  CHANNELS,
  createPreloadApi,
  ENGINE_PORT_MESSAGE,
  forwardEnginePorts,
  type IpcRendererLike,
} from './preload-api.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** An ipcRenderer that records what crosses it and lets a test play main's side. */
function fakeIpc(answers: Record<string, unknown> = {}) {
  const listeners = new Map<string, Set<Listener>>();
  const sent: { channel: string; args: unknown[] }[] = [];
  const invoked: { channel: string; args: unknown[] }[] = [];
  const ipc: IpcRendererLike = {
    send: (channel, ...args) => void sent.push({ channel, args }),
    invoke: async (channel, ...args) => {
      invoked.push({ channel, args });
      return answers[channel];
    },
    on: (channel, listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    },
    removeListener: (channel, listener) => void listeners.get(channel)?.delete(listener),
  };
  const emit = (channel: string, event: unknown, ...args: unknown[]) =>
    [...(listeners.get(channel) ?? [])].forEach((l) => l(event, ...args));
  const count = (channel: string) => listeners.get(channel)?.size ?? 0;
  return { ipc, sent, invoked, emit, count };
}

describe('createPreloadApi: the surface of window.vaeStudio', () => {
  const { ipc } = fakeIpc();
  const api = createPreloadApi(ipc, 'linux');

  it('has exactly these members', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'chooseExportFolder',
        'chooseProjectFolder',
        'chooseSounds',
        'connectEngine',
        'onEngineState',
        'onMenuCommand',
        'openExternal',
        'platform',
        'showFolder',
      ].sort(),
    );
  });

  it('holds functions only, besides the platform string: no ipcRenderer, no objects to reach through', () => {
    for (const [key, value] of Object.entries(api)) {
      if (key === 'platform') expect(value).toBe('linux');
      else expect(typeof value, key).toBe('function');
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(api)).toBe(true);
  });
});

describe('the channels', () => {
  it(`all carry the ${CHANNEL_PREFIX} prefix and are distinct`, () => {
    const names = Object.values(CHANNELS);
    expect(names.every((name) => name.startsWith(CHANNEL_PREFIX))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  it('assertChannel refuses a foreign prefix and an unknown name', () => {
    for (const name of Object.values(CHANNELS)) expect(() => assertChannel(name)).not.toThrow();
    expect(() => assertChannel('ELECTRON_BROWSER_REQUIRE')).toThrow(/not a vae-studio: channel/);
    expect(() => assertChannel('other:connect-engine')).toThrow(/not a vae-studio: channel/);
    expect(() => assertChannel('vae-studio:exec')).toThrow(/unknown/);
    expect(() => assertChannel('')).toThrow();
  });

  it('every call the bridge makes goes over one of them', async () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc, 'darwin');
    api.connectEngine();
    api.onEngineState(() => {})();
    api.onMenuCommand(() => {})();
    await api.chooseProjectFolder();
    await api.chooseExportFolder();
    await api.chooseSounds();
    await api.openExternal('https://github.com/');
    const used = [...fake.sent, ...fake.invoked].map((c) => c.channel);
    expect(used.length).toBe(5);
    for (const channel of used) expect(() => assertChannel(channel)).not.toThrow();
  });
});

describe('the calls', () => {
  it('connectEngine sends the request with no arguments', () => {
    const fake = fakeIpc();
    createPreloadApi(fake.ipc, 'linux').connectEngine();
    expect(fake.sent).toEqual([{ channel: CHANNELS.connectEngine, args: [] }]);
  });

  it('the folder pickers give a path or null, whatever main answers', async () => {
    const api = createPreloadApi(fakeIpc({ [CHANNELS.chooseProjectFolder]: '/home/me/p' }).ipc, 'linux');
    expect(await api.chooseProjectFolder()).toBe('/home/me/p');
    expect(await api.chooseExportFolder()).toBeNull();
    const odd = createPreloadApi(fakeIpc({ [CHANNELS.chooseExportFolder]: { path: 1 } }).ipc, 'linux');
    expect(await odd.chooseExportFolder()).toBeNull();
  });

  it('chooseSounds passes the files main picked and granted, and [] for anything else', async () => {
    const files = [
      { name: 'a.flac', path: '/home/me/a.flac' },
      { name: 'b.wav', error: 'b.wav is not a file' },
    ];
    expect(
      await createPreloadApi(
        fakeIpc({ [CHANNELS.chooseSounds]: [...files, { name: 1 }, null] }).ipc,
        'linux',
      ).chooseSounds(),
    ).toEqual(files);
    expect(await createPreloadApi(fakeIpc().ipc, 'linux').chooseSounds()).toEqual([]);
  });

  it('showFolder asks main to show a folder, taking a string only', async () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc, 'linux');
    await api.showFolder('/home/me/exports/grid');
    expect(fake.invoked).toEqual([{ channel: CHANNELS.showFolder, args: ['/home/me/exports/grid'] }]);
    await expect(api.showFolder(42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('openExternal takes a string only (main vets the URL itself)', async () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc, 'linux');
    await api.openExternal('https://www.tensorflow.org/');
    expect(fake.invoked).toEqual([{ channel: CHANNELS.openExternal, args: ['https://www.tensorflow.org/'] }]);
    await expect(api.openExternal({ toString: () => 'x' } as unknown as string)).rejects.toThrow(TypeError);
  });
});

describe('the subscriptions', () => {
  it('deliver the value but never the IPC event (which holds ipcRenderer)', () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc, 'linux');
    const seen = vi.fn();
    api.onEngineState(seen);
    const event = { sender: { secret: true } };
    fake.emit(CHANNELS.engineState, event, { state: 'restarting', crashes: 1, reason: 'killed by SIGKILL' });
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen.mock.calls[0]).toEqual([{ state: 'restarting', crashes: 1, reason: 'killed by SIGKILL' }]);
  });

  it('drop values of the wrong shape', () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc, 'linux');
    const states = vi.fn();
    const commands = vi.fn();
    api.onEngineState(states);
    api.onMenuCommand(commands);
    fake.emit(CHANNELS.engineState, {}, 'running');
    fake.emit(CHANNELS.menuCommand, {}, 'rm -rf');
    fake.emit(CHANNELS.menuCommand, {}, 'import-sounds');
    expect(states).not.toHaveBeenCalled();
    expect(commands.mock.calls).toEqual([['import-sounds']]);
  });

  it('unsubscribe removes the listener from ipcRenderer (no leak)', () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc, 'linux');
    const off = [api.onEngineState(() => {}), api.onMenuCommand(() => {}), api.onMenuCommand(() => {})];
    expect(fake.count(CHANNELS.engineState) + fake.count(CHANNELS.menuCommand)).toBe(3);
    off.forEach((f) => f());
    expect(fake.count(CHANNELS.engineState) + fake.count(CHANNELS.menuCommand)).toBe(0);
  });

  it('refuse a listener that is not a function', () => {
    const api = createPreloadApi(fakeIpc().ipc, 'linux');
    expect(() => api.onMenuCommand('alert(1)' as unknown as () => void)).toThrow(TypeError);
  });
});

describe('forwardEnginePorts', () => {
  it('hands each port main sends into the page as the engine-port window message', () => {
    const fake = fakeIpc();
    const post = vi.fn();
    const stop = forwardEnginePorts(fake.ipc, post);
    const port = { postMessage() {} };
    fake.emit(CHANNELS.enginePort, { ports: [port] });
    expect(post).toHaveBeenCalledWith(ENGINE_PORT_MESSAGE, [port]);
    fake.emit(CHANNELS.enginePort, { ports: [] });
    fake.emit(CHANNELS.enginePort, {});
    expect(post).toHaveBeenCalledTimes(1);
    stop();
    expect(fake.count(CHANNELS.enginePort)).toBe(0);
  });
});
