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
import { NonFiniteLossError, Trainer } from '../vae/trainer.js';
import type { Corpus } from '../vae/corpus.js';
import {
  type AdapterInfo,
  type BrowserBackendName,
  type HostMessage,
  isSoftwareName,
  type PageDevice,
  type PageMessage,
} from './protocol.js';
import { applyState, captureState } from './trainer-state.js';

// trainer.ts yields with setImmediate between batches (Node's); a message-channel turn here, so a
// 'cancel' from the engine is read between batches.
if (typeof (globalThis as { setImmediate?: unknown }).setImmediate !== 'function') {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate = (f) => {
    queue.push(f);
    channel.port2.postMessage(0);
  };
}

interface Channel {
  send(message: PageMessage): void;
  listen(handler: (message: HostMessage) => void): void;
}

function webSocketChannel(url: string): Promise<Channel> {
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
function portChannel(): Promise<Channel> {
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

/** GFLOP/s of an n×n matrix product on the running backend (two warm-up products, then eight timed). */
async function matmulGflops(n: number): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  try {
    for (let i = 0; i < 2; i++) {
      const c = tf.matMul(a, a);
      await c.data();
      c.dispose();
    }
    const reps = 8;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const c = tf.matMul(a, a);
      await c.data();
      c.dispose();
    }
    return (reps * 2 * n ** 3) / ((performance.now() - t0) / 1000) / 1e9;
  } finally {
    a.dispose();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const ws = params.get('ws');
  const channel = ws ? await webSocketChannel(ws) : await portChannel();
  let trainer: Trainer | null = null;
  let device: PageDevice | null = null;
  let stop = false;
  let busy: Promise<void> = Promise.resolve();
  const fail = (kind: 'backend' | 'diverged' | 'internal', error: unknown) =>
    channel.send({ type: 'error', kind, message: message(error) });

  const start = async (m: Extract<HostMessage, { type: 'start' }>) => {
    const backend: BrowserBackendName = m.backend;
    const probe = backend === 'webgpu' ? await webgpuAdapter() : webglRenderer();
    if (!probe.adapter) throw Object.assign(new Error(probe.reason), { kind: 'backend' });
    let ok: boolean;
    try {
      ok = await tf.setBackend(backend);
    } catch (error) {
      throw Object.assign(new Error(`tf.setBackend('${backend}') failed: ${message(error)}`), {
        kind: 'backend',
      });
    }
    if (!ok || tf.getBackend() !== backend)
      throw Object.assign(new Error(`tf.setBackend('${backend}') could not start the backend`), {
        kind: 'backend',
      });
    await tf.ready();
    device = { tfBackend: tf.getBackend(), adapter: probe.adapter, userAgent: navigator.userAgent };
    const corpus: Corpus = { ...m.corpus };
    trainer?.dispose();
    trainer = null;
    trainer = new Trainer(m.config, corpus);
    await applyState(trainer, m.state);
    channel.send({ type: 'ready', device, tensors: tf.memory().numTensors });
  };

  const epoch = async () => {
    if (!trainer || !device) throw new Error("'epoch' before 'start'");
    stop = false;
    const next = trainer.epoch + 1;
    let last = 0;
    const report = await trainer.runEpoch({
      shouldStop: () => stop,
      onBatch: (done, total) => {
        const now = performance.now();
        if (done === total || now - last > 100) {
          last = now;
          channel.send({ type: 'batch', epoch: next, done, total });
        }
      },
    });
    if (!report) {
      channel.send({ type: 'cancelled', epoch: trainer.epoch, device, tensors: tf.memory().numTensors });
      return;
    }
    const state = await captureState(trainer);
    channel.send({ type: 'epoch', report, state, device, tensors: tf.memory().numTensors });
  };

  channel.listen((m) => {
    if (m.type === 'cancel') {
      stop = true;
      return;
    }
    // One request at a time, in order.
    busy = busy.then(async () => {
      try {
        if (m.type === 'probe') {
          const gpu = await webgpuAdapter();
          const gl = webglRenderer();
          channel.send({
            type: 'probed',
            webgpu: gpu.adapter,
            webgpuReason: gpu.reason,
            webgl: gl.adapter,
            webglReason: gl.reason,
            userAgent: navigator.userAgent,
          });
        } else if (m.type === 'start') await start(m);
        else if (m.type === 'matmul') channel.send({ type: 'matmul', gflops: await matmulGflops(m.n) });
        else if (m.type === 'epoch') await epoch();
      } catch (error) {
        if (error instanceof NonFiniteLossError) fail('diverged', error);
        else if ((error as { kind?: string }).kind === 'backend') fail('backend', error);
        else fail('internal', error instanceof Error ? (error.stack ?? error.message) : error);
      }
    });
  });
  channel.send({ type: 'hello' });
}

main().catch((error: unknown) => {
  console.error('compute page:', error);
});
