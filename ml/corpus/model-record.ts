// Writing a trained model's folder (ml/vae/folder.ts) from a Trainer: the networks, and what
// studio.json holds besides them — the reference level, the training history, the metrics, the PCA
// of the training frames' latent means (the map), the aggregate posterior, the material's loudness
// and the training latents for motion (latents.bin). The training worker and `import-model` (a
// network trained by PyTorch, its weights loaded into a Trainer) both write models through here.
import type { FrameSettings } from '../features/settings.js';
import { frameTotal } from '../vae/corpus.js';
import { LATENTS_FILE, saveModelFolder } from '../vae/folder.js';
import { pca } from '../vae/pca.js';
import { fitMixture, MIXTURE_COMPONENTS } from '../vae/posterior.js';
import type { EpochReport, Trainer } from '../vae/trainer.js';
import { mapStride } from './map-budget.js';

/**
 * The training frames the PCA and the aggregate posterior are fitted to: all of them up to the map's
 * point budget (map-budget.ts), else every k-th, so hours of audio cost no more than it.
 */
export function mapSubset(train: Int32Array): Int32Array {
  const every = mapStride(train.length);
  return every <= 1 ? train : train.filter((_, i) => i % every === 0);
}

/** The most latent frames a model keeps for motion (MAX × latent × 4 bytes: 4 MiB at latent 16). */
const MAX_STORED_FRAMES = 65_536;
/** Over that, whole stretches of this many frames (1.5 s) are kept, evenly spread. */
const STRETCH = 256;

/**
 * The training frames' latent means in order, source after source, for the motion of generated
 * sounds (sampler.ts); for a long corpus, evenly spread stretches of it.
 */
export async function storedLatents(trainer: Trainer): Promise<{
  latents: Float32Array;
  frames: number;
  segments: { source: string; start: number; length: number }[];
}> {
  const { corpus } = trainer;
  const total = frameTotal(corpus);
  const every = Math.max(1, Math.ceil(total / MAX_STORED_FRAMES));
  const keep: { source: string; from: number; length: number }[] = [];
  let offset = 0;
  let chunk = 0;
  for (const source of corpus.sources) {
    if (every === 1) keep.push({ source: source.name, from: offset, length: source.frames });
    else {
      for (let start = 0; start < source.frames; start += STRETCH, chunk++) {
        if (chunk % every === 0)
          keep.push({
            source: source.name,
            from: offset + start,
            length: Math.min(STRETCH, source.frames - start),
          });
      }
    }
    offset += source.frames;
  }
  const indices = new Int32Array(keep.reduce((n, k) => n + k.length, 0));
  const segments: { source: string; start: number; length: number }[] = [];
  let at = 0;
  for (const k of keep) {
    segments.push({ source: k.source, start: at, length: k.length });
    for (let i = 0; i < k.length; i++) indices[at + i] = k.from + i;
    at += k.length;
  }
  const latents = await trainer.latentMeans(indices);
  return { latents, frames: indices.length, segments };
}

export interface ModelRecord {
  frames: FrameSettings;
  /** The backend that trained it, as studio.json names it. */
  backend: string;
  /** Training time in all, seconds. */
  seconds: number;
  /** Every epoch's figures (the last one gives the metrics). */
  history: EpochReport[];
  /** Training settings stored beside the model (default: the trainer's). */
  config?: Record<string, unknown>;
}

/** Writes the trainer's networks and studio.json (with latents.bin) into `folder`. */
export async function writeModel(trainer: Trainer, folder: string, record: ModelRecord): Promise<void> {
  const { corpus } = trainer;
  const config = trainer.config;
  const means = await trainer.latentMeans(mapSubset(corpus.train));
  const motion = await storedLatents(trainer);
  const final = record.history[record.history.length - 1];
  await saveModelFolder(folder, {
    encoder: trainer.encoder,
    decoder: trainer.decoder,
    studio: {
      format: 'vae-studio-model',
      version: 1,
      preset: config.preset,
      latent: config.latent,
      frames: record.frames,
      ref: corpus.ref,
      loss: config.loss,
      training: {
        config: record.config ?? { ...config },
        epochs: final.epoch,
        backend: record.backend,
        sources: corpus.sources,
        history: record.history.map((h) => ({ ...h })),
        seconds: record.seconds,
      },
      metrics: {
        reconstruction: final.reconstruction,
        kl: final.kl,
        elbo: final.elbo,
        heldOut: final.heldOut,
        activeUnits: final.activeUnits,
        framesPerSecond: final.framesPerSecond,
      },
      pca: pca(means, config.latent),
      posterior: fitMixture(means, config.latent, MIXTURE_COMPONENTS, config.seed),
      ...(corpus.loudnessDb !== undefined ? { level: { loudnessDb: corpus.loudnessDb } } : {}),
      latents: { file: LATENTS_FILE, frames: motion.frames, segments: motion.segments },
      createdAt: new Date().toISOString(),
    },
    latents: motion.latents,
  });
}
