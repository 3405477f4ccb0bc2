// The compute window's preload (sandboxed, context-isolated): it exposes nothing. It waits for the
// one MessagePort main sends on COMPUTE_PORT_CHANNEL and posts it to the page's own window, where
// ml/browser/page.ts takes it (the pattern Electron documents for MessagePorts in the main world).
import { ipcRenderer } from 'electron';
import { COMPUTE_PORT_CHANNEL, isPortHandover } from './compute-policy.js';

// The page's window (this program is type-checked without the DOM library).
const page = globalThis as unknown as {
  location: { origin: string };
  postMessage(message: string, targetOrigin: string, transfer: unknown[]): void;
};

ipcRenderer.once(COMPUTE_PORT_CHANNEL, (event) => {
  if (!isPortHandover(COMPUTE_PORT_CHANNEL, event.ports)) return;
  page.postMessage(COMPUTE_PORT_CHANNEL, page.location.origin, [...event.ports]);
});
