import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, Hello, SourceInfo, StudioEvent } from '../../common/api.js';
import { createClient, type StudioClient } from '../../common/client.js';
import { serveApi, type ServedApi } from './serve-api.js';
import { messagePortTransport, type Transport } from '../../common/transport.js';

const HELLO: Hello = {
  version: '0.0.0',
  node: 'v20',
  platform: 'linux',
  backend: { name: 'cpu', gpu: false, threads: null },
  fft: 'fft.js',
  threads: 1,
};

/** A stand-in engine whose calls the tests can hold open and watch. */
function fakeEngine() {
  const listeners = new Set<(event: StudioEvent) => void>();
  const seen: { method: string; args: unknown[]; signal?: AbortSignal }[] = [];
  let release: (() => void) | null = null;
  const engine: ServedApi = {
    async hello() {
      return HELLO;
    },
    async backends() {
      return { automatic: 'wasm', backends: [] };
    },
    async openProject(path?: string, _options?: { create?: boolean }, context?: CallContext) {
      seen.push({ method: 'openProject', args: [path], signal: context?.signal });
      if (path === 'hang') {
        await new Promise<void>((resolve) => {
          release = resolve;
          context?.signal.addEventListener('abort', () => resolve());
        });
      }
      if (path === 'bug') throw new TypeError('x is undefined');
      return { path: path ?? 'demo', name: 'p', sampleRate: 22050, sources: [], models: [], warnings: [] };
    },
    async getSourceAudio(id: string) {
      if (id === 'nope') throw Object.assign(new Error('no source "nope"'), { name: 'ProjectError' });
      return { sampleRate: 22050, samples: new Float32Array([0.25, -0.5, NaN, Infinity]) };
    },
    async importSource(name: string, bytes: Uint8Array): Promise<SourceInfo> {
      seen.push({ method: 'importSource', args: [name, bytes] });
      return { id: name, name, durationSeconds: bytes.length, sampleRate: 1, channels: 1, warnings: [] };
    },
    async removeSource() {},
    beginUpload: () => Promise.reject(new Error('not in this fake')),
    uploadChunk: () => Promise.reject(new Error('not in this fake')),
    finishUpload: () => Promise.reject(new Error('not in this fake')),
    cancelUpload: () => Promise.reject(new Error('not in this fake')),
    importPath: () => Promise.reject(new Error('not in this fake')),
    renameSource: () => Promise.reject(new Error('not in this fake')),
    findSource: () => Promise.reject(new Error('not in this fake')),
    getModelTraining: () => Promise.reject(new Error('not in this fake')),
    importRecording: () => Promise.reject(new Error('not in this fake')),
    train: () => Promise.reject(new Error('not in this fake')),
    renameModel: () => Promise.reject(new Error('not in this fake')),
    deleteModel: () => Promise.reject(new Error('not in this fake')),
    getSourceFrames: () => Promise.reject(new Error('not in this fake')),
    sample: () => Promise.reject(new Error('not in this fake')),
    resumeTraining: () => Promise.reject(new Error('not in this fake')),
    listTraining: async () => [],
    listJobs: async () => [],
    cancelJob: () => Promise.reject(new Error('not in this fake')),
    renderLatent: () => Promise.reject(new Error('not in this fake')),
    getSnapshots: async () => [],
    setSnapshots: async () => {},
    moveAuditionTo: async () => {},
    resynthesize: () => Promise.reject(new Error('not in this fake')),
    newProject: () => Promise.reject(new Error('not in this fake')),
    recentProjects: async () => [],
    getMap: () => Promise.reject(new Error('not in this fake')),
    renderPoint: () => Promise.reject(new Error('not in this fake')),
    startAudition: () => Promise.reject(new Error('not in this fake')),
    moveAudition: async () => {},
    stopAudition: async () => {},
    startLiveInput: () => Promise.reject(new Error('not in this stub')),
    liveInput: async () => {},
    setLiveInput: async () => {},
    stopLiveInput: async () => {},
    exportSounds: () => Promise.reject(new Error('not in this stub')),
    getExportZip: () => Promise.reject(new Error('not in this stub')),
    reportControl: () => Promise.reject(new Error('not in this stub')),
    getControl: () => Promise.reject(new Error('not in this stub')),
    getMidiMap: () => Promise.reject(new Error('not in this stub')),
    setMidiMap: () => Promise.reject(new Error('not in this stub')),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    engine,
    seen,
    emit: (e: StudioEvent) => listeners.forEach((l) => l(e)),
    listeners,
    release: () => release?.(),
  };
}

interface Pair {
  client: StudioClient;
  serverSide: Transport;
  fake: ReturnType<typeof fakeEngine>;
  internal: unknown[];
  rawPort: MessagePort;
}

const open: Pair[] = [];
function connect(timeoutMs?: number): Pair {
  const { port1, port2 } = new MessageChannel();
  const fake = fakeEngine();
  const internal: unknown[] = [];
  const serverSide = messagePortTransport(port2);
  serveApi(fake.engine, serverSide, { onInternalError: (err) => internal.push(err) });
  const client = createClient(messagePortTransport(port1), { timeoutMs });
  const pair = { client, serverSide, fake, internal, rawPort: port1 };
  open.push(pair);
  return pair;
}

afterEach(() => {
  for (const pair of open.splice(0)) {
    pair.client.close();
    pair.serverSide.close();
  }
});

