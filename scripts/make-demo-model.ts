/**
 * Trains the demo model (assets/demo/model/) on the demo sounds (assets/demo/sources/, made by
 * make-demo-sounds.ts): the compact preset, small enough to commit and to train in about a minute
 * on the wasm backend. The checkpoint is dropped: the folder is a finished model.
 * Usage: node dist/scripts/make-demo-model.js [--force]
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_FRAME_SETTINGS } from '../ml/features/settings.js';
import { startTraining } from '../ml/vae/train-job.js';
import { CHECKPOINT_FILE } from '../ml/vae/train-protocol.js';
import { DEFAULT_TRAIN_CONFIG } from '../ml/vae/trainer.js';
import { packageRoot } from '../main/package-info.js';

const root = packageRoot();
const out = join(root, 'assets', 'demo', 'model');
if (existsSync(out)) {
  if (!process.argv.includes('--force')) {
    process.stderr.write(`${out} exists; run with --force to train it again\n`);
    process.exit(2);
  }
  await rm(out, { recursive: true });
}
const job = startTraining(
  {
    inputs: [join(root, 'assets', 'demo', 'sources')],
    out,
    resume: false,
    config: { ...DEFAULT_TRAIN_CONFIG, preset: 'compact', latent: 8, epochs: 40, seed: 1 },
    frames: DEFAULT_FRAME_SETTINGS,
  },
  (event) => {
    if (event.type === 'epoch') {
      const r = event.report;
      process.stderr.write(
        `epoch ${r.epoch}/${r.epochs}: reconstruction ${r.reconstruction.toFixed(2)}, KL ${r.kl.toFixed(2)}, active ${r.activeUnits}\n`,
      );
    }
  },
);
const outcome = await job.outcome;
if (outcome.status !== 'done') {
  process.stderr.write(`demo model not made: ${JSON.stringify(outcome)}\n`);
  process.exit(1);
}
await rm(join(out, CHECKPOINT_FILE));
process.stdout.write(`${out}\n`);
