/**
 * The training worker thread (docs/design.md, "Threads"): loads and analyses the inputs, trains,
 * checkpoints each epoch and writes the model, reporting through TrainEvents, so the thread that
 * started it stays free to serve a UI and to take a cancel.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { AudioFileError } from '../audio/errors.js';
import { initBackend, tf } from '../backend.js';
import { fromUnitFrames } from '../features/scale.js';
import { createRealFft } from '../synth/fft.js';
import { withNyquist } from '../synth/roundtrip.js';
import { rtpghiResynth } from '../synth/stream.js';
import { CheckpointError, restoreTrainer, saveCheckpoint } from './checkpoint.js';
import { buildCorpus, expandInputs } from './corpus.js';
import { LATENTS_FILE, saveModelFolder } from './folder.js';
import { parameterCount } from './model.js';
import { pca } from './pca.js';
import { fitMixture, MIXTURE_COMPONENTS } from './posterior.js';
import { CHECKPOINT_FILE, type TrainEvent, type TrainRequest } from './train-protocol.js';
import { NonFiniteLossError, Trainer } from './trainer.js';

const request = workerData as TrainRequest;
const post = (event: TrainEvent) => parentPort!.postMessage(event);
const cancelled = new Int32Array(request.cancel);

async function run(): Promise<void> {
  const started = performance.now();
  const backend = await initBackend(request.backend);
  post({ type: 'backend', info: backend });
  const files = await expandInputs(request.inputs);
  const { corpus } = await buildCorpus(files, request.frames, (skipped) =>
    post({ type: 'skipped', skipped }),
  );
  const checkpoint = join(request.out, CHECKPOINT_FILE);
  const trainer = request.resume
    ? await restoreTrainer(checkpoint, corpus)
    : new Trainer(request.config, corpus);
  try {
    const epochs = request.epochs ?? trainer.config.epochs;
    const config = { ...trainer.config, epochs };
    Object.assign(trainer.config, { epochs });
    post({
      type: 'corpus',
      sources: corpus.sources,
      frames: corpus.frames.length / corpus.bins,
      train: corpus.train.length,
      heldOut: corpus.heldOut.length,
      params: parameterCount(trainer.encoder, trainer.decoder),
      resumedAt: trainer.epoch,
    });
    let lastPost = 0;
    while (trainer.epoch < epochs) {
      const epoch = trainer.epoch + 1;
      const report = await trainer.runEpoch({
        shouldStop: () => Atomics.load(cancelled, 0) === 1,
        onBatch: (done, total) => {
          const now = performance.now();
          if (done === total || now - lastPost > 100) {
            lastPost = now;
            post({ type: 'batch', epoch, done, total });
          }
        },
      });
      if (!report) {
        post({ type: 'cancelled', epoch: trainer.epoch });
        return;
      }
      post({ type: 'epoch', report });
      await saveCheckpoint(checkpoint, trainer);
      const every = request.previewEvery;
      if (every && (report.epoch % every === 0 || report.epoch === epochs)) {
        post({
          type: 'preview',
          epoch: report.epoch,
          ...(await preview(trainer)),
          sampleRate: request.frames.sampleRate,
        });
      }
    }
    const means = await trainer.latentMeans(corpus.train);
    const motion = await storedLatents(trainer);
    const final = trainer.history[trainer.history.length - 1];
    const seconds = (performance.now() - started) / 1000 + (request.resume ? sumSeconds(trainer.history) : 0);
    await saveModelFolder(request.out, {
      encoder: trainer.encoder,
      decoder: trainer.decoder,
      studio: {
        format: 'vae-studio-model',
        version: 1,
        preset: config.preset,
        latent: config.latent,
        frames: request.frames,
        ref: corpus.ref,
        loss: config.loss,
        training: {
          config: { ...config },
          epochs: trainer.epoch,
          backend: backend.name,
          sources: corpus.sources,
          history: trainer.history.map((h) => ({ ...h })),
          seconds,
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
    post({
      type: 'done',
      summary: {
        folder: request.out,
        epochs: trainer.epoch,
        params: parameterCount(trainer.encoder, trainer.decoder),
        seconds,
        final,
      },
    });
  } finally {
    trainer.dispose();
  }
}

/** The most latent frames a model keeps for motion (MAX × latent × 4 bytes: 4 MiB at latent 16). */
const MAX_STORED_FRAMES = 65_536;
/** Over that, whole stretches of this many frames (1.5 s) are kept, evenly spread. */
const STRETCH = 256;

/**
 * The training frames' latent means in order, source after source, for the motion of generated
 * sounds (sampler.ts); for a long corpus, evenly spread stretches of it.
 */
async function storedLatents(trainer: Trainer): Promise<{
  latents: Float32Array;
  frames: number;
  segments: { source: string; start: number; length: number }[];
}> {
  const { corpus } = trainer;
  const total = corpus.frames.length / corpus.bins;
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

/** Two seconds of the first training sound through the model as it is now. */
async function preview(trainer: Trainer): Promise<{ samples: Float32Array }> {
  const { corpus, config } = trainer;
  const settings = request.frames;
  const frames = Math.min(corpus.sources[0].frames, Math.round((2 * settings.sampleRate) / settings.hop));
  const unit = corpus.frames.subarray(0, frames * corpus.bins);
  const decoded = tf.tidy(() => {
    const h = trainer.encoder.predict(tf.tensor2d(unit, [frames, corpus.bins])) as tf.Tensor2D;
    return trainer.decoder.predict(tf.slice(h, [0, 0], [frames, config.latent])) as tf.Tensor2D;
  });
  const values = (await decoded.data()) as Float32Array;
  decoded.dispose();
  const fft = await createRealFft(settings.windowSize);
  try {
    const magnitude = withNyquist(fromUnitFrames(values, corpus.ref, settings.floorDb), settings.bins);
    return { samples: rtpghiResynth(magnitude, (frames - 1) * settings.hop, fft, settings) };
  } finally {
    fft.dispose();
  }
}

function sumSeconds(history: { seconds: number }[]): number {
  return history.reduce((s, h) => s + h.seconds, 0);
}

run().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AudioFileError)
    post({ type: 'error', kind: 'input', message: err.reason, file: err.file });
  else if (err instanceof NonFiniteLossError) post({ type: 'error', kind: 'diverged', message });
  else if (err instanceof CheckpointError) post({ type: 'error', kind: 'checkpoint', message });
  else
    post({
      type: 'error',
      kind: 'internal',
      message: err instanceof Error ? (err.stack ?? message) : message,
    });
});
