import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../audio/files.js';
import { DEFAULT_FRAME_SETTINGS } from '../features/settings.js';
import { MAX_LATENT, MIN_LATENT, PRESET_NAMES, type PresetName } from './model.js';

/** The training frames' latent means, beside studio.json. */
export const LATENTS_FILE = 'latents.bin';

/** A model folder that cannot be used: names the folder and what is wrong with it. */
export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
  constructor(
    readonly folder: string,
    readonly reason: string,
  ) {
    super(`${folder}: ${reason}`);
  }
}

const frameSettings = z.object({
  sampleRate: z.number().int().min(1000).max(768000),
  windowSize: z.number().int().positive(),
  hop: z.number().int().positive(),
  bins: z.number().int().positive(),
  floorDb: z.number().negative(),
});

const pcaSchema = z.object({
  mean: z.array(z.number()),
  /** Principal axes of the training frames' latent means, strongest first (unit vectors). */
  components: z.array(z.array(z.number())).min(2),
  /** Standard deviation of the data along each axis. */
  std: z.array(z.number()),
  explainedVariance: z.array(z.number()),
});

export const studioSchema = z.object({
  format: z.literal('vae-studio-model'),
  version: z.literal(1),
  preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]),
  latent: z.number().int().min(MIN_LATENT).max(MAX_LATENT),
  frames: frameSettings,
  /** The training corpus's peak amplitude: frames are scaled against it. */
  ref: z.number().positive(),
  loss: z.enum(['bce', 'mse', 'mixed']),
  training: z.object({
    config: z.record(z.string(), z.unknown()),
    epochs: z.number().int().nonnegative(),
    backend: z.string(),
    sources: z.array(z.object({ name: z.string(), frames: z.number().int(), heldOut: z.number().int() })),
    history: z.array(z.record(z.string(), z.unknown())),
    seconds: z.number(),
  }),
  metrics: z.record(z.string(), z.unknown()),
  pca: pcaSchema,
  /** The aggregate posterior (posterior.ts): what random sounds are drawn from. Absent before it existed. */
  posterior: z
    .object({
      weights: z.array(z.number()).min(1),
      means: z.array(z.array(z.number())),
      stds: z.array(z.array(z.number())),
    })
    .optional(),
  /** The training material's loudness (ml/features/loudness.ts): generated sound is brought to it. */
  level: z.object({ loudnessDb: z.number() }).optional(),
  /**
   * The training frames' latent means in order, source after source (latents.bin, float32, frames ×
   * latent): the motion generated sounds borrow (sampler.ts). Absent before it existed.
   */
  latents: z
    .object({
      file: z.literal(LATENTS_FILE),
      frames: z.number().int().nonnegative(),
      segments: z.array(
        z.object({
          source: z.string(),
          start: z.number().int().nonnegative(),
          length: z.number().int().positive(),
        }),
      ),
    })
    .optional(),
  createdAt: z.string(),
});
export type StudioJson = z.infer<typeof studioSchema>;
export type Pca = z.infer<typeof pcaSchema>;

/** Saves a layers model as model.json + weights.bin (the TensorFlow.js layers format) through our own handler. */
async function saveLayers(model: tfl.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save({
    save: async (artifacts: tf.io.ModelArtifacts) => {
      const data = artifacts.weightData
        ? tf.io.CompositeArrayBuffer.join(artifacts.weightData)
        : new ArrayBuffer(0);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(data), { overwrite: true });
      await writeFileAtomic(join(dir, 'model.json'), Buffer.from(JSON.stringify(modelJson)), {
        overwrite: true,
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  });
}

async function loadLayers(dir: string, folder: string): Promise<tfl.LayersModel> {
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  let weights: Buffer;
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    weights = await readFile(join(dir, 'weights.bin'));
  } catch (err) {
    throw new ModelFolderError(folder, `cannot read ${dir}: ${(err as Error).message}`);
  }
  const specs = json.weightsManifest?.[0]?.weights;
  if (!json.modelTopology || !specs)
    throw new ModelFolderError(folder, `${dir}/model.json is not a TensorFlow.js layers model`);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weights.byteLength !== expected) {
    throw new ModelFolderError(
      folder,
      `${dir}/weights.bin holds ${weights.byteLength} bytes, model.json needs ${expected}`,
    );
  }
  const weightData = weights.buffer.slice(
    weights.byteOffset,
    weights.byteOffset + weights.byteLength,
  ) as ArrayBuffer;
  try {
    return await tfl.loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData,
        format: 'layers-model',
      }),
    });
  } catch (err) {
    throw new ModelFolderError(folder, `${dir} cannot be loaded: ${(err as Error).message}`);
  }
}

