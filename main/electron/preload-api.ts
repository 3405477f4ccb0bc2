// The one object the preload exposes to the page as `window.vaeStudio`, built from an ipcRenderer-
// like object so a unit test can check its surface without Electron. This file imports nothing, so
// the renderer may import its types (`import type { VaeStudioBridge } from
// '../../main/electron/preload-api'`) without seeing Node's or Electron's.
//
// The engine connection itself does not cross this bridge: a MessagePort cannot pass through
// contextBridge. Main sends a port to the preload (webContents.postMessage on CHANNELS.enginePort);
// the preload hands it into the page with window.postMessage(ENGINE_PORT_MESSAGE, origin, [port]).
// The page:
//
//   window.addEventListener('message', (e) => {
//     if (e.source === window && e.data === ENGINE_PORT_MESSAGE && e.ports[0]) useEngine(e.ports[0]);
//   });
//   window.vaeStudio.connectEngine();   // asks for a port once the listener is in place
//
// After an engine restart main sends a fresh port the same way, unasked; the old one has closed.

/** Every IPC channel has this prefix; the preload refuses any other. */
export const CHANNEL_PREFIX = 'vae-studio:';

export const CHANNELS = {
  /** page -> main (send): please send me an engine port (now, or once the engine is up). */
  connectEngine: 'vae-studio:connect-engine',
  /** main -> preload (webContents.postMessage, with the port): a port to the engine. */
  enginePort: 'vae-studio:engine-port',
  /** main -> page: the engine's state changed (EngineStatus). */
  engineState: 'vae-studio:engine-state',
  /** main -> page: a menu item the page carries out (MenuCommand). */
  menuCommand: 'vae-studio:menu-command',
  /** page -> main (invoke): the native folder picker for a project; a path or null. */
  chooseProjectFolder: 'vae-studio:choose-project-folder',
  /** page -> main (invoke): the native file picker for WAVs; the files' names and bytes. */
  chooseSounds: 'vae-studio:choose-sounds',
  /** page -> main (invoke): the native folder picker for exports; a path or null. */
  chooseExportFolder: 'vae-studio:choose-export-folder',
  /** page -> main (invoke): open a vetted https URL in the user's browser. */
  openExternal: 'vae-studio:open-external',
  /** page -> main (invoke): show a folder (an export's) in the system's file manager. */
  showFolder: 'vae-studio:show-folder',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

const KNOWN_CHANNELS: ReadonlySet<string> = new Set(Object.values(CHANNELS));

/** The data of the window message that carries an engine port into the page. */
export const ENGINE_PORT_MESSAGE = 'vae-studio:engine-port';

/** Throws unless `channel` is one of ours (prefix and name). */
export function assertChannel(channel: string): asserts channel is Channel {
  if (typeof channel !== 'string' || !channel.startsWith(CHANNEL_PREFIX)) {
    throw new Error(`refused IPC channel ${JSON.stringify(channel)}: not a ${CHANNEL_PREFIX} channel`);
  }
  if (!KNOWN_CHANNELS.has(channel)) {
    throw new Error(`refused IPC channel ${JSON.stringify(channel)}: unknown`);
  }
}

/** Menu items whose work the page does (it owns the project and the dialogs' follow-up). */
export type MenuCommand = 'open-project' | 'import-sounds' | 'choose-export-folder';
export const MENU_COMMANDS: readonly MenuCommand[] = [
  'open-project',
  'import-sounds',
  'choose-export-folder',
];

/** The engine process as the UI should describe it (main/engine/supervisor.ts's states). */
export interface EngineStatus {
  state: 'starting' | 'running' | 'crashed' | 'restarting' | 'failed' | 'stopped';
  /** Crashes within the supervisor's window so far. */
  crashes: number;
  /** crashed, restarting, failed: what happened, in words. */
  reason?: string;
}

/**
 * A file from the native import dialog: its path, which main has granted the engine for 'import'
 * (the page imports it with StudioApi.importPath; nothing reads its bytes into the page), or why it
 * cannot be imported.
 */
export type ChosenSound = { name: string; path: string } | { name: string; error: string };

/** True for a well-formed ChosenSound (a name, and a path or an error, all strings). */
export function isChosenSound(value: unknown): value is ChosenSound {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    (typeof v.path === 'string' || typeof v.error === 'string')
  );
}

