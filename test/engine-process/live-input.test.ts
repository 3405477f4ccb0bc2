// Live input through the engine over its real WebSocket transport: a 48 kHz input streamed in
// chunks comes back as the live path's output (resampled in the engine, the same as running
// LiveResynth on it here), with the input's clock echoed at the right samples; streams belong to
// their connection and end, saying why, when their model goes. The live worker runs from dist/.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type StudioClient } from '../../common/client.js';
import { webSocketTransport } from '../../common/transport.js';
import { createEngine, type Engine } from '../../main/engine/service.js';
import { LIVE_LEVEL_MIN_DBFS } from '../../main/engine/live-streams.js';
import { packageRoot } from '../../main/package-info.js';
import { startServer, type RunningServer } from '../../main/serve/server.js';
import { resample } from '../../ml/audio/resample.js';
import { decodeWav } from '../../ml/audio/wav.js';
import { StreamResampler } from '../../ml/audio/wav-stream.js';
import { initBackend } from '../../ml/backend.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { LiveResynth, fullScaleMagnitude } from '../../ml/synth/live-resynth.js';
import { spectralConvergence } from '../../ml/synth/metrics.js';
import { Stft, magnitudes } from '../../ml/synth/stft.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { when } from './events.js';

const built = existsSync(join(packageRoot(), 'dist', 'main', 'engine', 'live-worker.js'));
const demo = join(packageRoot(), 'assets', 'demo');
let dir: string;
let project: string;
let engine: Engine;
let server: RunningServer;
const clients: StudioClient[] = [];

async function connect(): Promise<StudioClient> {
  const token = new URL(server.url).searchParams.get('token')!;
  const ws = new WebSocket(`ws${server.origin.slice(4)}/api?token=${token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const client = createClient(webSocketTransport(ws), { timeoutMs: 0 });
  clients.push(client);
  await client.openProject(project);
  return client;
}

async function until(test: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  if (!built) return;
  dir = await mkdtemp(join(tmpdir(), 'vae-live-input-'));
  project = join(dir, 'project');
  engine = createEngine({ dataDir: join(dir, 'data'), backend: 'wasm', threads: 2, liveIdleMs: 1500 });
  server = await startServer({ engine, log: () => {} });
  const setup = createClient(
    webSocketTransport(
      await new Promise<WebSocket>((resolve, reject) => {
        const token = new URL(server.url).searchParams.get('token')!;
        const ws = new WebSocket(`ws${server.origin.slice(4)}/api?token=${token}`);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
    ),
    { timeoutMs: 0 },
  );
  await setup.openProject(project, { create: true });
  setup.close();
  await cp(join(demo, 'model'), join(project, 'models', 'demo'), { recursive: true });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await engine?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!built)(`live input${built ? '' : ' (skipped: run `npm run build` first)'}`, () => {
  it('streams 48 kHz input through the model as the live path does, echoing the input clock', async () => {
    const path = join(demo, 'sources', 'vowels.wav');
    const input = resample(
      decodeWav(await readFile(path), path).channels[0].subarray(0, 22050),
      22050,
      48000,
    );
    const client = await connect();
    const chunks: { samples: Float32Array; echo?: number; echoAt?: number }[] = [];
    client.onEvent((e) => {
      if (e.type === 'liveAudio') chunks.push({ samples: e.samples.slice(), echo: e.echo, echoAt: e.echoAt });
    });
    const live = await client.startLiveInput('demo', 48000, { mix: 1 });
    expect(live).toMatchObject({ sampleRate: 22050, hop: 128 });
    expect(live.latencyMs).toBeCloseTo(23.22, 1);
    // The input's clock: a context frame that starts at 1000 (any number will do).
    const chunk = 1024;
    for (let at = 0; at < input.length; at += chunk)
      await client.liveInput(live.stream, input.subarray(at, at + chunk), 1000 + at);
    await until(
      () => chunks.reduce((n, c) => n + c.samples.length, 0) >= Math.floor((22050 - 700) / 128) * 128,
      'the output',
    );
    await client.stopLiveInput(live.stream);

    const out = Float32Array.from(chunks.flatMap((c) => Array.from(c.samples)));
    // The same code here, on the same chunks.
    await initBackend('wasm');
    const model = await VaeModel.load(join(demo, 'model'));
    const fft = await createRealFft(512);
    try {
      const resynth = new LiveResynth(model, fft, {
        level: { kind: 'running', min: fullScaleMagnitude(512) * 10 ** (LIVE_LEVEL_MIN_DBFS / 20) },
      });
      const resampler = new StreamResampler(48000, 22050);
      const parts: number[] = [];
      for (let at = 0; at < input.length; at += chunk)
        parts.push(...resynth.push(resampler.push(input.subarray(at, at + chunk))));
      const here = Float32Array.from(parts.slice(0, out.length));
      const stft = new Stft(fft, { windowSize: 512, hop: 128 });
      expect(
        spectralConvergence(magnitudes(stft.forward(here)), magnitudes(stft.forward(out)))!,
      ).toBeLessThan(-60);
    } finally {
      model.dispose();
      fft.dispose();
    }
    // Each echo names the input clock of the chunk's sample it marks: output sample i is input time i·48000/22050.
    let first = 0;
    for (const c of chunks) {
      if (c.echo !== undefined) expect(c.echo).toBeCloseTo(1000 + ((first + c.echoAt!) * 48000) / 22050, 6);
      first += c.samples.length;
    }
    expect(chunks.filter((c) => c.echo !== undefined).length).toBe(chunks.length);
  });

  it('belongs to its connection: capped, refused to others, ended when it closes or goes quiet', async () => {
    const a = await connect();
    const b = await connect();
    const one = await a.startLiveInput('demo', 22050);
    await a.startLiveInput('demo', 22050);
    await expect(a.startLiveInput('demo', 22050)).rejects.toThrow(/at most 2/);
    await expect(b.liveInput(one.stream, new Float32Array(128), 0)).rejects.toThrow(/another window/);
    await expect(b.setLiveInput(one.stream, { mix: 0 })).rejects.toThrow(/another window/);
    await expect(a.setLiveInput(one.stream, { offset: { direction: 40, amount: 1 } })).rejects.toThrow(
      /no z41/,
    );
    await a.setLiveInput(one.stream, { mix: 0.5, gain: 2, offset: { direction: 'axis2', amount: 1 } });
    await expect(b.startLiveInput('nope', 22050)).rejects.toThrow(/no model "nope"/);
    expect(engine.stats().liveInputs).toBe(2);
    a.close();
    await until(() => engine.stats().liveInputs === 0, "the closed connection's streams to end", 5000);
    // A stream that hears nothing ends by itself and says why.
    const quiet = await b.startLiveInput('demo', 22050);
    const ended = await when(b, (e) => (e.type === 'liveInput' ? e : undefined));
    expect(ended).toEqual({
      type: 'liveInput',
      stream: quiet.stream,
      state: 'ended',
      reason: 'no input for 2 s',
    });
  });

  it('ends a stream with the reason when its model is deleted', async () => {
    await cp(join(demo, 'model'), join(project, 'models', 'gone'), { recursive: true });
    const client = await connect();
    const live = await client.startLiveInput('gone', 22050);
    const ended = when(client, (e) => (e.type === 'liveInput' ? e : undefined));
    await client.deleteModel('gone');
    expect(await ended).toEqual({
      type: 'liveInput',
      stream: live.stream,
      state: 'ended',
      reason: 'its model was deleted',
    });
  });
});
