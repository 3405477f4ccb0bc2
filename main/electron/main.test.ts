// main.ts wired to a stand-in for Electron's API (no Electron binary here): what it does before
// 'ready', and after it — the app:// protocol, the permission and header handlers, the window, the
// hardening of every web contents, the IPC handlers' sender checks, and the engine's utility process.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ENTRY_URL, CONTENT_SECURITY_POLICY } from './policy.js';
import { CHANNELS } from './preload-api.js';

type Handler = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const calls = vi.hoisted(() => {
  let ready!: () => void;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  return {
    order: [] as string[],
    ready: () => ready(),
    readyPromise,
    appEvents: new Map<string, Handler>(),
    protocolHandlers: new Map<string, Handler>(),
    ipcOn: new Map<string, Handler>(),
    ipcHandle: new Map<string, Handler>(),
    windows: [] as { options: Record<string, any>; url?: string; contents: any; window: any }[], // eslint-disable-line @typescript-eslint/no-explicit-any
    forks: [] as { modulePath: string; args: string[]; child: any }[], // eslint-disable-line @typescript-eslint/no-explicit-any
    permissionRequest: undefined as Handler | undefined,
    permissionCheck: undefined as Handler | undefined,
    headers: undefined as Handler | undefined,
    menu: undefined as unknown,
    openExternal: [] as string[],
    /** What the fake native open dialog answers next (then it answers "cancelled" again). */
    dialogAnswer: null as { canceled: boolean; filePaths: string[] } | null,
  };
});

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  const { readFile } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const { MessageChannel } = await import('node:worker_threads');
  const fakeContents = () => {
    const contents = Object.assign(new EventEmitter(), {
      mainFrame: { url: APP_ENTRY_URL },
      sent: [] as unknown[][],
      isDestroyed: () => false,
      isLoading: () => false,
      postMessage: (...args: unknown[]) => contents.sent.push(['postMessage', ...args]),
      send: (...args: unknown[]) => contents.sent.push(['send', ...args]),
      setWindowOpenHandler: (handler: Handler) => (contents.windowOpen = handler),
      windowOpen: undefined as Handler | undefined,
    });
    return contents;
  };
  class BrowserWindow extends EventEmitter {
    webContents = fakeContents();
    destroyed = false;
    isDestroyed() {
      return this.destroyed;
    }
    destroy() {
      this.destroyed = true;
    }
    constructor(public options: Record<string, unknown>) {
      super();
      calls.windows.push({ options, contents: this.webContents, window: this });
    }
    loadURL(url: string) {
      calls.windows.at(-1)!.url = url;
      return Promise.resolve();
    }
    static fromWebContents() {
      return {};
    }
  }
  return {
    app: {
      isPackaged: false,
      enableSandbox: () => calls.order.push('enableSandbox'),
      requestSingleInstanceLock: () => (calls.order.push('requestSingleInstanceLock'), true),
      whenReady: () => calls.readyPromise,
      isReady: () => true,
      on: (event: string, handler: Handler) => calls.appEvents.set(event, handler),
      quit: () => {},
      exit: () => {},
      getVersion: () => '0.0.0',
      // No settings.json there and no --osc switch: the engine starts without OSC.
      getPath: () => '/nonexistent/vae-studio-user-data',
      commandLine: {
        getSwitchValue: () => '',
        appendSwitch: (name: string, value?: string) =>
          calls.order.push(`appendSwitch ${name}${value ? `=${value}` : ''}`),
      },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) =>
        calls.order.push(`registerSchemesAsPrivileged ${JSON.stringify(schemes)}`),
      handle: (scheme: string, handler: Handler) => calls.protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Handler) => (calls.permissionRequest = h),
        setPermissionCheckHandler: (h: Handler) => (calls.permissionCheck = h),
        webRequest: { onHeadersReceived: (h: Handler) => (calls.headers = h) },
      },
    },
    net: { fetch: async (url: string) => new Response(await readFile(fileURLToPath(url))) },
    ipcMain: {
      on: (channel: string, h: Handler) => calls.ipcOn.set(channel, h),
      handle: (channel: string, h: Handler) => calls.ipcHandle.set(channel, h),
    },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: (m: unknown) => (calls.menu = m) },
    dialog: {
      showOpenDialog: async () => {
        const answer = calls.dialogAnswer ?? { canceled: true, filePaths: [] };
        calls.dialogAnswer = null;
        return answer;
      },
      showMessageBox: async () => ({}),
    },
    shell: { openExternal: async (url: string) => void calls.openExternal.push(url) },
    systemPreferences: { askForMediaAccess: async () => true },
    BrowserWindow,
    MessageChannelMain: MessageChannel,
    utilityProcess: {
      fork(modulePath: string, args: string[]) {
        const child = Object.assign(new EventEmitter(), {
          pid: 77,
          posted: [] as unknown[],
          kill: () => true,
        });
        Object.assign(child, { postMessage: (m: unknown, t: unknown[]) => child.posted.push([m, t]) });
        calls.forks.push({ modulePath, args, child });
        return child;
      },
    },
  };
});