/** `window.vaeStudio`: present under Electron only (the browser mode has no such object). */
export interface VaeStudioBridge {
  /** The OS: 'darwin' | 'win32' | 'linux' ... (for shortcut labels). */
  readonly platform: string;
  /** Asks main for an engine port; it arrives as a window message (see the top of this file). */
  connectEngine(): void;
  /** Engine state changes (a crash, a restart, giving up). Returns the unsubscribe. */
  onEngineState(listener: (status: EngineStatus) => void): () => void;
  /** File-menu commands for the page to carry out. Returns the unsubscribe. */
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
  /** The native folder picker; resolves to the folder, or null when cancelled. */
  chooseProjectFolder(): Promise<string | null>;
  /**
   * The native sound picker (several at once); resolves to the files picked, each granted to the
   * engine for importPath, [] when cancelled.
   */
  chooseSounds(): Promise<ChosenSound[]>;
  /** The native folder picker for exports; resolves to the folder, or null when cancelled. */
  chooseExportFolder(): Promise<string | null>;
  /** Opens an allow-listed https URL in the browser; rejects for any other. */
  openExternal(url: string): Promise<void>;
  /** Shows a folder in the system's file manager (main opens folders only, never files). */
  showFolder(path: string): Promise<void>;
}

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  send(channel: string, ...args: unknown[]): void;
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** Every channel passes assertChannel before it reaches ipcRenderer. */
function guarded(ipc: IpcRendererLike): IpcRendererLike {
  return {
    send(channel, ...args) {
      assertChannel(channel);
      ipc.send(channel, ...args);
    },
    invoke(channel, ...args) {
      assertChannel(channel);
      return ipc.invoke(channel, ...args);
    },
    on(channel, listener) {
      assertChannel(channel);
      return ipc.on(channel, listener);
    },
    removeListener(channel, listener) {
      assertChannel(channel);
      return ipc.removeListener(channel, listener);
    },
  };
}

function isEngineStatus(value: unknown): value is EngineStatus {
  const v = value as EngineStatus | null;
  return typeof v === 'object' && v !== null && typeof v.state === 'string' && typeof v.crashes === 'number';
}

export function createPreloadApi(ipcRenderer: IpcRendererLike, platform: string): VaeStudioBridge {
  const ipc = guarded(ipcRenderer);

  /** Subscribes to a main -> page channel; the IPC event (which holds ipcRenderer) never reaches the page. */
  const subscribe = <T>(
    channel: Channel,
    accept: (value: unknown) => value is T,
    listener: (value: T) => void,
  ) => {
    if (typeof listener !== 'function') throw new TypeError('the listener must be a function');
    const wrapped = (_event: unknown, value: unknown) => {
      if (accept(value)) listener(value);
    };
    ipc.on(channel, wrapped);
    return () => {
      ipc.removeListener(channel, wrapped);
    };
  };

  const folderOrNull = async (channel: Channel) => {
    const result = await ipc.invoke(channel);
    return typeof result === 'string' ? result : null;
  };

  const bridge: VaeStudioBridge = {
    platform,
    connectEngine() {
      ipc.send(CHANNELS.connectEngine);
    },
    onEngineState(listener) {
      return subscribe(CHANNELS.engineState, isEngineStatus, listener);
    },
    onMenuCommand(listener) {
      const isCommand = (value: unknown): value is MenuCommand =>
        MENU_COMMANDS.includes(value as MenuCommand);
      return subscribe(CHANNELS.menuCommand, isCommand, listener);
    },
    chooseProjectFolder() {
      return folderOrNull(CHANNELS.chooseProjectFolder);
    },
    async chooseSounds() {
      const result = await ipc.invoke(CHANNELS.chooseSounds);
      return Array.isArray(result) ? result.filter(isChosenSound) : [];
    },
    chooseExportFolder() {
      return folderOrNull(CHANNELS.chooseExportFolder);
    },
    async showFolder(path) {
      if (typeof path !== 'string') throw new TypeError('showFolder takes a folder path string');
      await ipc.invoke(CHANNELS.showFolder, path);
    },
    async openExternal(url) {
      if (typeof url !== 'string') throw new TypeError('openExternal takes a URL string');
      await ipc.invoke(CHANNELS.openExternal, url);
    },
  };
  return Object.freeze(bridge);
}

/**
 * Hands every engine port main sends into the page as a window message. `post` is
 * window.postMessage bound to the page's own origin.
 */
export function forwardEnginePorts(
  ipcRenderer: IpcRendererLike,
  post: (message: string, ports: readonly unknown[]) => void,
): () => void {
  const ipc = guarded(ipcRenderer);
  const listener = (event: unknown) => {
    const ports = (event as { ports?: readonly unknown[] } | null)?.ports;
    if (Array.isArray(ports) && ports.length === 1) post(ENGINE_PORT_MESSAGE, ports);
  };
  ipc.on(CHANNELS.enginePort, listener);
  return () => {
    ipc.removeListener(CHANNELS.enginePort, listener);
  };
}
