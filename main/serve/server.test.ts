import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeWav } from '../../ml/audio/wav.js';
import { sine } from '../../test/signals.js';
import { createClient, type StudioClient } from '../../common/client.js';
import { decodeMessage, encodeMessage } from '../../common/codec.js';
import { MAX_HEADER_BYTES, MAX_MESSAGE_BYTES } from '../../common/protocol.js';
import { TEXT_FRAME_REFUSED, webSocketTransport } from '../../common/transport.js';
import { startServer, type RunningServer } from './server.js';

let dir: string;
let server: RunningServer;
let token: string;
const logged: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-serve-'));
  const site = join(dir, 'site');
  await mkdir(join(site, 'assets'), { recursive: true });
  await writeFile(join(site, 'index.html'), '<!doctype html><title>studio</title>');
  await writeFile(join(site, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(site, 'assets', 'style.css'), 'body{}');
  await writeFile(join(dir, 'secret.txt'), 'outside the site');
  await symlink(join(dir, 'secret.txt'), join(site, 'link.txt'));
  server = await startServer({
    staticDir: site,
    engineOptions: { dataDir: join(dir, 'data'), backend: 'cpu' },
    log: (m) => logged.push(m),
  });
  token = new URL(server.url).searchParams.get('token')!;
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A raw HTTP GET (fetch would normalise away the '..' segments we want to send). */
function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; type?: string; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.origin}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, type: res.headers['content-type'], body, headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket to /api; resolves with the socket, or the HTTP status it was refused with. */
function openSocket(query: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws${server.origin.slice(4)}/api${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode!);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

async function connectClient(): Promise<{ client: StudioClient; ws: WebSocket }> {
  const ws = await openSocket(`?token=${token}`, { Origin: server.origin });
  if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
  return { client: createClient(webSocketTransport(ws)), ws };
}

// First, while no other test's connections are still closing.
describe('closing', () => {
  it('closes every socket and listener it opened', async () => {
    const tcp = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    const before = tcp();
    const other = await startServer({ engine: stubEngine(), token: 't', log: () => {} });
    const ws = new WebSocket(`ws${other.origin.slice(4)}/api?token=t`);
    await new Promise((resolve) => ws.once('open', resolve));
    const client = createClient(webSocketTransport(ws));
    const pending = client.openProject('/hang');
    expect(tcp()).toBeGreaterThan(before);
    await other.close();
    await expect(pending).rejects.toMatchObject({ name: 'DisconnectedError' });
    await waitFor(() => tcp() === before);
  });
});

describe('static files', () => {
  it('serves the site with the right types and safe headers', async () => {
    const index = await get('/');
    expect(index).toMatchObject({
      status: 200,
      type: 'text/html; charset=utf-8',
      body: expect.stringContaining('studio'),
    });
    expect((await get('/assets/app.js')).type).toBe('text/javascript; charset=utf-8');
    expect((await get('/assets/style.css')).type).toBe('text/css; charset=utf-8');
    expect((await get('/index.html?token=abc')).status).toBe(200);
    expect((await get('/assets/app.js', 'HEAD')).body).toBe('');
    expect((await get('/assets/app.js', 'POST')).status).toBe(405);
    expect((await get('/missing.js')).status).toBe(404);
  });

  it('isolates the page across origins (COOP and COEP), so live audition can share memory with its worklet', async () => {
    for (const path of ['/', '/assets/app.js', '/missing.js']) {
      const { headers } = await get(path);
      expect(headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(headers['cross-origin-resource-policy'], path).toBe('same-origin');
      expect(headers['x-content-type-options'], path).toBe('nosniff');
    }
  });

  it('never serves a file outside the folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/link.txt',
      '/assets',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('outside');
    }
  });

  it('shows a placeholder page where there is no built renderer', async () => {
    const bare = await startServer({ engine: { ...stubEngine() }, log: () => {} });
    try {
      const res = await new Promise<{ status: number; body: string }>((resolve) => {
        request(bare.origin, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        }).end();
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/has not been built/);
    } finally {
      await bare.close();
    }
  });
});