await import('./main.js');
// What main did at load, before 'ready' (the describe blocks below are collected before they run).
const beforeReady = {
  order: [...calls.order],
  windows: calls.windows.length,
  protocolHandlers: calls.protocolHandlers.size,
  forks: calls.forks.length,
};
const root = fileURLToPath(new URL('../..', import.meta.url));
const rendererBuilt = existsSync(join(root, 'dist', 'renderer', 'index.html'));

afterAll(() => {
  calls.appEvents.get('will-quit')?.(); // stops the engine host, closing main's port
  for (const { child } of calls.forks)
    for (const [, ports] of child.posted) for (const p of ports ?? []) p.close();
});

describe('main.ts before ready', () => {
  it('makes app:// a privileged standard, secure scheme, sandboxes every renderer and takes the single-instance lock', () => {
    expect(beforeReady.order[0]).toMatch(
      /^registerSchemesAsPrivileged .*"scheme":"app".*"standard":true,"secure":true/,
    );
    const switches =
      process.platform === 'linux'
        ? ['appendSwitch enable-unsafe-webgpu', 'appendSwitch enable-features=Vulkan']
        : [];
    expect(beforeReady.order).toEqual([
      beforeReady.order[0],
      'enableSandbox',
      ...switches,
      'requestSingleInstanceLock',
    ]);
    expect(beforeReady).toMatchObject({ windows: 0, protocolHandlers: 0, forks: 0 });
    expect(calls.appEvents.has('second-instance')).toBe(true);
  });
});

