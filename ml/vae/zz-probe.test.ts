import { it, expect, beforeAll } from 'vitest';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { restoreTrainer, saveCheckpoint } from './checkpoint.js';
import { maxAbsDiff, reportNumbers, snapshot, tempDir, tinyConfig, tinyCorpus } from './testing.js';
import { Trainer } from './trainer.js';
beforeAll(async () => { await initBackend('wasm'); });
for (const batch of [135, 54, 30, 27, 32]) {
  it('resume batch ' + batch, async () => {
    const { dir, remove } = await tempDir();
    const config = tinyConfig({ epochs: 3, seed: 5, batch });
    const a = new Trainer(config, tinyCorpus());
    await a.runEpoch(); const s2 = await a.runEpoch();
    const b = new Trainer(config, tinyCorpus());
    await b.runEpoch();
    const path = join(dir, 'c.bin');
    await saveCheckpoint(path, b); b.dispose();
    const r = await restoreTrainer(path, tinyCorpus());
    const r2 = await r.runEpoch();
    const o1 = await a.optimizer.getWeights(); const o2 = await r.optimizer.getWeights();
    const acc = (o: any) => [(o as any).accBeta1.dataSync()[0], (o as any).accBeta2.dataSync()[0]];
    console.log(batch, Math.ceil(270 / batch), maxAbsDiff(snapshot(a.variables), snapshot(r.variables)), r2!.reconstruction - s2!.reconstruction, acc(a.optimizer), acc(r.optimizer));
    o1.concat(o2).filter(w => w.name === 'iter').forEach(w => w.tensor.dispose());
    a.dispose(); r.dispose(); await remove();
  });
}
