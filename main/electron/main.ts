// The Electron main process: app lifecycle, the one window, menus, native dialogs, the app://
// protocol that serves the built renderer, and the engine in a utilityProcess with a MessagePort
// from each window straight to it. Security follows Electron's checklist; the decisions themselves
// are pure functions in policy.ts, applied here.
//
// Built by scripts/build-electron.ts into out/electron/main.cjs (CommonJS, so __dirname is the
// folder of the bundle: out/electron, in the repository or inside app.asar).
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  session,
  shell,
  systemPreferences,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  type MessagePortMain,
  type WebContents,
} from 'electron';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { COMPUTE_HOST, computeFile, computeSwitches } from './compute-policy.js';
import { openComputeWindow } from './compute-window.js';
import { pathToFileURL } from 'node:url';
import { resolveStaticPath } from '../serve/static-files.js';
import { chosenSounds, SOUND_EXTENSIONS } from './chosen-files.js';
import { oscArgs, oscSetting, type OscSetting } from './osc-setting.js';
import {
  grantMessage,
  MAX_GRANTS,
  type EngineGrantMessage,
  type GrantPurpose,
} from '../engine/process-entry-protocol.js';
import { EngineHost, type ConnectableEngine, type RendererLink } from './engine-host.js';
import { appLayout } from './layout.js';
import { menuTemplate } from './menu.js';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  folderChoice,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedSender,
  isVettedExternalUrl,
  rememberGrant,
  SECURITY_HEADERS,
  windowOptions,
  withSecurityHeaders,
} from './policy.js';
import { CHANNELS, type MenuCommand } from './preload-api.js';
import { utilityEngine } from './utility-engine.js';

// Before 'ready': a scheme must be privileged before the first session exists. 'standard' gives
// app://studio a real origin (for 'self' in the CSP and for permission checks), 'secure' makes it
// a secure context (getUserMedia needs one).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);
// Every renderer sandboxed, whatever a window's options say.
app.enableSandbox();
// WebGPU for the compute window where Chromium keeps it behind switches (Linux).
for (const [name, value] of computeSwitches(process.platform)) app.commandLine.appendSwitch(name, value);

const development = !app.isPackaged;
const layout = appLayout(resolve(__dirname, '..', '..'), app.isPackaged ? process.resourcesPath : null);

