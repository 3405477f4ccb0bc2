/**
 * The one place the renderer picks its transport to the engine. Under Electron the preload hands
 * the page a MessagePort straight to the engine process (window.postMessage 'vae-studio:engine-port');
 * in a browser (`vae-studio serve`) the page opens a WebSocket to /api on its own host with the
 * token from its URL.
 */
import { createClient, type StudioClient } from '../../../common/client.js';
import { messagePortTransport, webSocketTransport } from '../../../common/transport.js';

/** What main/electron/preload.ts exposes; absent in a browser. */
export interface DesktopBridge {
  platform: string;
}

declare global {
  interface Window {
    vaeStudio?: DesktopBridge;
  }
}

export function isDesktop(): boolean {
  return typeof window.vaeStudio === 'object' && window.vaeStudio !== null;
}

/** Resolves with the next engine port the preload forwards (the first, or a fresh one after a restart). */
function nextEnginePort(): Promise<MessagePort> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window || event.data !== 'vae-studio:engine-port' || !event.ports[0]) return;
      window.removeEventListener('message', onMessage);
      resolve(event.ports[0]);
    };
    window.addEventListener('message', onMessage);
  });
}

function openSocket(): Promise<WebSocket> {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token') ?? '';
  const ws = new URL(`/api?token=${encodeURIComponent(token)}`, url);
  ws.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(ws);
  socket.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(socket), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot reach the engine at ${ws.origin}`)), {
      once: true,
    });
  });
}

/** A client connected to the engine by whichever transport this window has. */
export async function connect(): Promise<StudioClient> {
  if (isDesktop()) {
    const port = await nextEnginePort();
    port.start();
    return createClient(messagePortTransport(port));
  }
  return createClient(webSocketTransport(await openSocket()));
}

/** Under Electron, calls `listener` with a client for each fresh engine port (after a restart). */
export function onEngineRestart(listener: (client: StudioClient) => void): void {
  if (!isDesktop()) return;
  void (async () => {
    for (;;) {
      const port = await nextEnginePort();
      port.start();
      listener(createClient(messagePortTransport(port)));
    }
  })();
}
