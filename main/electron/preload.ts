// The preload of the app's window (sandboxed, context-isolated): exposes `window.vaeStudio` and
// hands engine ports into the page, nothing else. Bundled into one CommonJS file
// (scripts/build-electron.ts), since a sandboxed preload can require only 'electron' and a few
// Node polyfills. See preload-api.ts for the surface and the port hand-over.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi, forwardEnginePorts } from './preload-api.js';

// The Node-side tsconfig has no DOM library; these are the two page APIs the preload touches.
const page = globalThis as unknown as {
  location: { origin: string };
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
};

contextBridge.exposeInMainWorld('vaeStudio', createPreloadApi(ipcRenderer, process.platform));

// Addressed to the page's own origin (app://studio), so a port can never reach another page.
forwardEnginePorts(ipcRenderer, (message, ports) =>
  page.postMessage(message, page.location.origin, [...ports]),
);
