// The engine as Electron runs it (dist/main/engine/process-entry.js with a process.parentPort), and
// this test as Electron's main: it connects over a port handed on the parentPort, and answers the
// engine's compute-window requests by "opening a window" — the compute page's own code
// (ml/browser/page-core.ts) in a worker thread on wasm standing in for WebGPU
// (ml/browser/testing-page.ts) — as main/electron/utility-engine.ts does with a real window. No
// Electron binary here, so the engine runs in a worker thread whose process.parentPort is played by
// the thread's port (the same MessagePort semantics: structured clone, transfers, 'close'). What it
// shows: process-entry's Electron branch makes the relay and routes main's answers to it;
// backends() asks the window, not an external browser; a webgpu run trains in the "window" and
// writes its model; every window the engine asked for is closed again.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../common/client.js';
import { messagePortTransport } from '../../common/transport.js';
import {
  COMPUTE_CLOSE_MESSAGE,
  COMPUTE_OPEN_MESSAGE,
  COMPUTE_OPENED_MESSAGE,
  ENGINE_CONNECT_MESSAGE,
  type ComputeRequest,
} from '../../main/engine/process-entry-protocol.js';
import { packageRoot } from '../../main/package-info.js';

const root = packageRoot();
const entry = join(root, 'dist', 'main', 'engine', 'process-entry.js');
const testingPage = join(root, 'dist', 'ml', 'browser', 'testing-page.js');
const built = existsSync(entry) && existsSync(testingPage);

// The utility process's parentPort, as Electron gives it: 'message' events of { data, ports }, held
// until the engine listens (Electron starts the port with the first listener), and postMessage to main.
const BOOT = `
const { parentPort } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
const fake = new EventEmitter();
const held = [];
fake.postMessage = (message) => parentPort.postMessage(message);
parentPort.on('message', (event) => (fake.listenerCount('message') ? fake.emit('message', event) : held.push(event)));
fake.on('newListener', (type) => {
  if (type === 'message') setImmediate(() => held.splice(0).forEach((event) => fake.emit('message', event)));
});
process.parentPort = fake;
import(process.env.VAE_TEST_ENTRY);
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-compute-window-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!built)(
  `the engine under Electron trains on webgpu in a compute window${built ? '' : ' (skipped: run `npm run build` first)'}`,
  () => {
    it('asks main for windows, probes and trains in them, and closes each', async () => {
      const engine = new Worker(BOOT, {
        eval: true,
        argv: ['--data-dir', join(dir, 'data')],
        env: { ...process.env, VAE_TEST_ENTRY: pathToFileURL(entry).href, VAE_STUDIO_BACKEND: '' },
      });
      const pages = new Map<number, Worker>();
      const requests: ComputeRequest[] = [];
      engine.on('message', (m: ComputeRequest) => {
        requests.push(m);
        if (m.type === COMPUTE_CLOSE_MESSAGE) {
          // main destroys the window: its page goes.
          void pages.get(m.id)?.terminate();
          return;
        }
        if (m.type !== COMPUTE_OPEN_MESSAGE) return;
        const { port1: page, port2: forEngine } = new MessageChannel();
        pages.set(m.id, new Worker(testingPage, { workerData: { port: page }, transferList: [page] }));
        engine.postMessage({ data: { type: COMPUTE_OPENED_MESSAGE, id: m.id }, ports: [forEngine] }, [
          forEngine,
        ]);
      });
      const exited = new Promise<number>((resolve) => engine.once('exit', resolve));
      const { port1: mine, port2: theirs } = new MessageChannel();
      engine.postMessage({ data: ENGINE_CONNECT_MESSAGE, ports: [theirs] }, [theirs]);
      const client = createClient(messagePortTransport(mine));
      try {
        const project = join(dir, 'project');
        await client.openProject(project, { create: true });
        await client.importSource(
          'vowels.wav',
          await readFile(join(root, 'assets', 'demo', 'sources', 'vowels.wav')),
        );

        // The window's page has no WebGPU (a Node thread): it says so, and automatic stays on the CPU.
        const choices = await client.backends();
        const webgpu = choices.backends.find((b) => b.name === 'webgpu')!;
        expect(webgpu.available).toBe(false);
        expect(webgpu.reason).toMatch(/no WebGPU in the app's compute window/);
        expect(['tensorflow', 'wasm']).toContain(choices.automatic);
        expect(requests).toEqual([
          { type: COMPUTE_OPEN_MESSAGE, id: 1 },
          { type: COMPUTE_CLOSE_MESSAGE, id: 1 },
        ]);

        // Named, webgpu takes the window whatever it offers: the run trains there.
        const run = await client.train({
          name: 'gpu',
          preset: 'compact',
          latent: 4,
          epochs: 1,
          batch: 256,
          beta: 0.01,
          backend: 'webgpu',
        });
        expect(run).toMatchObject({ model: 'gpu', status: 'done', epoch: 1 });
        const studio = JSON.parse(await readFile(join(project, 'models', 'gpu', 'studio.json'), 'utf8')) as {
          training: { backend: string };
        };
        expect(studio.training.backend).toBe('webgpu');
        await expect.poll(() => requests.filter((r) => r.type === COMPUTE_CLOSE_MESSAGE).length).toBe(2);
        expect(requests.slice(2)).toEqual([
          { type: COMPUTE_OPEN_MESSAGE, id: 2 },
          { type: COMPUTE_CLOSE_MESSAGE, id: 2 },
        ]);
      } finally {
        // main's own connection closing ends the engine.
        client.close();
        expect(await exited).toBe(0);
        await Promise.all([...pages.values()].map((p) => p.terminate()));
      }
    }, 90_000);
  },
);