describe('main.ts once ready', () => {
  beforeAll(async () => {
    calls.ready();
    await new Promise((resolve) => setTimeout(resolve, 0));
  });

  it('opens one sandboxed window on the app page', () => {
    expect(calls.windows).toHaveLength(1);
    expect(calls.windows[0].url).toBe(APP_ENTRY_URL);
    expect(calls.windows[0].options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      preload: join(root, 'out', 'electron', 'preload.cjs'),
    });
  });

  it('starts the engine in a utility process from the compiled entry, and hands it a port', () => {
    expect(calls.forks).toHaveLength(1);
    expect(calls.forks[0].modulePath).toBe(join(root, 'dist', 'main', 'engine', 'process-entry.js'));
    expect(calls.forks[0].args).toEqual([]);
    expect(calls.forks[0].child.posted[0][0]).toBe('vae-studio:connect');
  });

  it('sets the application menu', () => {
    expect(Array.isArray(calls.menu)).toBe(true);
  });

  it.skipIf(!rendererBuilt)('serves the built renderer at app://studio/ with the CSP header', async () => {
    const handler = calls.protocolHandlers.get('app')!;
    const response: Response = await handler(new Request(APP_ENTRY_URL));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await response.text()).toBe(readFileSync(join(root, 'dist', 'renderer', 'index.html'), 'utf8'));
  });

  it('serves nothing outside the renderer, nor to another host', async () => {
    const handler = calls.protocolHandlers.get('app')!;
    for (const url of [
      'app://studio/%2e%2e/%2e%2e/package.json',
      'app://studio/..%2f..%2fpackage.json',
      'app://other/index.html',
    ]) {
      expect((await handler(new Request(url))).status, url).toBe(404);
    }
  });

  it('puts the CSP on every response of the session', () => {
    let result: { responseHeaders: Record<string, unknown> } | undefined;
    calls.headers!(
      { responseHeaders: { 'content-security-policy': ['default-src *'] } },
      (r: typeof result) => (result = r),
    );
    expect(result!.responseHeaders).toMatchObject({ 'Content-Security-Policy': CONTENT_SECURITY_POLICY });
    expect(result!.responseHeaders).not.toHaveProperty('content-security-policy');
  });

  it('grants the microphone and MIDI (no sysex) to the app page and nothing else to anyone', () => {
    const ask = (permission: string, details: object) => {
      let granted: boolean | undefined;
      calls.permissionRequest!({}, permission, (g: boolean) => (granted = g), {
        isMainFrame: true,
        ...details,
      });
      return granted;
    };
    if (process.platform !== 'darwin') {
      expect(ask('media', { requestingUrl: APP_ENTRY_URL, mediaTypes: ['audio'] })).toBe(true);
    }
    expect(ask('media', { requestingUrl: 'https://evil.example/', mediaTypes: ['audio'] })).toBe(false);
    expect(ask('media', { requestingUrl: APP_ENTRY_URL, mediaTypes: ['video'] })).toBe(false);
    expect(ask('notifications', { requestingUrl: APP_ENTRY_URL })).toBe(false);
    expect(ask('midi', { requestingUrl: APP_ENTRY_URL })).toBe(true);
    expect(ask('midiSysex', { requestingUrl: APP_ENTRY_URL })).toBe(false);
    expect(ask('midi', { requestingUrl: 'https://evil.example/' })).toBe(false);
    expect(
      calls.permissionCheck!({}, 'media', 'app://studio', { isMainFrame: true, mediaType: 'audio' }),
    ).toBe(true);
    expect(
      calls.permissionCheck!({}, 'media', 'https://evil.example', { isMainFrame: true, mediaType: 'audio' }),
    ).toBe(false);
  });

  it('hardens every web contents: no navigation away, no new windows, no webviews', () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    calls.appEvents.get('web-contents-created')!({}, contents);
    const navigate = (event: string, url: string) => {
      const e = { url, preventDefault: vi.fn() };
      contents.emit(event, e);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('will-navigate', 'file:///home/me/dropped.wav')).toBe(true);
    expect(navigate('will-navigate', 'https://github.com/')).toBe(true);
    expect(navigate('will-redirect', 'https://evil.example/')).toBe(true);
    expect(navigate('will-navigate', 'app://studio/index.html')).toBe(false);
    expect(navigate('will-attach-webview', 'app://studio/')).toBe(true);
    const open = contents.setWindowOpenHandler.mock.calls[0][0] as Handler;
    expect(open({ url: 'https://github.com/tensorflow/tfjs' })).toEqual({ action: 'deny' });
    expect(open({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(calls.openExternal).toEqual(['https://github.com/tensorflow/tfjs']);
  });

  it('answers IPC only from the main frame of its own window on the app page', async () => {
    const contents = calls.windows[0].contents;
    const from = (url: string, sender = contents) => {
      const frame = url === sender.mainFrame.url ? sender.mainFrame : { url };
      return { sender, senderFrame: frame };
    };
    for (const channel of [
      CHANNELS.chooseProjectFolder,
      CHANNELS.chooseExportFolder,
      CHANNELS.chooseSounds,
    ]) {
      await expect(calls.ipcHandle.get(channel)!(from('https://evil.example/'))).rejects.toThrow(/refused/);
      await expect(
        calls.ipcHandle.get(channel)!(from(APP_ENTRY_URL, { mainFrame: { url: APP_ENTRY_URL } })),
      ).rejects.toThrow(/refused/);
    }
    expect(await calls.ipcHandle.get(CHANNELS.chooseProjectFolder)!(from(APP_ENTRY_URL))).toBeNull();
    await expect(
      calls.ipcHandle.get(CHANNELS.openExternal)!(from(APP_ENTRY_URL), 'https://evil.example/'),
    ).rejects.toThrow(/refused to open/);
    await calls.ipcHandle.get(CHANNELS.openExternal)!(
      from(APP_ENTRY_URL),
      'https://www.tensorflow.org/install',
    );
    expect(calls.openExternal).toContain('https://www.tensorflow.org/install');
  });

  it('sends an engine port to the window that asks, once the engine is running', async () => {
    const contents = calls.windows[0].contents;
    calls.ipcOn.get(CHANNELS.connectEngine)!({ sender: contents, senderFrame: contents.mainFrame });
    // The engine is still starting: the window hears its state, and gets its port on 'ready'.
    expect(contents.sent.filter((s: unknown[]) => s[0] === 'postMessage')).toEqual([]);
    const enginePort = calls.forks[0].child.posted[0][1][0] as import('node:worker_threads').MessagePort;
    enginePort.postMessage({ type: 'event', event: { type: 'ready', version: '0.0.0' } });
    await vi.waitFor(() => expect(contents.sent.some((s: unknown[]) => s[0] === 'postMessage')).toBe(true));
    const [, channel, message, ports] = contents.sent.find((s: unknown[]) => s[0] === 'postMessage');
    expect([channel, message, ports.length]).toEqual([CHANNELS.enginePort, null, 1]);
    expect(calls.forks[0].child.posted).toHaveLength(2); // the window's end went to the engine
    for (const p of ports) p.close();
  });

  it('grants each file picked in the import dialog to the engine, and gives the page its path', async () => {
    const contents = calls.windows[0].contents;
    const dir = await mkdtemp(join(tmpdir(), 'vae-main-pick-'));
    try {
      const file = join(dir, 'a.flac');
      await writeFile(file, 'fLaC');
      calls.dialogAnswer = { canceled: false, filePaths: [file, join(dir, 'gone.wav')] };
      const posted = calls.forks[0].child.posted.length;
      const chosen = await calls.ipcHandle.get(CHANNELS.chooseSounds)!({
        sender: contents,
        senderFrame: contents.mainFrame,
      });
      expect(chosen).toEqual([
        { name: 'a.flac', path: file },
        { name: 'gone.wav', error: 'gone.wav could not be read (ENOENT)' },
      ]);
      // The grant went on the engine's parentPort (only the file that is there), before the answer.
      expect(calls.forks[0].child.posted.slice(posted).map((p: unknown[]) => p[0])).toEqual([
        { type: 'vae-studio:grant', path: file, purpose: 'import' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens a hidden compute window when the engine asks, hands its page a port and the engine the other end, and closes it when asked', async () => {
    const { child } = calls.forks[0];
    const posted = child.posted.length;
    child.emit('message', { type: 'vae-studio:compute-open', id: 1 });
    await vi.waitFor(() => expect(child.posted.length).toBe(posted + 1));
    const compute = calls.windows.at(-1)!;
    expect(compute.url).toBe('app://compute/compute.html');
    expect(compute.options).toMatchObject({ show: false });
    expect(compute.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      preload: join(root, 'out', 'electron', 'compute-preload.cjs'),
    });
    const [, channel, message, pagePorts] = compute.contents.sent.find(
      (s: unknown[]) => s[0] === 'postMessage',
    );
    expect([channel, message, pagePorts.length]).toEqual(['vae-studio:compute-port', null, 1]);
    const [answer, enginePorts] = child.posted[posted];
    expect(answer).toEqual({ type: 'vae-studio:compute-opened', id: 1 });
    expect(enginePorts).toHaveLength(1);
    // The two ends are one channel: what the engine sends, the page hears.
    const heard = new Promise((resolve) => pagePorts[0].once('message', resolve));
    enginePorts[0].postMessage({ type: 'probe' });
    expect(await heard).toEqual({ type: 'probe' });
    pagePorts[0].close();
    // The compute window's page is served from dist/browser, and nothing else there.
    const handler = calls.protocolHandlers.get('app')!;
    expect((await handler(new Request('app://compute/index.html'))).status).toBe(404);
    expect(compute.window.isDestroyed()).toBe(false);
    child.emit('message', { type: 'vae-studio:compute-close', id: 1 });
    expect(compute.window.isDestroyed()).toBe(true);
  });
});
