/**
 * `export-corpus` and `import-model`: training beyond one machine with PyTorch's torch.distributed.
 * export-corpus writes a corpus's frames as NumPy (frames.npy, memory-mappable), its frame settings and
 * network (corpus.json) and a train.py (ml/corpus/train.py) that trains the app's network under torchrun;
 * import-model loads the weights train.py wrote into the app's own networks and writes a model folder
 * as the training worker does (ml/corpus/model-record.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { initBackend, tf } from '../../ml/backend.js';
import { buildCachedCorpus, ChunkedFrames, CHUNK_FRAMES } from '../../ml/corpus/cached-corpus.js';
import { AnalysisCancelled } from '../../ml/corpus/frame-cache.js';
import { mapSubset, writeModel } from '../../ml/corpus/model-record.js';
import { npyHeader, readNpyHeader, readNpyRows } from '../../ml/corpus/npy.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { type Corpus, corpusRows, expandInputs, heldOutCount } from '../../ml/vae/corpus.js';
import { MAX_LATENT, MIN_LATENT, PRESET_NAMES, PRESETS, type PresetName } from '../../ml/vae/model.js';
import { DEFAULT_TRAIN_CONFIG, type EpochReport, MIXED_WEIGHT, Trainer } from '../../ml/vae/trainer.js';
import { UsageError } from '../errors.js';
import { kindOf } from '../outputs.js';
import { packageInfo, packageRoot } from '../package-info.js';
import { Progress } from '../progress.js';

export const CORPUS_FILE = 'corpus.json';
export const FRAMES_FILE = 'frames.npy';
export const TRAIN_SCRIPT = 'train.py';
export const WEIGHTS_FILE = 'weights.bin';
export const WEIGHTS_INDEX = 'weights.json';

const frameSettings = z.object({
  sampleRate: z.number().int().positive(),
  windowSize: z.number().int().positive(),
  hop: z.number().int().positive(),
  bins: z.number().int().positive(),
  floorDb: z.number().negative(),
});

/** corpus.json: what train.py and import-model need to know about an exported corpus. */
export const corpusSchema = z.object({
  format: z.literal('vae-studio-corpus'),
  version: z.literal(1),
  frames: frameSettings,
  ref: z.number().positive(),
  loudnessDb: z.number().nullable(),
  framesFile: z.literal(FRAMES_FILE),
  count: z.number().int().positive(),
  sources: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      frames: z.number().int().positive(),
      heldOut: z.number().int().nonnegative(),
    }),
  ),
  network: z.object({
    preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]),
    encoder: z.array(z.number().int().positive()),
    decoder: z.array(z.number().int().positive()),
    latent: z.number().int().min(MIN_LATENT).max(MAX_LATENT),
  }),
  training: z.object({
    epochs: z.number().int().positive(),
    batch: z.number().int().positive(),
    beta: z.number().nonnegative(),
    warmupEpochs: z.number().nonnegative(),
    freeBits: z.number().nonnegative(),
    learningRate: z.number().positive(),
    seed: z.number().int().nonnegative(),
    loss: z.enum(['bce', 'mse', 'mixed']),
    mixedWeight: z.number(),
  }),
  app: z.object({ name: z.string(), version: z.string() }),
  createdAt: z.string(),
});
export type CorpusJson = z.infer<typeof corpusSchema>;

const weightsSchema = z.object({
  format: z.literal('vae-studio-torch-weights'),
  version: z.literal(1),
  layout: z.literal('out x in'),
  tensors: z.array(
    z.object({ name: z.string(), shape: z.array(z.number().int().positive()), offset: z.number().int() }),
  ),
  epochs: z.number().int().nonnegative(),
  seconds: z.number(),
  processes: z.number().int().positive(),
  backend: z.string(),
  device: z.string(),
  torch: z.string(),
  batch: z.number().int().positive(),
  history: z.array(z.record(z.string(), z.unknown())),
});

export interface ExportCorpusOptions {
  out: string;
  preset: PresetName;
  latent: number;
  epochs?: number;
  batch: number;
  beta: number;
  loss: 'bce' | 'mse' | 'mixed';
  seed: number;
  cache?: string;
  json?: boolean;
}

