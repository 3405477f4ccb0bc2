/**
 * The one place the renderer picks its transport to the engine. Under Electron the preload hands
 * the page a MessagePort straight to the engine process (window.postMessage 'vae-studio:engine-port');
 * in a browser (`vae-studio serve`) the page opens a WebSocket to /api on its own host with the
 * token from its URL.
 */
import { createClient, type StudioClient } from '../../../common/client.js';
import { messagePortTransport, webSocketTransport } from '../../../common/transport.js';
import type { EngineStatus, VaeStudioBridge } from '../../../main/electron/preload-api.js';

/** preload-api.ts's ENGINE_PORT_MESSAGE (the renderer imports only types from main/). */
const ENGINE_PORT_MESSAGE = 'vae-studio:engine-port';

declare global {
  interface Window {
    /** What main/electron/preload.ts exposes; absent in a browser. */
    vaeStudio?: VaeStudioBridge;
  }
}

export function isDesktop(): boolean {
  return typeof window.vaeStudio === 'object' && window.vaeStudio !== null;
}

/** Resolves with the next engine port the preload forwards (the first, or a fresh one after a restart). */
function nextEnginePort(): Promise<MessagePort> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window || event.data !== ENGINE_PORT_MESSAGE || !event.ports[0]) return;
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

/**
 * A client connected to the engine by whichever transport this window has. `onclose` is called
 * once when a WebSocket connection closes (the engine stopped, or the network went); under
 * Electron main's supervisor reports the engine's state instead (onEngineState).
 */
export async function connect(onclose?: () => void): Promise<StudioClient> {
  if (isDesktop()) {
    const next = nextEnginePort();
    // Main sends a port only when asked, so none is posted before this page listens.
    window.vaeStudio!.connectEngine();
    const port = await next;
    port.start();
    return createClient(messagePortTransport(port));
  }
  const socket = await openSocket();
  if (onclose) socket.addEventListener('close', () => onclose(), { once: true });
  return createClient(webSocketTransport(socket));
}

/**
 * Whether the server behind this page answers at all (the browser mode): when it does but its
 * WebSocket refuses this page's token, a restarted `vae-studio serve` has a new one.
 */
export async function serverAnswers(timeoutMs = 1500): Promise<boolean> {
  if (isDesktop()) return true;
  try {
    await fetch(new URL('/', window.location.href), {
      method: 'HEAD',
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return true;
  } catch {
    return false;
  }
}

/** Under Electron, calls `listener` with a client for each fresh engine port (after a restart). */
export function onEngineRestart(listener: (client: StudioClient) => void): void {
  if (!isDesktop()) return;
  void (async () => {
    // The first port is connect()'s; every later one follows a restart.
    await nextEnginePort();
    for (;;) {
      const port = await nextEnginePort();
      port.start();
      listener(createClient(messagePortTransport(port)));
    }
  })();
}

/** Under Electron, the engine process's state as main's supervisor reports it. */
export function onEngineState(listener: (status: EngineStatus) => void): () => void {
  return window.vaeStudio?.onEngineState(listener) ?? (() => {});
}
