/**
 * A model trained by PyTorch (export-corpus → torchrun, 2 processes on the CPU → import-model) against
 * in-app training at equal epochs: the source-phase resynthesis of the training recordings (mean
 * spectral convergence over the six fixture recordings, dB, lower is better) of the torch model and of
 * in-app models trained with three seeds, whose spread is the yardstick. Needs Debian's python3-torch
 * (/usr/bin/python3, /usr/bin/torchrun).
 *
 * Usage: node dist/scripts/bench-torch.js [--epochs 10] [--seeds 0,1,2] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAudioFile } from '../ml/audio/load.js';
import { initBackend } from '../ml/backend.js';
import { createRealFft } from '../ml/synth/fft.js';
import { spectralConvergence } from '../ml/synth/metrics.js';
import { Stft, magnitudes } from '../ml/synth/stft.js';
import { resynthesize } from '../ml/vae/generate.js';
import { VaeModel } from '../ml/vae/vae-model.js';
import { packageRoot } from '../main/package-info.js';
import { allFixtures } from '../test/fixtures.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const EPOCHS = Number(arg('--epochs', '10'));
const SEEDS = arg('--seeds', '0,1,2').split(',').map(Number);
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

function run(command: string, argv: string[], cwd = packageRoot()): string {
  const r = spawnSync(command, argv, { cwd, encoding: 'utf8', timeout: 3_600_000 });
  if (r.status !== 0)
    throw new Error(`${command} ${argv.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}
const cli = (argv: string[]) => run(process.execPath, [join(packageRoot(), 'bin', 'vae-studio.js'), ...argv]);

/** Mean spectral convergence of the files resynthesized through the model with their own phase. */
async function resynthesisSc(folder: string, files: string[]): Promise<number> {
  const model = await VaeModel.load(folder);
  const fft = await createRealFft(model.studio.frames.windowSize);
  const stft = new Stft(fft, model.studio.frames);
  try {
    const scs: number[] = [];
    for (const file of files) {
      const x = (await loadAudioFile(file)).samples;
      const y = resynthesize(model, x, stft, { method: 'source' }).audio;
      scs.push(spectralConvergence(magnitudes(stft.forward(x)), magnitudes(stft.forward(y)))!);
    }
    return scs.reduce((s, v) => s + v, 0) / scs.length;
  } finally {
    model.dispose();
    fft.dispose();
  }
}

const work = mkdtempSync(join(tmpdir(), 'vae-bench-torch-'));
try {
  await initBackend();
  const files = allFixtures().map((f) => f.path);
  const app: { seed: number; sc: number; seconds: number }[] = [];
  for (const seed of SEEDS) {
    const out = join(work, `app-${seed}`);
    const t = performance.now();
    cli(['train', ...files, '--out', out, '--epochs', String(EPOCHS), '--seed', String(seed), '--json']);
    const seconds = (performance.now() - t) / 1000;
    app.push({ seed, sc: await resynthesisSc(out, files), seconds });
    log(`in-app, seed ${seed}: SC ${app[app.length - 1].sc.toFixed(2)} dB (${seconds.toFixed(0)} s)`);
  }
  const corpus = join(work, 'corpus');
  cli(['export-corpus', ...files, '--out', corpus, '--epochs', String(EPOCHS)]);
  const t = performance.now();
  run(
    '/usr/bin/torchrun',
    ['--standalone', '--nproc_per_node', '2', '--redirects', '0:1', '--tee', '0:1', 'train.py'],
    corpus,
  );
  const torchSeconds = (performance.now() - t) / 1000;
  const imported = join(work, 'torch-model');
  cli(['import-model', corpus, '--out', imported]);
  const torchSc = await resynthesisSc(imported, files);
  const scs = app.map((a) => a.sc);
  const lo = Math.min(...scs);
  const hi = Math.max(...scs);
  const mean = scs.reduce((s, v) => s + v, 0) / scs.length;
  log(`torch (2 processes, gloo): SC ${torchSc.toFixed(2)} dB (${torchSeconds.toFixed(0)} s)`);
  log(
    `in-app seeds: ${lo.toFixed(2)} … ${hi.toFixed(2)} dB (spread ${(hi - lo).toFixed(2)}, mean ${mean.toFixed(2)}); ` +
      `torch ${torchSc >= lo && torchSc <= hi ? 'within' : torchSc < lo ? 'below (better than)' : 'above (worse than)'} it`,
  );
  if (json)
    process.stdout.write(
      `${JSON.stringify({ bench: 'torch', epochs: EPOCHS, app, torch: { sc: torchSc, seconds: torchSeconds }, spread: [lo, hi] })}\n`,
    );
} finally {
  rmSync(work, { recursive: true, force: true });
}
