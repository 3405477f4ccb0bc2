// The compute page: runs the same Trainer as the training worker thread, on a browser backend
// (WebGPU or WebGL), driven by the engine over ml/browser/protocol.ts. Under the CLI and `serve` it
// is served by the training worker on 127.0.0.1 and opens a WebSocket back (the URL's `ws`
// parameter); in Electron's hidden compute window, main hands it a MessagePort instead (through
// compute-preload, which forwards the one port and exposes nothing else). Bundled for the browser
// by scripts/build-browser.ts into dist/browser/compute-page.js.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import { decodeMessage, encodeMessage } from '../../common/codec.js';
import { type PageChannel, PageBackendError, servePage } from './page-core.js';
import {
  type AdapterInfo,
  type BrowserBackendName,
  type HostMessage,
  isSoftwareName,
  type PageDevice,
} from './protocol.js';

// trainer.ts yields with setImmediate between batches (Node's); a message-channel turn here, so a
// 'cancel' from the engine is read between batches (page-core.ts yields after every batch).
if (typeof (globalThis as { setImmediate?: unknown }).setImmediate !== 'function') {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate = (f) => {
    queue.push(f);
    channel.port2.postMessage(0);
  };
}

function webSocketChannel(url: string): Promise<PageChannel> {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    socket.onopen = () =>
      resolve({
        send: (m) => socket.send(encodeMessage(m)),
        listen: (handler) => {
          socket.onmessage = (e) => handler(decodeMessage(e.data as ArrayBuffer) as HostMessage);
        },
      });
  });
}

/** Electron: the preload posts the port main handed over to this page as 'vae-studio:compute-port'. */
function portChannel(): Promise<PageChannel> {
  return new Promise((resolve) => {
    const onMessage = (e: MessageEvent) => {
      if (e.source !== window || e.data !== 'vae-studio:compute-port' || e.ports.length !== 1) return;
      window.removeEventListener('message', onMessage);
      const port = e.ports[0];
      resolve({
        send: (m) => port.postMessage(m),
        listen: (handler) => {
          port.onmessage = (event) => handler(event.data as HostMessage);
          port.start();
        },
      });
    };
    window.addEventListener('message', onMessage);
  });
}

async function webgpuAdapter(): Promise<{ adapter: AdapterInfo | null; reason?: string }> {
  const gpu = (navigator as { gpu?: { requestAdapter(o?: object): Promise<unknown> } }).gpu;
  if (!gpu) return { adapter: null, reason: 'this browser offers no WebGPU (navigator.gpu is missing)' };
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as {
    info?: Record<string, unknown>;
    requestAdapterInfo?: () => Promise<Record<string, unknown>>;
    isFallbackAdapter?: boolean;
  } | null;
  if (!adapter) return { adapter: null, reason: 'WebGPU offers no adapter here (no usable GPU or driver)' };
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  const text = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const vendor = text('vendor');
  const architecture = text('architecture');
  const description = text('description');
  const fallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true;
  return {
    adapter: {
      vendor,
      architecture,
      description,
      software: fallback || isSoftwareName(vendor, architecture, description),
    },
  };
}

function webglRenderer(): { adapter: AdapterInfo | null; reason?: string } {
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2');
  if (!gl) return { adapter: null, reason: 'this browser offers no WebGL 2 context here' };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const vendor = String(ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR));
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return {
    adapter: { vendor, architecture: '', description: renderer, software: isSoftwareName(vendor, renderer) },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Makes WebGPU or WebGL tf's backend, after checking that an adapter exists. */
async function selectBackend(backend: BrowserBackendName): Promise<PageDevice> {
  const probe = backend === 'webgpu' ? await webgpuAdapter() : webglRenderer();
  if (!probe.adapter) throw new PageBackendError(probe.reason);
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
  } catch (error) {
    throw new PageBackendError(`tf.setBackend('${backend}') failed: ${message(error)}`);
  }
  if (!ok || tf.getBackend() !== backend)
    throw new PageBackendError(`tf.setBackend('${backend}') could not start the backend`);
  await tf.ready();
  return { tfBackend: tf.getBackend(), adapter: probe.adapter, userAgent: navigator.userAgent };
}

async function main(): Promise<void> {
  const ws = new URLSearchParams(location.search).get('ws');
  const channel = ws ? await webSocketChannel(ws) : await portChannel();
  servePage(channel, {
    selectBackend,
    probe: async () => {
      const gpu = await webgpuAdapter();
      const gl = webglRenderer();
      return {
        webgpu: gpu.adapter,
        webgpuReason: gpu.reason,
        webgl: gl.adapter,
        webglReason: gl.reason,
        userAgent: navigator.userAgent,
      };
    },
  });
}

main().catch((error: unknown) => {
  console.error('compute page:', error);
});