/** An output folder that must be new or empty: refused up front, with the reason. */
function checkEmptyFolder(dir: string): void {
  const found = statSync(dir, { throwIfNoEntry: false });
  if (!found) return;
  if (!found.isDirectory()) throw new UsageError(`${dir}: is ${kindOf(found)}, not a folder`);
  if (readdirSync(dir).length > 0) throw new UsageError(`${dir}: not empty; choose a new or empty folder`);
}

/** `vae-studio export-corpus INPUT... --out DIR`: frames.npy, corpus.json and train.py in a new folder. */
export async function exportCorpus(inputs: string[], options: ExportCorpusOptions): Promise<number> {
  const progress = new Progress();
  const out = resolve(options.out);
  checkEmptyFolder(out);
  const files = await expandInputs(inputs);
  const settings = DEFAULT_FRAME_SETTINGS;
  const temporary = options.cache ? null : mkdtempSync(join(tmpdir(), 'vae-studio-frames-'));
  let stop = false;
  const onSignal = () => {
    progress.stage('stopping…');
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Written beside the target and renamed into place at the end: a failure leaves nothing behind.
  const staging = join(
    dirname(out),
    `.${basename(out).slice(0, 100)}.partial-${randomBytes(6).toString('hex')}`,
  );
  try {
    let built;
    try {
      built = await buildCachedCorpus(files, settings, options.cache ? resolve(options.cache) : temporary!, {
        onSkip: (s) => progress.warn(`skipped ${s.file}: ${s.reason}`),
        shouldStop: () => stop,
        onProgress: (done, total, file) =>
          progress.update(`analysing ${basename(file)}`, Math.floor(done * 100), total * 100),
      });
    } catch (err) {
      if (err instanceof AnalysisCancelled) return 130;
      throw err;
    }
    const { corpus, entries } = built;
    const count = corpus.store!.count;
    await mkdir(staging, { recursive: true });
    const handle = await open(join(staging, FRAMES_FILE), 'wx');
    try {
      await handle.write(npyHeader([count, settings.bins]));
      for (let from = 0; from < count; from += CHUNK_FRAMES) {
        if (stop) return 130;
        const to = Math.min(count, from + CHUNK_FRAMES);
        const rows = corpusRows(
          corpus,
          Int32Array.from({ length: to - from }, (_, i) => from + i),
          0,
          to - from,
        );
        await handle.write(new Uint8Array(rows.buffer));
        progress.update('writing frames.npy', to, count);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const config = DEFAULT_TRAIN_CONFIG;
    const json: CorpusJson = {
      format: 'vae-studio-corpus',
      version: 1,
      frames: { ...settings },
      ref: corpus.ref,
      loudnessDb: corpus.loudnessDb ?? null,
      framesFile: FRAMES_FILE,
      count,
      sources: corpus.sources.map((s, i) => ({ ...s, file: entries[i].file })),
      network: {
        preset: options.preset,
        encoder: [...PRESETS[options.preset].encoder],
        decoder: [...PRESETS[options.preset].decoder],
        latent: options.latent,
      },
      training: {
        epochs: options.epochs ?? config.epochs,
        batch: options.batch,
        beta: options.beta,
        warmupEpochs: config.warmupEpochs,
        freeBits: config.freeBits,
        learningRate: config.learningRate,
        seed: options.seed,
        loss: options.loss,
        mixedWeight: MIXED_WEIGHT,
      },
      app: { name: packageInfo.name, version: packageInfo.version },
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(staging, CORPUS_FILE), `${JSON.stringify(json, null, 2)}\n`);
    await copyFile(join(packageRoot(), 'ml', 'corpus', TRAIN_SCRIPT), join(staging, TRAIN_SCRIPT));
    // An empty target folder is replaced by the staged one (rename(2) takes an empty folder's place).
    if (existsSync(out)) await rmdir(out);
    await rename(staging, out);
    const result = {
      out,
      frames: count,
      train: corpus.train.length,
      heldOut: corpus.heldOut.length,
      sources: corpus.sources.length,
      bytes: count * settings.bins * 4,
    };
    progress.stage(
      `${out}: ${count} frames of ${corpus.sources.length} sources (${(result.bytes / 2 ** 20).toFixed(1)} MiB); ` +
        `train with: torchrun --standalone --nproc_per_node N ${join(out, TRAIN_SCRIPT)}`,
    );
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}

/** An exported corpus's corpus.json, checked; a UsageError naming the file when it is not one. */
export async function readCorpusJson(dir: string): Promise<CorpusJson> {
  const file = join(dir, CORPUS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not an exported corpus (${(err as Error).message})`);
  }
  const parsed = corpusSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The corpus of an exported folder, read from frames.npy a chunk at a time. */
export function npyCorpus(dir: string, json: CorpusJson): Corpus {
  const path = join(dir, json.framesFile);
  let header;
  try {
    header = readNpyHeader(path);
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  const { bins } = json.frames;
  if (header.shape.length !== 2 || header.shape[0] !== json.count || header.shape[1] !== bins)
    throw new UsageError(
      `${path}: holds [${header.shape.join(', ')}], corpus.json says [${json.count}, ${bins}]`,
    );
  const store = new ChunkedFrames(json.count, bins, (from, count, out) =>
    readNpyRows(path, header, bins, from, count, out),
  );
  const train: number[] = [];
  const heldOut: number[] = [];
  let at = 0;
  for (const s of json.sources) {
    if (s.heldOut !== heldOutCount(s.frames))
      throw new UsageError(`${join(dir, CORPUS_FILE)}: ${s.name} holds out ${s.heldOut} frames, not 10 %`);
    for (let f = 0; f < s.frames; f++) (f < s.frames - s.heldOut ? train : heldOut).push(at + f);
    at += s.frames;
  }
  return {
    bins,
    get frames(): Float32Array {
      throw new Error('the corpus frames are in frames.npy: read them with corpusRows()');
    },
    store,
    sources: json.sources.map(({ name, frames, heldOut: h }) => ({ name, frames, heldOut: h })),
    train: Int32Array.from(train),
    heldOut: Int32Array.from(heldOut),
    ref: json.ref,
    ...(json.loudnessDb !== null ? { loudnessDb: json.loudnessDb } : {}),
  };
}

export interface ImportModelOptions {
  out: string;
  json?: boolean;
}

/**
 * `vae-studio import-model DIR --out MODEL_DIR`: the weights train.py wrote, in the app's networks
 * (a PyTorch Linear weight is out × in, a Dense kernel in × out: transposed), and studio.json computed
 * as training computes it (metrics over the training and held-out frames, PCA, posterior, latents).
 */
export async function importModel(dir: string, options: ImportModelOptions): Promise<number> {
  const progress = new Progress();
  const folder = resolve(dir);
  const out = resolve(options.out);
  checkEmptyFolder(out);
  const json = await readCorpusJson(folder);
  const index = join(folder, WEIGHTS_INDEX);
  let weightsRaw: unknown;
  try {
    weightsRaw = JSON.parse(await readFile(index, 'utf8'));
  } catch (err) {
    throw new UsageError(`${index}: no trained weights here (${(err as Error).message}); run train.py first`);
  }
  const parsedWeights = weightsSchema.safeParse(weightsRaw);
  if (!parsedWeights.success)
    throw new UsageError(`${index}: not train.py's weights (${parsedWeights.error.issues[0].message})`);
  const weights = parsedWeights.data;
  const blob = await readFile(join(folder, WEIGHTS_FILE)).catch((err: Error) => {
    throw new UsageError(`${join(folder, WEIGHTS_FILE)}: ${err.message}`);
  });
  await initBackend();
  const corpus = npyCorpus(folder, json);
  const t = json.training;
  const config = {
    ...DEFAULT_TRAIN_CONFIG,
    preset: json.network.preset,
    latent: json.network.latent,
    epochs: weights.epochs,
    batch: weights.batch,
    beta: t.beta,
    warmupEpochs: t.warmupEpochs,
    freeBits: t.freeBits,
    learningRate: t.learningRate,
    seed: t.seed,
    loss: t.loss,
  };
  const trainer = new Trainer(config, corpus);
  try {
    // The Dense layers in order, encoder then decoder, against train.py's Linear layers in order.
    const dense = [...trainer.encoder.layers, ...trainer.decoder.layers].filter(
      (l) => l.getWeights().length === 2,
    );
    const names = [...new Set(weights.tensors.map((w) => w.name.replace(/\.(weight|bias)$/, '')))];
    if (names.length !== dense.length)
      throw new UsageError(
        `${index}: ${names.length} layers, the ${json.network.preset} network has ${dense.length}`,
      );
    const tensor = (name: string, shape: number[]) => {
      const spec = weights.tensors.find((w) => w.name === name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!spec || spec.shape.join('x') !== shape.join('x'))
        throw new UsageError(
          `${index}: ${name} is ${spec ? spec.shape.join('×') : 'missing'}, the network needs ${shape.join('×')}`,
        );
      if (spec.offset + n * 4 > blob.byteLength)
        throw new UsageError(`${join(folder, WEIGHTS_FILE)}: ends early (${name})`);
      return new Float32Array(
        blob.buffer.slice(blob.byteOffset + spec.offset, blob.byteOffset + spec.offset + n * 4),
      );
    };
    dense.forEach((layer, i) => {
      const [kernel] = layer.getWeights();
      const [inputs, units] = kernel.shape;
      const w = tensor(`${names[i]}.weight`, [units, inputs]);
      const b = tensor(`${names[i]}.bias`, [units]);
      const fresh = tf.tidy(() => [tf.transpose(tf.tensor2d(w, [units, inputs])), tf.tensor1d(b)]);
      layer.setWeights(fresh);
      tf.dispose(fresh);
    });
    progress.stage(
      `weights of ${names.length} layers loaded (${weights.processes} processes, ${weights.epochs} epochs, torch ${weights.torch})`,
    );
    const sample = mapSubset(corpus.train);
    const training = await trainer.evaluate(sample);
    const held = corpus.heldOut.length > 0 ? await trainer.evaluate(corpus.heldOut) : null;
    const activeUnits = await trainer.activeUnits();
    const last = weights.history[weights.history.length - 1] ?? {};
    const final: EpochReport = {
      epoch: weights.epochs,
      epochs: weights.epochs,
      beta: Number(last.beta ?? t.beta),
      reconstruction: training.reconstruction,
      kl: training.kl,
      klPerDim: training.klPerDim,
      total: training.reconstruction + training.kl,
      elbo: -(training.reconstruction + training.kl),
      loss: training.reconstruction + t.beta * training.kl,
      heldOut: held && {
        reconstruction: held.reconstruction,
        kl: held.kl,
        total: held.reconstruction + held.kl,
        elbo: -(held.reconstruction + held.kl),
      },
      activeUnits,
      framesPerSecond: Number(last.framesPerSecond ?? 0),
      seconds: Number(last.seconds ?? 0),
      etaSeconds: 0,
    };
    const history = weights.history.slice(0, -1).map((h) => ({
      ...h,
      elbo: -Number(h.total),
      heldOut: h.heldOut
        ? { ...(h.heldOut as object), elbo: -Number((h.heldOut as { total: number }).total) }
        : null,
    })) as unknown as EpochReport[];
    // Written beside the target and renamed into place: a failure leaves no half-written model.
    const staging = join(
      dirname(out),
      `.${basename(out).slice(0, 100)}.partial-${randomBytes(6).toString('hex')}`,
    );
    try {
      await writeModel(trainer, staging, {
        frames: json.frames,
        backend: `pytorch-${weights.backend === 'nccl' ? 'cuda' : weights.device.startsWith('cuda') ? 'cuda' : 'cpu'} (${weights.processes} processes, ${weights.backend})`,
        seconds: weights.seconds,
        history: [...history, final],
        config: {
          ...config,
          trainedBy: 'torch.distributed',
          processes: weights.processes,
          torch: weights.torch,
        },
      });
      if (existsSync(out)) await rmdir(out);
      await rename(staging, out);
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
    const result = {
      model: out,
      epochs: weights.epochs,
      processes: weights.processes,
      reconstruction: final.reconstruction,
      kl: final.kl,
      heldOut: final.heldOut,
      activeUnits,
      latent: config.latent,
    };
    progress.stage(`${out}: ${weights.epochs} epochs, ${activeUnits}/${config.latent} active units`);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    trainer.dispose();
  }
}
