// The compute page's core (page-core.ts) in a Node worker thread, on the wasm backend standing in
// for WebGPU / WebGL: what page-core.test.ts drives through portSession() and the real
// BrowserTrainer, so cancel, resume, divergence and tensor counts inside the page are tested without
// a browser. workerData: { port } — the page's end of a MessageChannel, transferred. The worker
// ends when the engine closes its end.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { type PageChannel, servePage } from './page-core.js';
import type { HostMessage, PageMessage } from './protocol.js';

const { port } = workerData as { port: MessagePort };
if (parentPort === null || !port) throw new Error('testing-page.ts runs as a worker thread with a port');

const channel: PageChannel = {
  send: (m: PageMessage) => port.postMessage(m),
  listen: (handler) => port.on('message', (m: HostMessage) => handler(m)),
};
const page = servePage(channel, {
  async selectBackend() {
    await initBackend('wasm', 'training');
    return { tfBackend: tf.getBackend(), adapter: null, userAgent: `node ${process.version} worker thread` };
  },
  probe: () =>
    Promise.resolve({
      webgpu: null,
      webgpuReason: 'a Node worker thread has no WebGPU',
      webgl: null,
      webglReason: 'a Node worker thread has no WebGL',
      userAgent: `node ${process.version} worker thread`,
    }),
});
port.on('close', () => {
  void page.dispose().then(() => port.close());
});
