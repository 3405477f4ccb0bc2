// The compute page's protocol (ml/browser/protocol.ts), without anything browser-only: 'start'
// loads a backend through the platform and builds a Trainer that takes the engine's state, 'epoch'
// trains one epoch and answers with the state after it, 'cancel' stops the running epoch at its next
// batch, 'matmul' measures the backend, 'probe' reports the adapters. page.ts runs it in the browser
// on WebGPU or WebGL; the Node tests (page-core.test.ts) run it in a worker thread on wasm.
//
// Cancel: the page's Trainer yields to the event loop after every batch, so a 'cancel' waiting in
// the channel is read before the next batch starts and the epoch stops there (at most one batch
// after the page received it).
import * as tf from '@tensorflow/tfjs-core';
import type { Corpus } from '../vae/corpus.js';
import { NonFiniteLossError, Trainer } from '../vae/trainer.js';
import type {
  AdapterInfo,
  BrowserBackendName,
  HostMessage,
  PageDevice,
  PageErrorKind,
  PageMessage,
} from './protocol.js';
import { applyState, captureState } from './trainer-state.js';

/** How the page talks to the engine: a WebSocket with codec frames, or a message port with objects. */
export interface PageChannel {
  send(message: PageMessage): void;
  listen(handler: (message: HostMessage) => void): void;
}

/** What differs between the browser and a test: which backend to load, and what adapters exist. */
export interface PagePlatform {
  /** Makes `name` tf's backend (or fails with PageBackendError) and says what now runs. */
  selectBackend(name: BrowserBackendName): Promise<PageDevice>;
  /** The adapters for 'probe'. */
  probe(): Promise<{
    webgpu: AdapterInfo | null;
    webgpuReason?: string;
    webgl: AdapterInfo | null;
    webglReason?: string;
    userAgent: string;
  }>;
}

/** The requested backend cannot run here: reported to the engine as an error of kind 'backend'. */
export class PageBackendError extends Error {
  override name = 'PageBackendError';
}

/** Batch progress goes out at most this often (and always for the last batch). */
const BATCH_REPORT_MS = 100;

export interface ServedPage {
  /** Resolves when every request received so far has been answered. */
  idle(): Promise<void>;
  /** Releases the Trainer (after the request in progress); later requests fail. */
  dispose(): Promise<void>;
}

/** Serves the protocol on `channel`: says 'hello', then answers requests one at a time, in order. */
export function servePage(channel: PageChannel, platform: PagePlatform): ServedPage {
  let trainer: Trainer | null = null;
  let device: PageDevice | null = null;
  let disposed = false;
  /** Set by 'cancel'; cleared when an 'epoch' request arrives (a cancel applies to the epoch before it). */
  let stop = false;
  /** Batches the running epoch had done when its cancel arrived (-1: none arrived). */
  let cancelAt = -1;
  let done = 0;
  let busy: Promise<void> = Promise.resolve();
  const tensors = () => tf.memory().numTensors;

  const start = async (m: Extract<HostMessage, { type: 'start' }>) => {
    trainer?.dispose();
    trainer = null;
    device = null;
    const selected = await platform.selectBackend(m.backend);
    const corpus: Corpus = { ...m.corpus };
    trainer = new Trainer(m.config, corpus);
    await applyState(trainer, m.state);
    device = selected;
    channel.send({ type: 'ready', device, tensors: tensors() });
  };

  const epoch = async () => {
    if (!trainer || !device) throw new Error("'epoch' before 'start'");
    const next = trainer.epoch + 1;
    let last = -Infinity;
    done = 0;
    const report = await trainer.runEpoch({
      shouldStop: () => stop,
      onBatch: (d, total) => {
        done = d;
        const now = performance.now();
        if (d === total || now - last > BATCH_REPORT_MS) {
          last = now;
          channel.send({ type: 'batch', epoch: next, done: d, total });
        }
      },
      yieldEvery: 1,
    });
    if (!report) {
      channel.send({
        type: 'cancelled',
        epoch: trainer.epoch,
        done,
        cancelAt,
        device,
        tensors: tensors(),
      });
      return;
    }
    const state = await captureState(trainer);
    channel.send({ type: 'epoch', report, state, device, tensors: tensors() });
  };

  const handle = async (m: HostMessage) => {
    if (disposed) throw new Error('the compute page is closed');
    switch (m.type) {
      case 'probe':
        channel.send({ type: 'probed', ...(await platform.probe()) });
        return;
      case 'start':
        return start(m);
      case 'matmul':
        if (!device) throw new Error("'matmul' before 'start'");
        channel.send({ type: 'matmul', gflops: await matmulGflops(m.n) });
        return;
      case 'epoch':
        return epoch();
      default:
        throw new Error(`unknown request '${String((m as { type?: unknown }).type)}'`);
    }
  };

  const fail = (kind: PageErrorKind, message: string) => channel.send({ type: 'error', kind, message });

  channel.listen((m) => {
    if (m.type === 'cancel') {
      if (!stop) cancelAt = done;
      stop = true;
      return;
    }
    if (m.type === 'epoch') {
      stop = false;
      cancelAt = -1;
      done = 0;
    }
    busy = busy.then(async () => {
      try {
        await handle(m);
      } catch (error) {
        if (error instanceof NonFiniteLossError) fail('diverged', error.message);
        else if (error instanceof PageBackendError) fail('backend', error.message);
        else fail('internal', error instanceof Error ? (error.stack ?? error.message) : String(error));
      }
    });
  });
  channel.send({ type: 'hello' });

  return {
    idle: () => busy,
    dispose() {
      disposed = true;
      busy = busy.then(() => {
        trainer?.dispose();
        trainer = null;
      });
      return busy;
    },
  };
}

/** GFLOP/s of an n×n matrix product on the running backend (two warm-up products, then eight timed). */
export async function matmulGflops(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1 || n > 8192) throw new RangeError(`matmul size must be 1…8192, got ${n}`);
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
