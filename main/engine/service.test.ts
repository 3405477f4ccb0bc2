import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeWav } from '../../ml/audio/wav.js';
import { sine } from '../../test/signals.js';
import { packageInfo } from '../package-info.js';
import { threadBudget } from '../../ml/threads.js';
import type { StudioEvent } from '../../common/api.js';
import { createClient, type StudioClient } from '../../common/client.js';
import { serveApi } from './serve-api.js';
import { createEngine, DATA_DIR_ENV, defaultDataDir, type Engine } from './service.js';
import { messagePortTransport } from '../../common/transport.js';

let dir: string;
let engine: Engine;
let client: StudioClient;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-engine-'));
  engine = createEngine({ dataDir: join(dir, 'data'), backend: 'cpu' });
  const { port1, port2 } = new MessageChannel();
  serveApi(engine, messagePortTransport(port2));
  client = createClient(messagePortTransport(port1));
});
afterEach(async () => {
  client.close();
  await engine.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the engine through the client', () => {
  it('says hello with versions, backend and FFT', async () => {
    const hello = await client.hello();
    expect(hello).toEqual({
      version: packageInfo.version,
      node: process.version,
      platform: process.platform,
      backend: { name: 'cpu', gpu: false, threads: 1 },
      fft: expect.stringMatching(/^(pffft-simd|pffft|fft\.js)$/),
      threads: threadBudget(),
    });
  });

  it("says the engine's thread budget, as VAE_STUDIO_THREADS or the caller sets it", async () => {
    const small = createEngine({ dataDir: join(dir, 'data3'), backend: 'cpu', threads: 3 });
    const { port1, port2 } = new MessageChannel();
    serveApi(small, messagePortTransport(port2));
    const other = createClient(messagePortTransport(port1));
    try {
      expect((await other.hello()).threads).toBe(3);
    } finally {
      other.close();
      await small.dispose();
    }
  });

  it('refuses source calls before a project is open', async () => {
    await expect(client.getSourceAudio('bells.wav')).rejects.toMatchObject({
      name: 'ProjectError',
      message: 'no project is open; open one first',
    });
  });

  it('opens the demo project by default, copied into the data folder, and plays a source', async () => {
    const project = await client.openProject();
    expect(project.path).toBe(join(dir, 'data', 'projects', 'demo'));
    expect(project.sources.map((s) => s.name)).toEqual([
      'bells.wav',
      'plucks.wav',
      'textures.wav',
      'vowels.wav',
    ]);
    const audio = await client.getSourceAudio('vowels.wav');
    expect(audio.sampleRate).toBe(22050);
    expect(audio.samples).toBeInstanceOf(Float32Array);
    expect(audio.samples.length).toBe(Math.round(project.sources[3].durationSeconds * 22050));
    expect(audio.samples.some((x) => Math.abs(x) > 0.01)).toBe(true);
  });

  it('imports and removes sources, announcing each change', async () => {
    const folder = join(dir, 'mine');
    expect((await client.openProject(folder, { create: true })).sources).toEqual([]);
    const events: StudioEvent[] = [];
    client.onEvent((e) => events.push(e));
    const wav = encodeWav(sine(220, 22050, 4410, 0.5), 22050, '16');
    const info = await client.importSource('tone.wav', wav);
    expect(info.id).toBe('tone.wav');
    expect(await readdir(join(folder, 'sources'))).toEqual(['tone.wav']);
    await expect(client.importSource('junk.wav', new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      name: 'AudioFileError',
      message: 'junk.wav: not a wav file (no RIFF header)',
    });
    await client.removeSource('tone.wav');
    expect(await readdir(join(folder, 'sources'))).toEqual([]);
    expect(events.map((e) => (e.type === 'project' ? e.project.sources.length : e.type))).toEqual([1, 0]);
  });

  it('keeps user data in $VAE_STUDIO_DATA, else in ~/.vae-studio', () => {
    const saved = process.env[DATA_DIR_ENV];
    try {
      process.env[DATA_DIR_ENV] = '/data/studio';
      expect(defaultDataDir()).toBe('/data/studio');
      delete process.env[DATA_DIR_ENV];
      expect(defaultDataDir()).toMatch(/\.vae-studio$/);
    } finally {
      if (saved === undefined) delete process.env[DATA_DIR_ENV];
      else process.env[DATA_DIR_ENV] = saved;
    }
  });
});
