// Opens the hidden compute window (compute-policy.ts) and hands its page a MessagePort; the other
// end is returned for the engine (utility-engine.ts transfers it to the utility process, whose
// compute-relay.ts relays it to the training worker), which speaks ml/browser/protocol.ts over it,
// as it does over the browser host's WebSocket. Permissions: the window shares the default session,
// whose handlers (main.ts, policy.ts isPermissionAllowed) grant nothing outside app://studio, so
// app://compute gets none; this module does not install handlers of its own, which would replace
// the main window's. Never run here (no Electron binary): type-checked only.
import { BrowserWindow, MessageChannelMain, type MessagePortMain } from 'electron';
import {
  COMPUTE_PORT_CHANNEL,
  COMPUTE_URL,
  computeWindowOptions,
  isComputeNavigationAllowed,
} from './compute-policy.js';

export interface ComputeWindow {
  /** The engine's end of the page's channel. */
  port: MessagePortMain;
  /** Closes the window (and with it the page's end). */
  close(): void;
}

export async function openComputeWindow(preloadPath: string): Promise<ComputeWindow> {
  const window = new BrowserWindow(computeWindowOptions(preloadPath));
  const { webContents } = window;
  webContents.on('will-navigate', (event, url) => {
    if (!isComputeNavigationAllowed(url)) event.preventDefault();
  });
  webContents.on('will-redirect', (event, url) => {
    if (!isComputeNavigationAllowed(url)) event.preventDefault();
  });
  webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // A crashed or killed page: the window goes, and with it the page's port, so the engine's relay
  // ends the run's lease and the run fails with the page's port closed.
  webContents.on('render-process-gone', () => {
    if (!window.isDestroyed()) window.destroy();
  });
  try {
    await window.loadURL(COMPUTE_URL);
  } catch (error) {
    window.destroy();
    throw error;
  }
  const { port1, port2 } = new MessageChannelMain();
  webContents.postMessage(COMPUTE_PORT_CHANNEL, null, [port1]);
  return {
    port: port2,
    close: () => {
      port2.close();
      if (!window.isDestroyed()) window.destroy();
    },
  };
}
