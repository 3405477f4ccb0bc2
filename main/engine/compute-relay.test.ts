// The compute window relay, with real worker_threads MessageChannels standing in for Electron's
// ports: the test plays main (it answers the relay's requests with one end of a fresh channel) and
// the compute page (it holds the other end).
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { startTraining } from '../../ml/vae/train-job.js';
import type { TrainEvent } from '../../ml/vae/train-protocol.js';
import { DEFAULT_TRAIN_CONFIG } from '../../ml/vae/trainer.js';
import { workerUrl } from '../../ml/worker-url.js';
import { packageRoot } from '../package-info.js';
import { ComputeRelay, computeWindowBackends } from './compute-relay.js';
import {
  COMPUTE_CLOSE_MESSAGE,
  COMPUTE_FAILED_MESSAGE,
  COMPUTE_OPEN_MESSAGE,
  COMPUTE_OPENED_MESSAGE,
  type ComputeRequest,
} from './process-entry-protocol.js';

const opened: MessagePort[] = [];
const relays: ComputeRelay[] = [];
afterEach(() => {
  relays.splice(0).forEach((r) => r.dispose());
  opened.splice(0).forEach((p) => p.close());
});

/** A relay whose requests land in `requests`, and `main.answer(id)` that opens a "window". */
function setUp(options: { timeoutMs?: number } = {}) {
  const requests: ComputeRequest[] = [];
  const logs: string[] = [];
  let wake: (() => void) | null = null;
  const relay = new ComputeRelay(
    (m) => {
      requests.push(m);
      wake?.();
    },
    { ...options, log: (m) => logs.push(m), browser: { path: 'electron', version: '130.0' } },
  );
  relays.push(relay);
  const main = {
    /** The id of the latest open request. */
    lastOpen(): number {
      const open = requests.filter((r) => r.type === COMPUTE_OPEN_MESSAGE);
      return open[open.length - 1].id;
    },
    /** Main opens window `id`: the page's end comes back. */
    answer(id: number): MessagePort {
      const { port1: page, port2 } = new MessageChannel();
      opened.push(page, port2);
      expect(relay.handle({ type: COMPUTE_OPENED_MESSAGE, id }, [port2])).toBe(true);
      return page;
    },
    closes: () => requests.filter((r) => r.type === COMPUTE_CLOSE_MESSAGE).map((r) => r.id),
    nextRequest: () => new Promise<void>((resolve) => (wake = resolve)),
  };
  return { relay, requests, logs, main };
}

const nextMessage = (port: MessagePort) => once(port, 'message').then(([m]) => m as unknown);