describe('the /api WebSocket', () => {
  it('prints a URL with a random token on 127.0.0.1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    expect(server.origin).not.toContain(token);
  });

  it('refuses a missing or wrong token with 401 and a foreign Origin with 403', async () => {
    expect(await openSocket('')).toBe(401);
    expect(await openSocket('?token=wrong')).toBe(401);
    expect(await openSocket(`?token=${token}x`)).toBe(401);
    expect(await openSocket(`?token=${token}`, { Origin: 'http://evil.example' })).toBe(403);
    // DNS rebinding: the Host matches the Origin, but it is not a name this server answers to.
    const port = new URL(server.origin).port;
    expect(
      await openSocket(`?token=${token}`, {
        Origin: `http://evil.example:${port}`,
        Host: `evil.example:${port}`,
      }),
    ).toBe(403);
    expect(await openSocket(`?token=${token}`, { Origin: 'null' })).toBe(403);
    expect(await openSocket(`?token=${token}`, { Origin: `http://127.0.0.1:${Number(port) + 1}` })).toBe(403);
    expect(await openSocket(`?token=${token}`, { Origin: `http://evil.example` })).toBe(403);
    expect(logged.join('\n')).not.toContain(token);
  });

  it('accepts the right token from its own origin (as reached through a tunnel too) or from no browser', async () => {
    const port = new URL(server.origin).port;
    const cases: Record<string, string>[] = [
      { Origin: server.origin },
      { Origin: `http://localhost:${port}`, Host: `localhost:${port}` },
      { Origin: 'http://localhost:9000', Host: 'localhost:9000' },
      {},
    ];
    for (const headers of cases) {
      const ws = await openSocket(`?token=${token}`, headers);
      expect(ws, JSON.stringify(headers)).toBeInstanceOf(WebSocket);
      (ws as WebSocket).close();
    }
  });

  it('serves the API: hello, the demo project, audio as Float32Array, imports as bytes', async () => {
    const { client } = await connectClient();
    try {
      expect((await client.hello()).backend.name).toBe('cpu');
      const project = await client.openProject();
      expect(project.sources.map((s) => s.id)).toContain('bells.wav');
      const audio = await client.getSourceAudio('bells.wav');
      expect(audio.samples).toBeInstanceOf(Float32Array);
      expect(audio.samples.length).toBe(Math.round(project.sources[0].durationSeconds * audio.sampleRate));
      const wav = encodeWav(sine(330, 22050, 2205, 0.5), 22050, '16');
      const info = await client.importSource('fresh take.wav', wav);
      expect(info).toMatchObject({ id: 'fresh take.wav', sampleRate: 22050, channels: 1 });
      const back = await client.getSourceAudio(info.id);
      expect(back.samples.length).toBe(2205);
      await client.removeSource(info.id);
      await expect(client.importSource('bad.wav', new Uint8Array(100))).rejects.toMatchObject({
        name: 'AudioFileError',
        message: expect.stringMatching(/^bad\.wav: /),
      });
    } finally {
      client.close();
    }
  });

  it('answers bad frames with errors and keeps the connection', async () => {
    const ws = (await openSocket(`?token=${token}`)) as WebSocket;
    const replies: unknown[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(true);
      replies.push(decodeMessage(new Uint8Array(data)));
    });
    ws.send(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    ws.send(encodeMessage({ id: 5, type: 'call', method: 'nope', args: [] }));
    ws.send(encodeMessage({ id: 6, type: 'call', method: 'removeSource', args: [{}] }));
    ws.send(encodeMessage({ id: 7, type: 'call', method: 'hello', args: ['x'.repeat(1.5 * 1024 * 1024)] }));
    const overLimit = encodeMessage({
      id: 8,
      type: 'call',
      method: 'hello',
      args: ['x'.repeat(MAX_HEADER_BYTES)],
    });
    ws.send(overLimit);
    ws.send(encodeMessage({ id: 9, type: 'call', method: 'hello', args: [] }));
    await waitFor(() => replies.length === 6);
    ws.close();
    expect(replies.slice(0, 5)).toEqual([
      {
        id: null,
        type: 'error',
        error: { name: 'ProtocolError', message: 'not a VAE Studio message (bad magic)' },
      },
      { id: 5, type: 'error', error: { name: 'ProtocolError', message: 'unknown method "nope"' } },
      {
        id: 6,
        type: 'error',
        error: { name: 'ProtocolError', message: expect.stringMatching(/^removeSource: bad arguments/) },
      },
      {
        id: 7,
        type: 'error',
        error: { name: 'ProtocolError', message: expect.stringMatching(/^hello: request too large/) },
      },
      // Over the header limit: refused unparsed, so the id is not known.
      {
        id: null,
        type: 'error',
        error: {
          name: 'ProtocolError',
          message: `message header too large (${new DataView(overLimit.buffer).getUint32(4, true)} bytes; the limit is ${MAX_HEADER_BYTES}: only typed arrays may be large)`,
        },
      },
    ]);
    expect(replies[5]).toMatchObject({ id: 9, type: 'result', value: { backend: { name: 'cpu' } } });
  });

  it('takes the largest request the studio sends, whose header is over 1 MiB', async () => {
    const { client } = await connectClient();
    const snapshots = Array.from({ length: 1000 }, (_, i) => ({
      name: `snapshot ${i}`,
      z: Array.from(new Float32Array(64).map((_, j) => Math.sin(i * 64 + j) * 1.7)),
    }));
    const frame = encodeMessage({
      id: 1,
      type: 'call',
      method: 'setSnapshots',
      args: ['no-such-model', snapshots],
    });
    expect(frame.byteLength).toBeGreaterThan(1024 * 1024);
    expect(frame.byteLength).toBeLessThan(MAX_HEADER_BYTES);
    const error = await client.setSnapshots('no-such-model', snapshots).then(
      () => null,
      (err: Error) => err,
    );
    // Whatever the engine says of the model, the message itself was read.
    expect(error?.message ?? '').not.toMatch(/too large|header/);
    client.close();
  });

  it('closes a connection that sends more than any message may be, and serves the next', async () => {
    const ws = (await openSocket(`?token=${token}`)) as WebSocket;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send(new Uint8Array(MAX_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    const { client } = await connectClient();
    expect((await client.hello()).version).toMatch(/\d/);
    client.close();
  });

  it('refuses an oversized import in the client, before sending it', async () => {
    const { client } = await connectClient();
    await expect(client.importSource('huge.wav', new Uint8Array(MAX_MESSAGE_BYTES))).rejects.toMatchObject({
      name: 'ProtocolError',
    });
    expect((await client.hello()).fft).toBeTruthy();
    client.close();
  });
});

describe('text frames', () => {
  it('close the connection that sent one with 1003 and a reason, and no other', async () => {
    const { client, ws: other } = await connectClient();
    const ws = (await openSocket(`?token=${token}`)) as WebSocket;
    const received: unknown[] = [];
    ws.on('message', (data) => received.push(data));
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    // What used to be read as a JSON request.
    ws.send('{"id":1,"type":"call","method":"hello","args":[]}');
    expect(await closed).toEqual([1003, TEXT_FRAME_REFUSED]);
    expect(received).toEqual([]);
    expect((await client.hello()).backend.name).toBe('cpu');
    expect(other.readyState).toBe(WebSocket.OPEN);
    client.close();
  });

  it('refuse a 60 MiB text frame unread: the server grows by far less than 200 MB and answers others at once', async () => {
    // The sender runs in a child process, so only the server's memory is in this one's figures.
    const frameBytes = 60 * 1024 * 1024;
    expect(frameBytes).toBeLessThan(MAX_MESSAGE_BYTES); // under maxPayload: it is read in full
    const sender = `
      const { WebSocket } = require('ws');
      const ws = new WebSocket(process.env.API_URL);
      let sentAt = 0, messages = 0;
      ws.on('open', () => {
        // Valid JSON that a parser would turn into a 31-million-element array.
        const junk = '{"id":1,"type":"call","method":"hello","args":[[' + '0,'.repeat(${frameBytes / 2 - 26}) + '0]]}';
        if (junk.length !== ${frameBytes}) throw new Error('the frame is ' + junk.length + ' bytes');
        sentAt = performance.now();
        ws.send(junk);
      });
      ws.on('message', () => messages++);
      ws.on('error', (err) => { console.log(JSON.stringify({ error: err.message })); process.exit(1); });
      ws.on('close', (code, reason) => {
        const ms = Math.round(performance.now() - sentAt);
        console.log(JSON.stringify({ code, reason: reason.toString(), ms, messages }));
        process.exit(0);
      });`;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { client } = await connectClient();
    await client.hello();
    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakArrayBuffers = before.arrayBuffers;
    const sample = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers);
    }, 5);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', sender], {
      cwd: root,
      env: { ...process.env, API_URL: `ws${server.origin.slice(4)}/api?token=${token}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    const helloMs = performance.now();
    expect((await client.hello()).backend.name).toBe('cpu');
    const afterHello = performance.now();
    clearInterval(sample);
    loop.disable();
    const totalMs = performance.now() - started;
    const result = JSON.parse(out) as { code: number; reason: string; ms: number; messages: number };
    expect(result).toMatchObject({ code: 1003, reason: TEXT_FRAME_REFUSED, messages: 0 });
    const MB = 1e6;
    const figures = {
      frameMB: frameBytes / MB,
      senderSendToCloseMs: result.ms,
      childRunMs: Math.round(totalMs),
      helloAfterMs: Math.round(afterHello - helloMs),
      maxEventLoopDelayMs: Math.round(loop.max / 1e6),
      peakRssGrowthMB: Math.round((peakRss - before.rss) / MB),
      peakArrayBuffersGrowthMB: Math.round((peakArrayBuffers - before.arrayBuffers) / MB),
    };
    console.log(`60 MiB text frame: ${JSON.stringify(figures)}`);
    expect(figures.peakRssGrowthMB).toBeLessThan(200);
    // What is left is `ws` putting the payload together (a copy and the unmasking), as for an
    // import of that size; parsing it as JSON used to take over 10 s.
    expect(figures.maxEventLoopDelayMs).toBeLessThan(2000);
    client.close();
  });
});

function stubEngine() {
  return {
    hello: async () => ({
      version: '0',
      node: '',
      platform: '',
      backend: { name: 'cpu', gpu: false, threads: null },
      fft: '',
      threads: 1,
    }),
    backends: async () => ({ automatic: 'wasm', backends: [] }),
    openProject: () => new Promise<never>(() => {}),
    getSourceAudio: async () => ({ sampleRate: 1, samples: new Float32Array(0) }),
    importRecording: () => Promise.reject(new Error('not in this stub')),
    train: () => Promise.reject(new Error('not in this stub')),
    renameModel: () => Promise.reject(new Error('not in this stub')),
    deleteModel: () => Promise.reject(new Error('not in this stub')),
    getSourceFrames: () => Promise.reject(new Error('not in this stub')),
    sample: () => Promise.reject(new Error('not in this stub')),
    resumeTraining: () => Promise.reject(new Error('not in this stub')),
    listTraining: async () => [],
    renderLatent: () => Promise.reject(new Error('not in this stub')),
    getSnapshots: async () => [],
    setSnapshots: async () => {},
    moveAuditionTo: async () => {},
    resynthesize: () => Promise.reject(new Error('not in this stub')),
    newProject: () => Promise.reject(new Error('not in this stub')),
    recentProjects: async () => [],
    getMap: () => Promise.reject(new Error('not in this stub')),
    renderPoint: () => Promise.reject(new Error('not in this stub')),
    startAudition: () => Promise.reject(new Error('not in this stub')),
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
    importSource: async () => ({
      id: '',
      name: '',
      durationSeconds: 0,
      sampleRate: 1,
      channels: 1,
      warnings: [],
    }),
    removeSource: async () => {},
    beginUpload: () => Promise.reject(new Error('not in this fake')),
    uploadChunk: () => Promise.reject(new Error('not in this fake')),
    finishUpload: () => Promise.reject(new Error('not in this fake')),
    cancelUpload: () => Promise.reject(new Error('not in this fake')),
    importPath: () => Promise.reject(new Error('not in this fake')),
    renameSource: () => Promise.reject(new Error('not in this fake')),
    findSource: () => Promise.reject(new Error('not in this fake')),
    getModelTraining: () => Promise.reject(new Error('not in this fake')),
    listJobs: async () => [],
    cancelJob: async () => {},
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
