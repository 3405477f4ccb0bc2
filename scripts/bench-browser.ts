// The browser backends' rows of `npm run bench` (scripts/bench-vae.ts): training frames/s of the
// same Trainer in the compute page (ml/browser/) on WebGPU and WebGL, and the page backend's own
// ceiling (a 1024² matrix product in the page). Only on a real GPU adapter: a software one
// (SwiftShader) is far slower than wasm and its rows would only take minutes; the reason is printed
// instead. VAE_STUDIO_BENCH_SOFTWARE=1 benches a software adapter too.
import type { BackendName } from '../ml/backend.js';
import { probeBrowserGpu } from '../ml/browser/probe.js';
import { BrowserTrainer } from '../ml/browser/remote-trainer.js';
import type { Corpus } from '../ml/vae/corpus.js';
import type { PresetName } from '../ml/vae/model.js';
import { DEFAULT_TRAIN_CONFIG, Trainer } from '../ml/vae/trainer.js';

export interface BrowserRow {
  backend: BackendName;
  /** Steady-state training frames/s (the slower of epochs 2 and 3), or null with the reason. */
  framesPerSecond: number | null;
  ceilingGflops: number | null;
  adapter: string;
  reason?: string;
}

export async function benchBrowserBackends(corpus: Corpus, preset: PresetName): Promise<BrowserRow[]> {
  const probe = await probeBrowserGpu();
  const rows: BrowserRow[] = [];
  for (const backend of ['webgpu', 'webgl'] as const) {
    const found = probe[backend];
    const adapter = found
      ? [found.vendor, found.architecture, found.description].filter(Boolean).join(' ')
      : '';
    if (!found || (found.software && process.env.VAE_STUDIO_BENCH_SOFTWARE !== '1')) {
      rows.push({
        backend,
        framesPerSecond: null,
        ceilingGflops: null,
        adapter,
        reason: found
          ? `software adapter (${adapter}); VAE_STUDIO_BENCH_SOFTWARE=1 benches it`
          : probe[`${backend}Reason`],
      });
      continue;
    }
    const trainer = new Trainer({ ...DEFAULT_TRAIN_CONFIG, preset, epochs: 3 }, corpus);
    let remote: BrowserTrainer | null = null;
    try {
      remote = await BrowserTrainer.open(backend, trainer);
      const rates: number[] = [];
      for (let e = 0; e < 3; e++) rates.push((await remote.runEpoch())!.framesPerSecond);
      const steady = rates.slice(1).sort((a, b) => a - b);
      const ceilingGflops = await remote.matmulGflops(1024);
      rows.push({ backend, framesPerSecond: steady[0], ceilingGflops, adapter });
    } catch (error) {
      rows.push({
        backend,
        framesPerSecond: null,
        ceilingGflops: null,
        adapter,
        reason: (error as Error).message,
      });
    } finally {
      await remote?.close();
      trainer.dispose();
    }
  }
  return rows;
}