describe('client and serveApi over a MessagePort', () => {
  it('calls the engine and keeps typed arrays, NaN and Infinity as they are', async () => {
    const { client, fake } = connect();
    expect(await client.hello()).toEqual(HELLO);
    const audio = await client.getSourceAudio('x');
    expect(audio.samples).toBeInstanceOf(Float32Array);
    expect(Array.from(audio.samples)).toEqual([0.25, -0.5, NaN, Infinity]);
    const bytes = new Uint8Array([82, 73, 70, 70]);
    expect((await client.importSource('a.wav', bytes)).durationSeconds).toBe(4);
    const sent = fake.seen.find((s) => s.method === 'importSource')!.args[1];
    expect(sent).toBeInstanceOf(Uint8Array);
    expect(sent).toEqual(bytes);
  });

  it('leaves out trailing undefined arguments and pads them back for the engine', async () => {
    const { client, fake } = connect();
    expect((await client.openProject()).path).toBe('demo');
    expect((await client.openProject(undefined)).path).toBe('demo');
    expect(fake.seen.every((s) => s.signal instanceof AbortSignal)).toBe(true);
  });

  it('passes errors across with their name and message, not their stack', async () => {
    const { client, internal } = connect();
    const err = await client.getSourceAudio('nope').catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ProjectError', message: 'no source "nope"' });
    expect((err as Error).stack).not.toMatch(/fakeEngine/);
    expect(internal).toEqual([]);
    const bug = await client.openProject('bug').catch((e: Error) => e);
    expect(bug).toMatchObject({ name: 'TypeError', message: 'x is undefined' });
    expect(internal).toHaveLength(1);
  });

  it('refuses bad requests from the client side before sending', async () => {
    const { client } = connect();
    await expect(client.openProject('x'.repeat(2 * 1024 * 1024))).rejects.toMatchObject({
      name: 'ProtocolError',
      message: expect.stringMatching(/request too large/),
    });
  });

  it('cancels: the caller gets an AbortError at once and the engine sees its signal abort', async () => {
    const { client, fake } = connect();
    const controller = new AbortController();
    const call = client.with({ signal: controller.signal }).openProject('hang');
    await waitFor(() => fake.seen.some((s) => s.args[0] === 'hang'));
    const engineSignal = fake.seen.find((s) => s.args[0] === 'hang')!.signal!;
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => engineSignal.aborted);
    // An already aborted signal never sends the call.
    await expect(client.with({ signal: controller.signal }).hello()).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(await client.hello()).toEqual(HELLO);
  });

  it('times out, telling the engine to stop', async () => {
    const { client, fake } = connect(50);
    await expect(client.openProject('hang')).rejects.toMatchObject({ name: 'TimeoutError' });
    await waitFor(() => fake.seen.find((s) => s.args[0] === 'hang')?.signal?.aborted === true);
    expect(await client.with({ timeoutMs: 0 }).hello()).toEqual(HELLO);
  });

  it('rejects every pending call when closed, and calls after it', async () => {
    const { client } = connect();
    const pending = [client.openProject('hang'), client.openProject('hang')];
    client.close();
    for (const p of pending) await expect(p).rejects.toMatchObject({ name: 'DisconnectedError' });
    await expect(client.hello()).rejects.toMatchObject({ name: 'DisconnectedError' });
    expect(client.closed).toBe(true);
  });

  it('rejects pending calls when the engine side goes away, and aborts its calls', async () => {
    const { client, serverSide, fake } = connect();
    const pending = client.openProject('hang');
    await waitFor(() => fake.seen.length > 0);
    serverSide.close();
    await expect(pending).rejects.toMatchObject({ name: 'DisconnectedError' });
    expect(fake.seen[0].signal!.aborted).toBe(true);
    expect(fake.listeners.size).toBe(0);
  });

  it('delivers events to every listener until it unsubscribes', async () => {
    const { client, fake } = connect();
    const got: StudioEvent[] = [];
    const off = client.onEvent((e) => got.push(e));
    fake.emit({ type: 'progress', job: 'import', done: 1, total: 2 });
    await waitFor(() => got.length === 1);
    off();
    fake.emit({ type: 'progress', job: 'import', done: 2, total: 2 });
    await client.hello(); // the event, had it been delivered, came first
    expect(got).toEqual([{ type: 'progress', job: 'import', done: 1, total: 2 }]);
  });

  it('answers bad messages with errors and goes on serving', async () => {
    const { client, rawPort } = connect();
    const replies: unknown[] = [];
    // Listen on the raw port beside the client: it sees every reply.
    rawPort.on('message', (m: unknown) => replies.push(m));
    rawPort.postMessage('garbage');
    rawPort.postMessage({ id: 100, type: 'call', method: 'format', args: [] });
    rawPort.postMessage({ id: 101, type: 'call', method: 'getSourceAudio', args: [42] });
    rawPort.postMessage({ id: 102, type: 'cancel' }); // nothing to cancel: ignored
    await waitFor(() => replies.length >= 3);
    expect(replies).toEqual([
      {
        id: null,
        type: 'error',
        error: { name: 'ProtocolError', message: expect.stringMatching(/malformed request/) },
      },
      { id: 100, type: 'error', error: { name: 'ProtocolError', message: 'unknown method "format"' } },
      {
        id: 101,
        type: 'error',
        error: { name: 'ProtocolError', message: expect.stringMatching(/getSourceAudio: bad arguments/) },
      },
    ]);
    expect(await client.hello()).toEqual(HELLO);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
