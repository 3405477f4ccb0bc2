// The engine over its real WebSocket transport (`vae-studio serve`'s server, the `ws` client):
// jobs that outlive their connection, auditions owned by theirs and safe under rename and delete,
// a main thread that answers while an import decodes, and the path rules. The engine's workers run
// from the build (dist/), as they do in the app.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaveFile } from 'wavefile';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_SOUND, type JobInfo } from '../../common/api.js';
import { createClient, type StudioClient } from '../../common/client.js';
import { webSocketTransport } from '../../common/transport.js';
import { createEngine, type Engine } from '../../main/engine/service.js';
import { packageRoot } from '../../main/package-info.js';
import { startServer, type RunningServer } from '../../main/serve/server.js';
import { runCli } from '../cli.js';
import { when } from './events.js';
import { decodeWav } from '../../ml/audio/wav.js';

const built = existsSync(join(packageRoot(), 'dist', 'main', 'engine', 'compute-worker.js'));
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
  return client;
}

/** Resolves once `test` holds, checking after every event and every 20 ms. */
async function until(test: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  if (!built) return;
  dir = await mkdtemp(join(tmpdir(), 'vae-engine-service-'));
  project = join(dir, 'project');
  engine = createEngine({ dataDir: join(dir, 'data'), backend: 'wasm', threads: 2 });
  server = await startServer({ engine, log: () => {} });
  const setup = await connect();
  await setup.openProject(project, { create: true });
  for (const name of ['vowels.wav', 'plucks.wav'])
    await setup.importSource(name, await readFile(join(demo, 'sources', name)));
  setup.close();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await engine?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!built)(
  `the engine over WebSocket${built ? '' : ' (skipped: run `npm run build` first)'}`,
  () => {
    it('keeps auditioning through a rename, ends the stream with a reason on delete, and lives on', async () => {
      await cp(join(demo, 'model'), join(project, 'models', 'demo'), { recursive: true });
      const client = await connect();
      await client.openProject(project);
      let chunks = 0;
      client.onEvent((e) => {
        if (e.type === 'audio') chunks++;
      });
      const { stream } = await client.startAudition('demo', 0, 0);
      await until(() => chunks > 5, 'audio');
      expect(await client.renameModel('demo', 'renamed')).toBe('renamed');
      const afterRename = chunks;
      await client.moveAudition(stream, 1, 1, 1);
      await until(() => chunks > afterRename + 5, 'audio after the rename');

      const ended = when(client, (e) => (e.type === 'audition' ? e : undefined));
      await client.deleteModel('renamed');
      expect(await ended).toEqual({
        type: 'audition',
        stream,
        state: 'ended',
        reason: 'its model was deleted',
      });
      expect(existsSync(join(project, 'models', 'renamed'))).toBe(false);
      expect((await client.hello()).version).toMatch(/\d/);
      expect(engine.stats().auditions).toBe(0);
    });

    it('serves a cached map again and again, whole (its arrays are copied, not moved out of the cache)', async () => {
      await cp(join(demo, 'model'), join(project, 'models', 'mapped'), { recursive: true });
      const client = await connect();
      await client.openProject(project);
      const sizes = [];
      for (let i = 0; i < 3; i++) sizes.push((await client.getMap('mapped')).p1.length);
      expect(sizes[0]).toBeGreaterThan(1000);
      expect(sizes).toEqual([sizes[0], sizes[0], sizes[0]]);
      await client.deleteModel('mapped');
    });

    it("previews random sounds exactly as the CLI's sample writes them (one sampler, the material's loudness)", async () => {
      await cp(join(demo, 'model'), join(project, 'models', 'sampled'), { recursive: true });
      const client = await connect();
      await client.openProject(project);
      // The studio asks at GENERATED_SOUND's temperature, the CLI's default.
      const previews = await client.sample('sampled', 2, 0.5, GENERATED_SOUND.temperature, 7);
      const out = join(dir, 'cli-samples');
      const r = runCli([
        'sample',
        join(project, 'models', 'sampled'),
        '--count',
        '2',
        '--seconds',
        '0.5',
        '--seed',
        '7',
        '--out',
        out,
      ]);
      expect(r.status).toBe(0);
      for (const [i, preview] of previews.entries()) {
        const file = decodeWav(await readFile(join(out, `sample-00${i + 1}.wav`)), 'sample').channels[0];
        expect(file.length).toBe(preview.samples.length);
        // The same sound, but for the file's 16-bit rounding.
        const worst = preview.samples.reduce((m, v, k) => Math.max(m, Math.abs(v - file[k])), 0);
        expect(worst).toBeLessThan(2 / 32768);
      }
      await client.deleteModel('sampled');
    });

    it('deletes only model folders: a folder without a valid studio.json, or a symlink out, is refused', async () => {
      const client = await connect();
      await client.openProject(project);
      await mkdir(join(project, 'models', 'half-made'), { recursive: true });
      await writeFile(join(project, 'models', 'half-made', 'checkpoint.bin'), 'keep');
      await expect(client.deleteModel('half-made')).rejects.toThrow(/studio\.json/);
      expect(await readFile(join(project, 'models', 'half-made', 'checkpoint.bin'), 'utf8')).toBe('keep');

      const outside = join(dir, 'outside-model');
      await cp(join(demo, 'model'), outside, { recursive: true });
      await symlink(outside, join(project, 'models', 'escape'));
      await expect(client.deleteModel('escape')).rejects.toThrow(/outside/);
      expect(existsSync(join(outside, 'studio.json'))).toBe(true);
      await rm(join(project, 'models', 'escape'));
      await rm(join(project, 'models', 'half-made'), { recursive: true });
    });

    it('gives each connection its own auditions: capped, stoppable only by it, ended when it closes', async () => {
      await cp(join(demo, 'model'), join(project, 'models', 'demo'), { recursive: true });
      const a = await connect();
      const b = await connect();
      await a.openProject(project);
      let bAudio = 0;
      b.onEvent((e) => {
        if (e.type === 'audio') bAudio++;
      });
      const streams = [];
      for (let i = 0; i < 4; i++) streams.push((await a.startAudition('demo', i, 0)).stream);
      await expect(a.startAudition('demo', 0, 0)).rejects.toThrow(/at most 4/);
      await expect(b.stopAudition(streams[0])).rejects.toThrow(/another window/);
      await expect(b.moveAudition(streams[0], 1, 1, 0)).rejects.toThrow(/another window/);
      expect(engine.stats().auditions).toBe(4);
      const own = (await b.startAudition('demo', 0, 0)).stream;
      await b.stopAudition(own);
      a.close();
      await until(() => engine.stats().auditions === 0, "the closed connection's streams to end", 5000);
      // B never heard A's streams: audio goes to its owner only.
      const heard = bAudio;
      await new Promise((r) => setTimeout(r, 100));
      expect(bAudio).toBe(heard);
    });

    it('answers another client while a 60 s 48 kHz stereo import decodes (order, not a timer)', async () => {
      const n = 60 * 48000;
      const left = new Int16Array(n);
      const right = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        left[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 48000));
        right[i] = Math.round(8000 * Math.sin((2 * Math.PI * 330 * i) / 48000));
      }
      const wav = new WaveFile();
      wav.fromScratch(2, 48000, '16', [left, right]);
      const bytes = wav.toBuffer();
      const a = await connect();
      const b = await connect();
      await a.openProject(project);
      await b.hello(); // the first hello asks a worker; later ones answer at once
      const order: string[] = [];
      const importing = a.importSource('long stereo.wav', bytes).then((info) => {
        order.push('import');
        return info;
      });
      // Sent once the import is in the engine's hands.
      await until(() => engine.stats().poolBusy > 0, 'the import to start', 10_000);
      await b.hello().then(() => order.push('hello'));
      const info = await importing;
      expect(order).toEqual(['hello', 'import']);
      expect(info).toMatchObject({ channels: 2, sampleRate: 48000 });
      expect(info.durationSeconds).toBeCloseTo(60, 3);
      await a.removeSource(info.id);
    });

    it('keeps a training run going after its connection closes; a new connection sees its whole history', async () => {
      const a = await connect();
      await a.openProject(project);
      const settings = {
        name: 'tiny',
        preset: 'compact' as const,
        latent: 4,
        epochs: 4,
        batch: 128,
        beta: 0.01,
      };
      const firstEpoch = when(a, (e) => (e.type === 'training' && e.report ? e.report.epoch : undefined));
      const call = a.train({ ...settings, sources: ['vowels.wav'] }).catch((err: Error) => err);
      expect(await firstEpoch).toBe(1);
      a.close();
      expect(((await call) as Error).name).toBe('DisconnectedError');

      const b = await connect();
      await b.openProject(project);
      const running = (await b.listJobs()).find((j) => j.id === 'train/tiny');
      expect(running?.state).toBe('running');
      expect(running?.history.length).toBeGreaterThanOrEqual(1);
      expect(await b.listTraining()).toContainEqual(
        expect.objectContaining({ model: 'tiny', status: 'running' }),
      );
      const done = await when(b, (e) =>
        e.type === 'job' && e.job.id === 'train/tiny' && e.job.state !== 'running' ? e.job : undefined,
      );
      expect(done.state).toBe('done');
      const job = (await b.listJobs()).find((j) => j.id === 'train/tiny') as JobInfo;
      expect(job.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
      expect(job.progress).toEqual({ done: 4, total: 4 });
      expect(job.endedAt).not.toBeNull();
      expect((await b.openProject(project)).models.map((m) => m.id)).toContain('tiny');
    });

    it('cancels a job from another connection; the caller learns it was cancelled', async () => {
      const a = await connect();
      const b = await connect();
      await a.openProject(project);
      const started = when(b, (e) => (e.type === 'job' && e.job.state === 'running' ? e.job.id : undefined));
      const call = a.train({
        name: 'long',
        preset: 'compact',
        latent: 4,
        epochs: 500,
        batch: 128,
        beta: 0.01,
        sources: ['vowels.wav'],
      });
      const id = await started;
      await b.cancelJob(id);
      expect(await call).toMatchObject({ model: 'long', status: 'cancelled' });
      expect((await b.listJobs()).find((j) => j.id === id)?.state).toBe('cancelled');
      await expect(b.cancelJob('train/nothing')).rejects.toThrow(/no running job/);
    });

    it('exports through a temporary folder: progress with the job id; a cancel leaves nothing; a rerun works', async () => {
      await cp(join(demo, 'model'), join(project, 'models', 'demo'), { recursive: true, force: true });
      const client = await connect();
      await client.openProject(project);
      const settings = {
        model: 'demo',
        kind: 'random' as const,
        count: 6,
        seconds: 0.5,
        bitDepth: '16' as const,
        normalize: 'peak' as const,
        name: 'batch',
      };
      const controller = new AbortController();
      client.onEvent((e) => {
        if (e.type === 'progress' && e.job === 'export/batch' && e.done === 2) controller.abort();
      });
      await expect(client.with({ signal: controller.signal }).exportSounds(settings)).rejects.toThrow(
        /cancel|abort/i,
      );
      await until(async () => engine.stats().runningJobs === 0, 'the export to stop', 10_000);
      expect(await readdir(join(project, 'exports'))).toEqual([]);
      expect((await client.listJobs()).find((j) => j.id === 'export/batch')?.state).toBe('cancelled');

      const progress: number[] = [];
      client.onEvent((e) => {
        if (e.type === 'progress' && e.job === 'export/batch') progress.push(e.done);
      });
      const result = await client.exportSounds({ ...settings, count: 2 });
      expect(result).toMatchObject({ name: 'batch', folder: join(project, 'exports', 'batch') });
      expect(result.files).toEqual(['random-001.wav', 'random-002.wav', 'manifest.json', 'manifest.csv']);
      expect(progress.at(-1)).toBe(2);
      expect((await readdir(join(project, 'exports'))).sort()).toEqual(['batch']);
      expect((await client.getExportZip('batch')).byteLength).toBeGreaterThan(1000);
    });

    it('writes only inside the project: a folder the app did not grant is refused, nothing written', async () => {
      const client = await connect();
      await client.openProject(project);
      const target = join(dir, 'anywhere');
      const settings = {
        model: 'demo',
        kind: 'random',
        count: 1,
        seconds: 0.2,
        bitDepth: '16',
        normalize: 'none',
        name: 'x',
        folder: target,
      } as const;
      await expect(client.exportSounds(settings)).rejects.toThrow(/only inside the open project/);
      expect(existsSync(target)).toBe(false);
      // Granted by main's dialog (Electron): honoured.
      await mkdir(target);
      engine.grantPath(target, 'export');
      const result = await client.exportSounds(settings);
      expect(result.folder).toBe(target);
      expect((await readdir(target)).sort()).toEqual(['manifest.csv', 'manifest.json', 'random-001.wav']);
    });

    it('opens only projects: a mistyped path is refused, an empty folder becomes one when asked', async () => {
      const client = await connect();
      await expect(client.openProject(join(dir, 'no', 'such', 'place'))).rejects.toThrow(/does not exist/);
      expect(existsSync(join(dir, 'no'))).toBe(false);
      const empty = join(dir, 'empty');
      await mkdir(empty);
      await expect(client.openProject(empty)).rejects.toMatchObject({ name: 'NoProjectError' });
      expect(await readdir(empty)).toEqual([]);
      expect((await client.openProject(empty, { create: true })).sources).toEqual([]);
      await client.openProject(project);
    });

    it('offers, but does not resume, an interrupted run whose inputs are outside the project', async () => {
      const client = await connect();
      const folder = join(project, 'models', 'from-cli');
      await mkdir(folder, { recursive: true });
      const outside = join(dir, 'outside.wav');
      await cp(join(demo, 'sources', 'vowels.wav'), outside);
      const record = {
        status: 'running',
        pid: 2 ** 22 + 12345, // no such process
        settings: { name: 'from-cli', preset: 'compact', latent: 4, epochs: 3, batch: 128, beta: 0.01 },
        inputs: [outside],
        sourceIds: null,
        epoch: 1,
        history: [],
        origin: 'cli',
        updatedAt: new Date().toISOString(),
      };
      await writeFile(join(folder, 'training.json'), JSON.stringify(record));
      await client.openProject(project);
      const job = (await client.listJobs()).find((j) => j.id === 'train/from-cli');
      expect(job?.state).toBe('interrupted');
      expect(engine.stats().runningJobs).toBe(0);
    });

    it("lists a CLI run into the project's models/ as a job, with its history", async () => {
      const client = await connect();
      await client.openProject(project);
      const out = join(project, 'models', 'cli-run');
      const r = runCli([
        'train',
        join(demo, 'sources', 'vowels.wav'),
        '--out',
        out,
        '--preset',
        'compact',
        '--latent',
        '4',
        '--epochs',
        '2',
        '--batch',
        '128',
      ]);
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.status).toBe(0);
      const job = (await client.listJobs()).find((j) => j.id === 'train/cli-run');
      expect(job).toMatchObject({ kind: 'train', state: 'done', progress: { done: 2, total: 2 } });
      expect(job?.history.map((h) => h.epoch)).toEqual([1, 2]);
    });
  },
);
