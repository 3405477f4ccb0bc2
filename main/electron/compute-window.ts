// Opens the hidden compute window (compute-policy.ts) and hands its page a MessagePort; the other
// end is returned for the engine, which speaks ml/browser/protocol.ts over it, as it does over the
// browser host's WebSocket.
import { BrowserWindow, MessageChannelMain, type MessagePortMain } from 'electron';
import {
  COMPUTE_PORT_CHANNEL,
  COMPUTE_URL,
  computeWindowOptions,
  isComputeNavigationAllowed,
  isComputePermissionAllowed,
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
  webContents.session.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(isComputePermissionAllowed()),
  );
  webContents.session.setPermissionCheckHandler(() => isComputePermissionAllowed());
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