export interface ModelFiles {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  studio: StudioJson;
  /** The training frames' latent means (studio.latents says how they split into sources). */
  latents?: Float32Array | null;
}

/** Writes encoder/, decoder/ and then studio.json, each file atomically; studio.json marks a complete model. */
export async function saveModelFolder(folder: string, model: ModelFiles): Promise<void> {
  await mkdir(folder, { recursive: true });
  await saveLayers(model.encoder, join(folder, 'encoder'));
  await saveLayers(model.decoder, join(folder, 'decoder'));
  if (model.latents && model.studio.latents) {
    const bytes = new Uint8Array(model.latents.buffer, model.latents.byteOffset, model.latents.byteLength);
    await writeFileAtomic(join(folder, LATENTS_FILE), bytes, { overwrite: true });
  }
  await writeFileAtomic(join(folder, 'studio.json'), Buffer.from(JSON.stringify(model.studio, null, 2)), {
    overwrite: true,
  });
}

/** Loads and checks a model folder: studio.json's schema, and the networks' shapes against it. */
export async function loadModelFolder(folder: string): Promise<ModelFiles> {
  let raw: string;
  try {
    raw = await readFile(join(folder, 'studio.json'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFolderError(
      folder,
      code === 'ENOENT'
        ? 'not a model folder (no studio.json)'
        : `cannot read studio.json: ${(err as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ModelFolderError(folder, 'studio.json is not valid JSON');
  }
  const result = studioSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ModelFolderError(folder, `studio.json: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const studio = result.data;
  const f = studio.frames;
  const d = DEFAULT_FRAME_SETTINGS;
  if (f.windowSize !== d.windowSize || f.hop !== d.hop || f.bins !== d.bins) {
    throw new ModelFolderError(
      folder,
      `frames of ${f.bins} bins (window ${f.windowSize}, hop ${f.hop}); this version reads ${d.bins} (window ${d.windowSize}, hop ${d.hop})`,
    );
  }
  const encoder = await loadLayers(join(folder, 'encoder'), folder);
  let decoder: tfl.LayersModel;
  try {
    decoder = await loadLayers(join(folder, 'decoder'), folder);
  } catch (err) {
    encoder.dispose();
    throw err;
  }
  const { bins } = studio.frames;
  const check = (model: tfl.LayersModel, name: string, input: number, output: number) => {
    const inShape = model.inputs[0].shape;
    const outShape = model.outputs[0].shape;
    if (inShape[1] !== input || outShape[1] !== output) {
      encoder.dispose();
      decoder.dispose();
      throw new ModelFolderError(
        folder,
        `${name} maps ${inShape[1]} → ${outShape[1]} values, studio.json needs ${input} → ${output}`,
      );
    }
  };
  check(encoder, 'encoder', bins, 2 * studio.latent);
  check(decoder, 'decoder', studio.latent, bins);
  if (
    studio.pca.mean.length !== studio.latent ||
    studio.pca.components.some((c) => c.length !== studio.latent)
  ) {
    encoder.dispose();
    decoder.dispose();
    throw new ModelFolderError(folder, `studio.json: pca vectors do not have ${studio.latent} dimensions`);
  }
  let latents: Float32Array | null = null;
  if (studio.latents) {
    const expected = studio.latents.frames * studio.latent * 4;
    try {
      const bytes = await readFile(join(folder, LATENTS_FILE));
      if (bytes.byteLength !== expected) throw new Error(`${bytes.byteLength} bytes, not ${expected}`);
      latents = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + expected));
    } catch (err) {
      encoder.dispose();
      decoder.dispose();
      throw new ModelFolderError(folder, `${LATENTS_FILE}: ${(err as Error).message}`);
    }
  }
  return { encoder, decoder, studio, latents };
}