if (!app.requestSingleInstanceLock()) {
  // Another instance runs; it was told (second-instance) and focuses its window.
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;
  const links = new Map<WebContents, RendererLink<MessagePortMain>>();

  // Folders the user chose in main's own dialogs, granted to the engine (main/engine/grants.ts):
  // the engine honours a folder outside the open project only when main granted it. Each grant
  // goes on the engine's parentPort, which only main writes to, before the dialog's answer goes
  // back to the page; a restarted engine gets them all again before anything else.
  //
  // UNTESTED END TO END: Electron cannot run in this repository's tests, so the path dialog ->
  // grant -> engine honouring the folder is untested; folderChoice/rememberGrant (policy.ts),
  // isGrantMessage (process-entry-protocol.ts) and PathGrants (grants.ts) are unit-tested.
  let grants: EngineGrantMessage[] = [];
  // Files picked in the import dialog (purpose 'import'), kept apart so a big pick never pushes a
  // folder's grant out (the engine, too, keeps MAX_GRANTS per purpose). The same caveat: the
  // dialog -> grant -> importPath path has not run under Electron here; chosenSounds
  // (chosen-files.ts), PathGrants and importPath (import-path.test.ts) are unit-tested.
  let importGrants: EngineGrantMessage[] = [];
  // The OSC setting (osc-setting.ts): the engine's OSC server, from --osc or settings.json.
  const osc = readOscSetting();
  /** The engine process last started (starting, running or gone): where grants go. */
  let engineProcess: ConnectableEngine<MessagePortMain> | null = null;
  const postGrant = (target: ConnectableEngine<MessagePortMain>, grant: EngineGrantMessage) => {
    // utility-engine.ts's `post` (child.postMessage); without it the engine refuses the folder.
    if (!target.post) {
      console.error(`engine: cannot grant ${grant.path}: the engine process takes no messages from main`);
      return;
    }
    try {
      // Queued by Electron until the process has started.
      target.post(grant);
    } catch (err) {
      // It has exited: its restart gets every grant again.
      console.error('engine: grant not delivered:', err);
    }
  };

  const engine = new EngineHost<MessagePortMain>(
    () => {
      const started = utilityEngine({
        entry: layout.engineEntry,
        args: [...layout.engineArgs, ...oscArgs(osc)],
        // webgpu/webgl train in a hidden compute window (compute-window.ts), its preload built beside
        // the window's (scripts/build-electron.ts), its page served as app://compute below.
        openComputeWindow: () => openComputeWindow(join(dirname(layout.preload), 'compute-preload.cjs')),
      });
      engineProcess = started;
      for (const grant of [...grants, ...importGrants]) postGrant(started, grant);
      return started;
    },
    {},
    (err) => console.error('engine:', err),
  );
  engine.supervisor.onState((change) => {
    if (change.state === 'crashed' || change.state === 'failed')
      console.error(`engine ${change.state}: ${change.reason}`);
  });

  /** The window whose main frame, on the app's own page, sent this IPC; null for anything else. */
  const trustedSender = (event: IpcMainEvent | IpcMainInvokeEvent): BrowserWindow | null => {
    const frame = event.senderFrame;
    const trusted =
      links.has(event.sender) &&
      isTrustedSender(frame ? { url: frame.url, isMainFrame: frame === event.sender.mainFrame } : null);
    return trusted ? BrowserWindow.fromWebContents(event.sender) : null;
  };
  const refuse = (what: string) =>
    new Error(`refused ${what}: the request did not come from the app's own page`);

  const createWindow = (): BrowserWindow => {
    const window = new BrowserWindow({
      ...windowOptions(layout.preload, { devTools: development }),
      icon: layout.icon,
    });
    const contents = window.webContents;
    const link: RendererLink<MessagePortMain> = {
      sendPort(port) {
        if (contents.isDestroyed()) port.close();
        else contents.postMessage(CHANNELS.enginePort, null, [port]);
      },
      sendStatus(status) {
        if (!contents.isDestroyed()) contents.send(CHANNELS.engineState, status);
      },
    };
    links.set(contents, link);
    const detach = engine.attach(link);
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      detach();
      links.delete(contents);
      if (mainWindow === window) mainWindow = null;
    });
    void window.loadURL(APP_ENTRY_URL);
    return window;
  };

  const sendCommand = (command: MenuCommand) => {
    // On macOS the menu outlives the window: a command then opens one and waits for its page.
    mainWindow ??= createWindow();
    const contents = mainWindow.webContents;
    const send = () => contents.send(CHANNELS.menuCommand, command);
    if (contents.isLoading()) contents.once('did-finish-load', send);
    else send();
  };

  const showAbout = () => {
    const options = {
      type: 'info' as const,
      title: 'About VAE Studio',
      message: `VAE Studio ${app.getVersion()}`,
      detail: `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node.js ${process.versions.node}`,
      buttons: ['OK'],
    };
    void (mainWindow ? dialog.showMessageBox(mainWindow, options) : dialog.showMessageBox(options));
  };

  /** Applied to every web contents the app ever makes: no navigation away, no new windows, no webviews. */
  const harden = (contents: WebContents) => {
    contents.on('will-navigate', (event) => {
      if (!isNavigationAllowed(event.url)) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!isNavigationAllowed(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // A link to an allow-listed site opens in the user's browser; nothing opens in the app.
      if (isVettedExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  };

  const setUpSession = () => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
      const allowed = isPermissionAllowed({
        permission,
        url: details.requestingUrl,
        mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined,
        isMainFrame: details.isMainFrame,
      });
      if (!allowed) return callback(false);
      // macOS asks the user once per app for the microphone (NSMicrophoneUsageDescription says why).
      if (process.platform === 'darwin' && permission === 'media') {
        systemPreferences.askForMediaAccess('microphone').then(callback, () => callback(false));
      } else {
        callback(true);
      }
    });
    ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
      isPermissionAllowed({
        permission,
        url: details.requestingUrl ?? requestingOrigin,
        mediaTypes: details.mediaType ? [details.mediaType] : undefined,
        isMainFrame: details.isMainFrame,
      }),
    );
    // The CSP and friends on every response in the session, whatever served it.
    ses.webRequest.onHeadersReceived((details, callback) =>
      callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) }),
    );

    // app://studio/... -> the built renderer's files; nothing outside that folder, GET and HEAD only.
    protocol.handle(APP_SCHEME, async (request) => {
      const url = new URL(request.url);
      const notFound = (text: string) =>
        new Response(text, {
          status: 404,
          headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
        });
      if (request.method !== 'GET' && request.method !== 'HEAD') return notFound('not found');
      // app://compute/... -> the compute window's page and script only (compute-policy.ts).
      const computeName = url.host === COMPUTE_HOST ? computeFile(url.pathname) : null;
      if (url.host !== APP_HOST && computeName === null) return notFound('not found');
      const file = computeName
        ? join(dirname(layout.rendererDir), 'browser', computeName)
        : await resolveStaticPath(layout.rendererDir, url.pathname);
      if (!file) {
        return notFound(
          url.pathname === '/index.html'
            ? `VAE Studio: the user interface has not been built (no ${layout.rendererDir}).`
            : 'not found',
        );
      }
      const response = await net.fetch(pathToFileURL(file).toString());
      const headers = new Headers(response.headers);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
      return new Response(response.body, { status: response.status, headers });
    });
  };

  const setUpIpc = () => {
    ipcMain.on(CHANNELS.connectEngine, (event) => {
      const link = trustedSender(event) ? links.get(event.sender) : undefined;
      if (link) engine.requestPort(link);
    });
    /** The native folder picker; the folder chosen is granted to the engine for `purpose`. */
    const folder = async (event: IpcMainInvokeEvent, title: string, purpose: GrantPurpose) => {
      const window = trustedSender(event);
      if (!window) throw refuse(title);
      const result = await dialog.showOpenDialog(window, {
        title,
        properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
      });
      const choice = folderChoice(result, purpose);
      if (!choice) return null;
      grants = rememberGrant(grants, choice.grant, MAX_GRANTS);
      if (engineProcess) postGrant(engineProcess, choice.grant);
      return choice.folder;
    };
    ipcMain.handle(CHANNELS.chooseProjectFolder, (event) => folder(event, 'Open Project', 'project'));
    ipcMain.handle(CHANNELS.chooseExportFolder, (event) => folder(event, 'Choose Export Folder', 'export'));
    ipcMain.handle(CHANNELS.chooseSounds, async (event) => {
      const window = trustedSender(event);
      if (!window) throw refuse('Import Sounds');
      const result = await dialog.showOpenDialog(window, {
        title: 'Import Sounds',
        properties: ['openFile', 'multiSelections'],
        filters: [{ name: 'Audio (WAV, FLAC, Ogg Vorbis, MP3, AIFF)', extensions: SOUND_EXTENSIONS }],
      });
      if (result.canceled) return [];
      const chosen = await chosenSounds(result.filePaths, MAX_GRANTS);
      // Each file granted to the engine before the page hears of it, so its importPath is honoured.
      for (const sound of chosen) {
        if (!('path' in sound)) continue;
        const grant = grantMessage(sound.path, 'import');
        importGrants = rememberGrant(importGrants, grant, MAX_GRANTS);
        if (engineProcess) postGrant(engineProcess, grant);
      }
      return chosen;
    });
    ipcMain.handle(CHANNELS.showFolder, async (event, path: unknown) => {
      if (!trustedSender(event)) throw refuse('showFolder');
      // A folder only (an export's): opening a file could run it.
      if (
        typeof path !== 'string' ||
        !isAbsolute(path) ||
        !(await stat(path).catch(() => null))?.isDirectory()
      ) {
        throw new Error(`refused to show ${JSON.stringify(path)}: not a folder`);
      }
      const failure = await shell.openPath(path);
      if (failure) throw new Error(`cannot show ${path}: ${failure}`);
    });
    ipcMain.handle(CHANNELS.openExternal, async (event, url: unknown) => {
      if (!trustedSender(event)) throw refuse('openExternal');
      if (typeof url !== 'string' || !isVettedExternalUrl(url)) {
        throw new Error(
          `refused to open ${JSON.stringify(url)}: only https links to allow-listed sites open`,
        );
      }
      await shell.openExternal(url);
    });
  };

  app.on('web-contents-created', (_event, contents) => harden(contents));
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    // macOS apps stay open without windows; the engine keeps running for the next one.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && !mainWindow) mainWindow = createWindow();
  });
  app.on('will-quit', () => engine.stop());

  app
    .whenReady()
    .then(() => {
      setUpSession();
      setUpIpc();
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          menuTemplate({ platform: process.platform, development, command: sendCommand, about: showAbout }),
        ),
      );
      // The windows hear the outcome (running, or failed with the reason) through their status.
      engine.start().catch(() => {});
      mainWindow = createWindow();
    })
    .catch((err: unknown) => {
      dialog.showErrorBox(
        'VAE Studio could not start',
        err instanceof Error ? (err.stack ?? err.message) : String(err),
      );
      app.exit(1);
    });
}

/** The OSC setting from the command line or <userData>/settings.json (untested here: no Electron). */
function readOscSetting(): OscSetting | null {
  let text: string | null = null;
  try {
    text = readFileSync(join(app.getPath('userData'), 'settings.json'), 'utf8');
  } catch {
    // No settings file: OSC is off unless the command line asks.
  }
  const { setting, problem } = oscSetting(
    { osc: app.commandLine.getSwitchValue('osc'), oscHost: app.commandLine.getSwitchValue('osc-host') },
    text,
  );
  if (problem) console.error(`OSC: ${problem}; starting without OSC`);
  return setting;
}
