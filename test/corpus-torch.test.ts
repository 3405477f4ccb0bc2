// export-corpus → torchrun (2 processes, gloo on the CPU) → import-model, on a few hundred frames of
// real recordings: the exported frames are the app's, train.py trains and resumes, the imported model
// decodes latents as PyTorch does (within 1e-4) and resynth, sample and export accept it. Needs
// Debian's python3-torch at /usr/bin/python3 (.ci/run installs it): the pyenv python3 on PATH lacks it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../ml/backend.js';
import { npyHeader, readNpy, readNpyHeader } from '../ml/corpus/npy.js';
import { loadAudioFile } from '../ml/audio/load.js';
import { analyze } from '../ml/features/analyze.js';
import { toUnitFrames } from '../ml/features/scale.js';
import { SeededRandom } from '../ml/random.js';
import { tempDir } from '../ml/vae/testing.js';
import { VaeModel } from '../ml/vae/vae-model.js';
import { sox } from './audio-testing.js';
import { runCli } from './cli.js';
import { instrumentFixture, speechFixture } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const TORCHRUN = '/usr/bin/torchrun';

function python(args: string[], cwd: string, timeout = 240_000) {
  const r = spawnSync(args[0], args.slice(1), { cwd, encoding: 'utf8', timeout });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('export-corpus, torchrun and import-model', () => {
  let dir = '';
  let remove = async () => {};
  let inputs: string[] = [];
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('vae-torch-'));
    inputs = [
      ['speech.wav', speechFixture(0).path],
      ['piano.wav', instrumentFixture(0).path],
    ].map(([name, path]) => {
      const out = join(dir, name);
      sox(path, '-c', '1', out, 'trim', '0', '1.2'); // about 200 frames each
      return out;
    });
  });
  afterAll(() => remove());

  it('trains on 2 processes, resumes, and comes back as a model every command opens', async () => {
    expect(existsSync(PYTHON), `${PYTHON} (Debian's python3-torch) is needed`).toBe(true);
    const corpus = join(dir, 'corpus');
    const exported = runCli(
      ['export-corpus', ...inputs, '--out', corpus, '--preset', 'compact', '--latent', '8', '--epochs', '2'],
      { env: { VAE_STUDIO_BACKEND: 'cpu' } },
    );
    expect(exported.status, exported.stderr).toBe(0);
    expect(readdirSync(corpus).sort()).toEqual(['corpus.json', 'frames.npy', 'train.py']);
    // frames.npy holds the app's frames of the sources, one after another, scaled by the corpus peak.
    const json = JSON.parse(readFileSync(join(corpus, 'corpus.json'), 'utf8'));
    const { shape, data } = readNpy(join(corpus, 'frames.npy'));
    expect(readNpyHeader(join(corpus, 'frames.npy')).offset % 64).toBe(0);
    expect(shape).toEqual([json.count, 256]);
    expect(
      json.sources.map((s: { frames: number }) => s.frames).reduce((a: number, b: number) => a + b),
    ).toBe(json.count);
    const first = analyze((await loadAudioFile(inputs[0])).samples).amplitude;
    expect(Array.from(data.subarray(0, first.length))).toEqual(
      Array.from(toUnitFrames(first, json.ref, -80)),
    );

    // torchrun on 2 processes (torch 1.13's torchrun needs the redirects spelled out under Python 3.11).
    const run = python(
      [TORCHRUN, '--standalone', '--nproc_per_node', '2', '--redirects', '0:1', '--tee', '0:1', 'train.py'],
      corpus,
    );
    expect(run.status, run.out).toBe(0);
    expect(run.out).toMatch(/"processes": 2, "backend": "gloo"/);
    expect(run.out.match(/"event": "epoch"/g)).toHaveLength(2);
    // Started again with more epochs, it resumes from its checkpoint (here on one process).
    const resumed = python([PYTHON, 'train.py', '--epochs', '3'], corpus);
    expect(resumed.status, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/resuming after epoch 2/);
    expect(resumed.out.match(/"event": "epoch"/g)).toHaveLength(1);
    const weights = JSON.parse(readFileSync(join(corpus, 'weights.json'), 'utf8'));
    expect(weights.epochs).toBe(3);
    expect(weights.history).toHaveLength(3);

    const model = join(dir, 'model');
    const imported = runCli(['import-model', corpus, '--out', model, '--json']);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.json).toMatchObject({ epochs: 3, processes: 1, latent: 8 });

    // The same latents decoded by PyTorch and by the app's own networks.
    const rng = new SeededRandom(5);
    const z = Float32Array.from({ length: 64 * 8 }, () => 2 * rng.normal());
    const header = npyHeader([64, 8]);
    writeFileSync(join(dir, 'z.npy'), Buffer.concat([header, Buffer.from(z.buffer)]));
    const decoded = python(
      [PYTHON, 'train.py', '--decode', join(dir, 'z.npy'), '--decoded', join(dir, 'y.npy')],
      corpus,
    );
    expect(decoded.status, decoded.out).toBe(0);
    const torchFrames = readNpy(join(dir, 'y.npy')).data;
    await initBackend('cpu');
    const app = await VaeModel.load(model);
    try {
      const ours = app.decode(z);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - torchFrames[i]));
      expect(worst).toBeLessThan(1e-4);
      expect(app.studio.training.backend).toMatch(/^pytorch-cpu/);
      expect(app.studio.pca.components).toHaveLength(8);
      expect(app.latents!.length).toBe(json.count * 8);
    } finally {
      app.dispose();
    }

    const resynth = runCli(['resynth', model, inputs[1], '--out', join(dir, 'r.wav'), '--json']);
    expect(resynth.status, resynth.stderr).toBe(0);
    const sampled = runCli(['sample', model, '--count', '1', '--seconds', '0.5', '--out', join(dir, 's')]);
    expect(sampled.status, sampled.stderr).toBe(0);
    const grid = runCli(['export', model, '--grid', '2', '--seconds', '0.5', '--out', join(dir, 'e')]);
    expect(grid.status, grid.stderr).toBe(0);
    expect(readdirSync(join(dir, 'e')).filter((f) => f.endsWith('.wav'))).toHaveLength(4);
  }, 600_000);

  it('import-model refuses a folder without weights, naming it', () => {
    const empty = join(dir, 'untrained');
    const exported = runCli(['export-corpus', inputs[0], '--out', empty, '--preset', 'compact']);
    expect(exported.status, exported.stderr).toBe(0);
    const r = runCli(['import-model', empty, '--out', join(dir, 'nothing')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(join(empty, 'weights.json'));
    expect(existsSync(join(dir, 'nothing'))).toBe(false);
  });
});