describe('ComputeRelay', () => {
  it('asks main for a window and pipes its page to the worker end both ways, in order, typed arrays intact', async () => {
    const { relay, requests, main } = setUp();
    const leasing = relay.open();
    expect(requests).toEqual([{ type: COMPUTE_OPEN_MESSAGE, id: 1 }]);
    const page = main.answer(1);
    const lease = await leasing;
    expect(relay.active).toEqual({ leases: 1, pending: 0 });

    const toPage: unknown[] = [];
    page.on('message', (m) => toPage.push(m));
    for (let i = 0; i < 5; i++) lease.port.postMessage({ type: 'epoch', i });
    const frames = new Float32Array([0.25, -1, 3.5]);
    const fromPage = nextMessage(lease.port);
    page.postMessage({ type: 'ready', frames });
    expect(await fromPage).toEqual({ type: 'ready', frames });
    await new Promise((r) => setTimeout(r, 20));
    expect(toPage).toEqual([0, 1, 2, 3, 4].map((i) => ({ type: 'epoch', i })));
    lease.close();
    await lease.closed;
    expect(main.closes()).toEqual([1]);
    expect(relay.active).toEqual({ leases: 0, pending: 0 });
  });

  it('ends the lease when the page goes: the worker end closes and main is told to close the window', async () => {
    const { relay, main } = setUp();
    const leasing = relay.open();
    const page = main.answer(main.lastOpen());
    const lease = await leasing;
    const workerClosed = once(lease.port, 'close');
    page.close();
    await lease.closed;
    await workerClosed;
    expect(main.closes()).toEqual([1]);
    expect(relay.active.leases).toBe(0);
  });

  it('ends the lease when the worker end goes: the page hears its port close', async () => {
    const { relay, main } = setUp();
    const leasing = relay.open();
    const page = main.answer(main.lastOpen());
    const lease = await leasing;
    const pageClosed = once(page, 'close');
    lease.port.close();
    await lease.closed;
    await pageClosed;
    expect(main.closes()).toEqual([1]);
  });

  it('relays to a real worker thread the port was transferred to, and ends when the worker exits', async () => {
    const { relay, main } = setUp();
    const leasing = relay.open();
    const page = main.answer(main.lastOpen());
    const lease = await leasing;
    // The worker echoes what the page sends, doubled, then the page tells it to stop.
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const port = workerData.port;
       port.on('message', (m) => { if (m === 'stop') process.exit(0); port.postMessage(m * 2); });`,
      { eval: true, workerData: { port: lease.port }, transferList: [lease.port] },
    );
    const answer = nextMessage(page);
    page.postMessage(21);
    expect(await answer).toBe(42);
    const pageClosed = once(page, 'close');
    page.postMessage('stop');
    await once(worker, 'exit');
    await lease.closed;
    await pageClosed;
    expect(main.closes()).toEqual([1]);
  });

  it("refuses an answer for an id it is not waiting on, closing that answer's port", async () => {
    const { relay, logs, main } = setUp();
    const { port1: page, port2 } = new MessageChannel();
    opened.push(page);
    const closed = once(page, 'close');
    expect(relay.handle({ type: COMPUTE_OPENED_MESSAGE, id: 99 }, [port2])).toBe(true);
    await closed;
    expect(logs.join('\n')).toMatch(/refused a compute window answer for 99/);
    expect(main.closes()).toEqual([99]);
    expect(relay.active).toEqual({ leases: 0, pending: 0 });
  });

  it('leaves messages that are not compute answers to its caller', () => {
    const { relay } = setUp();
    expect(relay.handle('vae-studio:connect', [])).toBe(false);
    expect(relay.handle({ type: COMPUTE_OPENED_MESSAGE, id: 'x' }, [])).toBe(false);
    expect(relay.handle({ type: COMPUTE_FAILED_MESSAGE, id: 1 }, [])).toBe(false);
  });

  it("fails the open with main's reason when main cannot open a window", async () => {
    const { relay } = setUp();
    const leasing = relay.open();
    relay.handle({ type: COMPUTE_FAILED_MESSAGE, id: 1, message: 'GPU process crashed' }, []);
    await expect(leasing).rejects.toThrow(/could not open a compute window: GPU process crashed/);
    expect(relay.active.pending).toBe(0);
  });

  it('fails an open main does not answer in time, and refuses the late answer', async () => {
    const { relay, main } = setUp({ timeoutMs: 50 });
    await expect(relay.open()).rejects.toThrow(/did not open a compute window within 0.05 s/);
    expect(main.closes()).toEqual([1]);
    const { port1: page, port2 } = new MessageChannel();
    opened.push(page);
    const closed = once(page, 'close');
    relay.handle({ type: COMPUTE_OPENED_MESSAGE, id: 1 }, [port2]);
    await closed;
    expect(relay.active).toEqual({ leases: 0, pending: 0 });
  });

  it('on dispose, ends every lease and fails every open still waiting', async () => {
    const { relay, main } = setUp();
    const first = relay.open();
    const page = main.answer(1);
    const lease = await first;
    const waiting = relay.open();
    const pageClosed = once(page, 'close');
    relay.dispose();
    await expect(waiting).rejects.toThrow(/shutting down/);
    await lease.closed;
    await pageClosed;
    expect(main.closes().sort()).toEqual([1, 2]);
    await expect(relay.open()).rejects.toThrow(/shutting down/);
  });

  it("probes the window's page once, closes the window, and backends() offers webgpu through it", async () => {
    const { relay, requests, main } = setUp();
    const adapter = { vendor: 'nvidia', architecture: 'ada', description: 'RTX 4070', software: false };
    const probed = main.nextRequest().then(() => {
      const page = main.answer(main.lastOpen());
      page.on('message', (m: { type: string }) => {
        if (m.type === 'probe')
          page.postMessage({
            type: 'probed',
            webgpu: adapter,
            webgl: null,
            webglReason: 'no WebGL 2 context',
            userAgent: 'Chrome/130',
          });
      });
      page.postMessage({ type: 'hello' });
    });
    const choices = await computeWindowBackends(relay);
    await probed;
    expect(choices.automatic).toBe('webgpu');
    const webgpu = choices.backends.find((b) => b.name === 'webgpu')!;
    expect(webgpu).toMatchObject({
      available: true,
      gpu: true,
      host: 'chromium',
      adapter: 'nvidia ada RTX 4070',
    });
    expect(webgpu.reason).toMatch(/compute window \(Chromium 130\.0\)/);
    const webgl = choices.backends.find((b) => b.name === 'webgl')!;
    expect(webgl).toMatchObject({ available: false, gpu: false });
    expect(webgl.reason).toMatch(/no WebGL 2 context in the app's compute window/);
    expect(choices.backends.find((b) => b.name === 'wasm')!.available).toBe(true);
    expect(main.closes()).toEqual([1]);
    // Asked once: a second call opens no window.
    await relay.probe();
    expect(requests.filter((r) => r.type === COMPUTE_OPEN_MESSAGE)).toHaveLength(1);
  });

  it('a software adapter is offered but never chosen automatically; a failed probe says why', async () => {
    const { relay, main } = setUp();
    const adapter = {
      vendor: 'google',
      architecture: 'swiftshader',
      description: 'SwiftShader',
      software: true,
    };
    void main.nextRequest().then(() => {
      const page = main.answer(main.lastOpen());
      page.on('message', (m: { type: string }) => {
        if (m.type === 'probe')
          page.postMessage({ type: 'probed', webgpu: adapter, webgl: adapter, userAgent: 'x' });
      });
      page.postMessage({ type: 'hello' });
    });
    const choices = await computeWindowBackends(relay);
    expect(choices.automatic).not.toMatch(/^web/);
    expect(choices.backends.find((b) => b.name === 'webgpu')).toMatchObject({ available: true, gpu: false });

    const other = setUp();
    void other.main
      .nextRequest()
      .then(() =>
        other.relay.handle({ type: COMPUTE_FAILED_MESSAGE, id: 1, message: 'no window today' }, []),
      );
    const failed = await computeWindowBackends(other.relay);
    expect(failed.backends.find((b) => b.name === 'webgpu')).toMatchObject({ available: false });
    expect(failed.backends.find((b) => b.name === 'webgpu')!.reason).toMatch(/no window today/);
  });
});

// The whole path but Electron: startTraining's worker asks for a compute window, the relay asks
// "main" (this test), which opens a "window" — the compute page's own code (page-core.ts) in a
// worker thread on wasm standing in for WebGPU (ml/browser/testing-page.ts, from dist/) — and the
// run trains there over the relayed ports and writes its model. Needs the build.
const testingPage = workerUrl('../../ml/browser/testing-page.js', import.meta.url);
describe.skipIf(!existsSync(testingPage))('a training run through the relay (needs npm run build)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-compute-relay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(packageRoot(), 'assets', 'demo', 'sources', 'vowels.wav');

  /** A relay whose "main" opens testing pages; `pages` counts them, `closes` the windows closed (main destroys the window: the page's worker ends). */
  function pageMain() {
    const closes: number[] = [];
    const pages: Worker[] = [];
    const relay: ComputeRelay = new ComputeRelay(
      (m) => {
        if (m.type === COMPUTE_CLOSE_MESSAGE) {
          closes.push(m.id);
          return void pages[m.id - 1]?.terminate();
        }
        const { port1: page, port2 } = new MessageChannel();
        pages.push(new Worker(testingPage, { workerData: { port: page }, transferList: [page] }));
        relay.handle({ type: COMPUTE_OPENED_MESSAGE, id: m.id }, [port2]);
      },
      { browser: { path: 'test main', version: '0' } },
    );
    relays.push(relay);
    return { relay, closes, pages };
  }
  const run = (out: string, compute: ComputeRelay, backend?: 'webgpu') => {
    const events: TrainEvent[] = [];
    const job = startTraining(
      {
        inputs: [input],
        out: join(dir, out),
        resume: false,
        config: { ...DEFAULT_TRAIN_CONFIG, preset: 'compact', epochs: 1, batch: 256, seed: 3 },
        frames: DEFAULT_FRAME_SETTINGS,
        backend,
        threads: 1,
      },
      (e) => events.push(e),
      { compute },
    );
    return job.outcome.then((outcome) => ({ outcome, events }));
  };

  it('trains webgpu in the window, names it, writes the model, and has main close the window', async () => {
    const { relay, closes, pages } = pageMain();
    const { outcome, events } = await run('gpu', relay, 'webgpu');
    expect(outcome.status, JSON.stringify(outcome)).toBe('done');
    const backends = events.filter((e) => e.type === 'backend').map((e) => e.info);
    expect(backends.at(-1)).toMatchObject({
      name: 'webgpu',
      host: 'chromium',
      forcedBy: 'argument',
      browser: { path: 'test main', version: '0' },
    });
    // The page's own report: the stand-in page runs wasm.
    expect(backends.at(-1)!.tfBackend).toBe('wasm');
    expect(existsSync(join(dir, 'gpu', 'studio.json'))).toBe(true);
    expect(pages).toHaveLength(1);
    expect(closes).toEqual([1]);
    expect(relay.active).toEqual({ leases: 0, pending: 0 });
  }, 60_000);

  it('chosen automatically, probes the window and, finding no GPU adapter there, trains on the CPU order saying why', async () => {
    const { relay, closes, pages } = pageMain();
    const { outcome, events } = await run('auto', relay);
    expect(outcome.status, JSON.stringify(outcome)).toBe('done');
    const info = events.find((e) => e.type === 'backend')!.info;
    expect(info.host).toBe('node');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.name);
    expect(info.tried.find((t) => t.name === 'webgpu')).toMatchObject({
      available: false,
      reason: 'a Node worker thread has no WebGPU (the compute window)',
    });
    // One window, for the probe, and closed.
    expect(pages).toHaveLength(1);
    expect(closes).toEqual([1]);
  }, 60_000);

  it('forced webgpu fails with the reason when the app cannot open a window, instead of starting a browser', async () => {
    const relay = new ComputeRelay((m) => {
      if (m.type === COMPUTE_OPEN_MESSAGE)
        relay.handle({ type: COMPUTE_FAILED_MESSAGE, id: m.id, message: 'the GPU process is gone' }, []);
    });
    relays.push(relay);
    const { outcome } = await run('none', relay, 'webgpu');
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { message: string }).message).toMatch(
      /no compute window for training: the app could not open a compute window: the GPU process is gone/,
    );
    expect(relay.active).toEqual({ leases: 0, pending: 0 });
  }, 60_000);
});
