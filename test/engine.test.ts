/**
 * The headless studio end to end through the real CLI: train a tiny model on the demo sounds, then
 * every way of getting sound out of it, every refusal, cancel and resume after a kill.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from '../ml/audio/wav.js';
import { loudnessDb } from '../ml/features/loudness.js';
import { packageRoot } from '../main/package-info.js';
import { BIN, runCli } from './cli.js';

const root = mkdtempSync(join(tmpdir(), 'vae-engine-'));
const demo = join(packageRoot(), 'assets', 'demo', 'sources');
const vowels = join(demo, 'vowels.wav');
const plucks = join(demo, 'plucks.wav');
const model = join(root, 'model');
const TINY = ['--preset', 'compact', '--latent', '4', '--batch', '128', '--seed', '1'];

const wav = (path: string) => decodeWav(readFileSync(path), path);

beforeAll(() => {
  const r = runCli(['train', demo, '--out', model, ...TINY, '--epochs', '2', '--json']);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.status).toBe(0);
}, 120_000);

describe('train', () => {
  it('writes a complete model folder and reports the run', () => {
    for (const f of [
      'studio.json',
      'checkpoint.bin',
      'encoder/model.json',
      'encoder/weights.bin',
      'decoder/model.json',
      'decoder/weights.bin',
    ]) {
      expect(existsSync(join(model, f))).toBe(true);
    }
    const studio = JSON.parse(readFileSync(join(model, 'studio.json'), 'utf8'));
    expect(studio).toMatchObject({ preset: 'compact', latent: 4, loss: 'mixed', training: { epochs: 2 } });
    expect(studio.training.sources.map((s: { name: string }) => s.name)).toEqual([
      'bells.wav',
      'plucks.wav',
      'textures.wav',
      'vowels.wav',
    ]);
    expect(studio.training.history).toHaveLength(2);
    expect(studio.pca.components[0]).toHaveLength(4);
  });

  it('reports its figures as JSON, with active units', () => {
    const out = join(root, 'json-model');
    const r = runCli(['train', vowels, plucks, '--out', out, ...TINY, '--epochs', '1', '--json']);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ epochs: 1, latent: 4 });
    expect(r.json!.activeUnits as number).toBeGreaterThanOrEqual(0);
    expect((r.json!.klPerDim as number[]).length).toBe(4);
    expect(r.json!.total).toBeCloseTo((r.json!.reconstruction as number) + (r.json!.kl as number), 3);
    // The old key stays, as an alias, for scripts that read it.
    expect(r.json!.elbo).toBeCloseTo(-(r.json!.total as number), 6);
    expect(r.stderr).not.toMatch(/ELBO/);
    expect(r.stderr).toMatch(/epoch 1\/1: reconstruction .* active \d\/4, \d+ frames\/s/);
    expect(r.stderr).toMatch(/backend: wasm/);
  });

  it('refuses an existing model folder without --resume, and --resume without a checkpoint', () => {
    const r = runCli(['train', vowels, '--out', model, ...TINY]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not empty; use --resume/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const r2 = runCli(['train', vowels, '--out', empty, '--resume']);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/nothing to resume/);
  });

  it('trains on the good files of a folder and names each skipped one with its reason', () => {
    const mixed = join(root, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a-good.wav'), readFileSync(vowels));
    writeFileSync(join(mixed, 'b-garbage.wav'), 'not a wav at all');
    writeFileSync(join(mixed, 'c-silent.wav'), encodeWav(new Float32Array(22050), 22050, '16'));
    const r = runCli(['train', mixed, '--out', join(root, 'mixed-model'), ...TINY, '--epochs', '1']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/skipped .*b-garbage\.wav: .*RIFF/i);
    expect(r.stderr).toMatch(/skipped .*c-silent\.wav: silent/);
  });

  it('stops with exit 2 when no file is usable', () => {
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'x.wav'), '');
    const r = runCli(['train', bad, '--out', join(root, 'bad-model'), ...TINY]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^vae-studio: .*no usable audio/);
    expect(existsSync(join(root, 'bad-model', 'studio.json'))).toBe(false);
  });
});

/** Starts `train` as a child process and resolves once stderr matches `when`. */
function trainUntil(args: string[], when: RegExp) {
  const child = spawn(process.execPath, [BIN, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const seen = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (when.test(stderr)) resolve();
    });
    child.on('exit', () => reject(new Error(`train exited before ${when}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, seen, exited, stderr: () => stderr };
}

describe('a long run', () => {
  it('resumes after being killed, from its last checkpoint', async () => {
    const out = join(root, 'killed');
    const run = trainUntil([vowels, plucks, '--out', out, ...TINY, '--epochs', '40'], /epoch 2\/40/);
    await run.seen;
    run.child.kill('SIGKILL');
    await run.exited;
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
    expect(existsSync(join(out, 'studio.json'))).toBe(false);
    const r = runCli(['train', vowels, plucks, '--out', out, '--resume', '--epochs', '4', '--json']);
    expect(r.status).toBe(0);
    // The kill may land before or after epoch 2's checkpoint is written: either is a whole checkpoint.
    expect(r.stderr).toMatch(/resuming after epoch [12]\b/);
    expect(r.json!.epochs).toBe(4);
    expect(JSON.parse(readFileSync(join(out, 'studio.json'), 'utf8')).training.history).toHaveLength(4);
  });

  it('stops at the next batch on Ctrl-C, keeping the checkpoint for --resume', async () => {
    const out = join(root, 'interrupted');
    const run = trainUntil([vowels, plucks, '--out', out, ...TINY, '--epochs', '40'], /epoch 1\/40/);
    await run.seen;
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toMatch(/stopped; \d+ epochs are in .*checkpoint\.bin; continue with --resume/);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
  });

  it('refuses to resume on other sounds', () => {
    const r = runCli(['train', vowels, '--out', model, '--resume', '--epochs', '3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/trained on other sounds/);
  });
});

describe('sound out of the model', () => {
  it('resynthesizes a recording to the same length', () => {
    const out = join(root, 'resynth.wav');
    const r = runCli(['resynth', model, vowels, '--out', out, '--json']);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ phase: 'source', silent: false });
    expect(wav(out).channels[0].length).toBe(wav(vowels).channels[0].length);
  });

  it('samples the same sounds for the same seed, and never replaces a file', () => {
    const a = join(root, 'samples-a');
    const b = join(root, 'samples-b');
    for (const dir of [a, b])
      expect(
        runCli(['sample', model, '--count', '2', '--seconds', '0.5', '--out', dir, '--seed', '3']).status,
      ).toBe(0);
    expect(readdirSync(a).sort()).toEqual(['sample-001.wav', 'sample-002.wav']);
    expect(readFileSync(join(a, 'sample-002.wav'))).toEqual(readFileSync(join(b, 'sample-002.wav')));
    const before = readFileSync(join(a, 'sample-001.wav'));
    const again = runCli(['sample', model, '--count', '1', '--seconds', '0.5', '--out', a, '--seed', '9']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/sample-001\.wav: exists; refusing to overwrite/);
    expect(readFileSync(join(a, 'sample-001.wav'))).toEqual(before);
    expect(wav(join(a, 'sample-001.wav')).channels[0].length).toBe(Math.floor((0.5 * 22050) / 128) * 128);
  });

  it('interpolates from A to B in steps', () => {
    const out = join(root, 'steps');
    const r = runCli(['interpolate', model, vowels, plucks, '--steps', '3', '--out', out, '--json']);
    expect(r.status).toBe(0);
    expect((r.json!.files as { t: number }[]).map((f) => f.t)).toEqual([0, 0.5, 1]);
    expect(readdirSync(out).sort()).toEqual(['step-01.wav', 'step-02.wav', 'step-03.wav']);
  });
});

describe('export', () => {
  it('writes a grid with manifests, refusing a non-empty folder without --force', () => {
    const out = join(root, 'grid');
    const r = runCli(['export', model, '--grid', '2', '--seconds', '0.5', '--out', out, '--json']);
    expect(r.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { file: string }) => f.file)).toEqual([
      'grid-r01-c01.wav',
      'grid-r01-c02.wav',
      'grid-r02-c01.wav',
      'grid-r02-c02.wav',
    ]);
    expect(manifest.files[0].latent).toHaveLength(4);
    expect(manifest.files[0].map[0]).toBeLessThan(0);
    expect(manifest.files[1].map[0]).toBeGreaterThan(0);
    expect(manifest.files[0].centroidHz).toBeGreaterThan(0);
    const csv = readFileSync(join(out, 'manifest.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('file,p1,p2,latent,seconds,rms,centroid_hz,flatness,loudness');
    expect(csv).toHaveLength(5);
    const again = runCli(['export', model, '--grid', '2', '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/not empty; .*--force/);
    expect(runCli(['export', model, '--grid', '1', '--seconds', '0.3', '--out', out, '--force']).status).toBe(
      0,
    );
  });

  it("writes random sounds at the asked bit depth, rate and the material's loudness, or peak level", () => {
    const out = join(root, 'random');
    const r = runCli([
      'export',
      model,
      '--random',
      '2',
      '--seconds',
      '0.5',
      '--out',
      out,
      '--bit-depth',
      '24',
      '--rate',
      '44100',
    ]);
    expect(r.status).toBe(0);
    const w = wav(join(out, 'random-001.wav'));
    expect(w.bitsPerSample).toBe(24);
    expect(w.sampleRate).toBe(44100);
    // By default at the training material's loudness (stored with the model), peaks under −1 dBFS.
    const level = (
      JSON.parse(readFileSync(join(model, 'studio.json'), 'utf8')) as { level: { loudnessDb: number } }
    ).level.loudnessDb;
    const samples = Float32Array.from(w.channels[0]);
    const peakDb = 20 * Math.log10(samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    expect(peakDb).toBeLessThanOrEqual(-0.99);
    expect(loudnessDb(samples)).toBeLessThan(level + 0.5);
    if (peakDb < -1.1) expect(loudnessDb(samples)).toBeGreaterThan(level - 0.5);

    const peakOut = join(root, 'random-peak');
    expect(
      runCli(['export', model, '--random', '1', '--seconds', '0.5', '--out', peakOut, '--normalize', 'peak'])
        .status,
    ).toBe(0);
    const p = wav(join(peakOut, 'random-001.wav')).channels[0];
    expect(20 * Math.log10(p.reduce((m, v) => Math.max(m, Math.abs(v)), 0))).toBeCloseTo(-1, 0);
  });

  it('follows a path through map points and latent vectors', () => {
    const path = join(root, 'path.json');
    writeFileSync(path, JSON.stringify([{ map: [0, 0] }, { z: [0.5, 0, 0, 0] }, [1, 1, 0, 0]]));
    const out = join(root, 'path-out');
    expect(runCli(['export', model, '--path', path, '--seconds', '0.25', '--out', out]).status).toBe(0);
    // Two glides of 0.25 s each.
    expect(wav(join(out, 'path.wav')).channels[0].length).toBeGreaterThan(0.45 * 22050);
    writeFileSync(path, JSON.stringify([{ z: [1, 2] }]));
    const bad = runCli(['export', model, '--path', path, '--out', join(root, 'path-bad')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/point 1 is neither 4 numbers/);
  });

  it('resynthesizes inputs, names them after their sources, and needs exactly one mode', () => {
    const out = join(root, 'resynth-out');
    expect(runCli(['export', model, '--resynth', vowels, plucks, '--out', out]).status).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'manifest.csv',
      'manifest.json',
      'plucks-resynth.wav',
      'vowels-resynth.wav',
    ]);
    const none = runCli(['export', model, '--out', join(root, 'none')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/exactly one of/);
  });
});

describe('a bad model folder', () => {
  it.each([
    ['missing', () => join(root, 'no-such-model'), /not a model folder/],
    [
      'damaged studio.json',
      () => {
        const dir = join(root, 'damaged');
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          join(dir, 'studio.json'),
          '{"format": "vae-studio-model", "version": 1, "latent": 999}',
        );
        return dir;
      },
      /studio\.json: /,
    ],
  ])('%s exits 2 naming the folder', (_, make, reason) => {
    const dir = make();
    const r = runCli(['sample', dir, '--count', '1', '--seconds', '0.5', '--out', join(root, 'never')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(
      new RegExp(`^vae-studio: ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `),
    );
    expect(r.stderr.trim()).toMatch(reason);
  });
});

describe('the demo', () => {
  it("runs the README's main command: a grid from the bundled demo model", () => {
    const out = join(root, 'demo-grid');
    const r = runCli([
      'export',
      join(packageRoot(), 'assets', 'demo', 'model'),
      '--grid',
      '3',
      '--out',
      out,
      '--json',
    ]);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ files: 9 });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    // Points across the map sound different: the spectral centroid varies over the grid.
    const centroids = manifest.files.map((f: { centroidHz: number }) => f.centroidHz);
    expect(Math.max(...centroids) / Math.min(...centroids)).toBeGreaterThan(1.2);
  });
});
