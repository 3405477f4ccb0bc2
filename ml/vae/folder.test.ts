import * as tf from '@tensorflow/tfjs-core';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { DEFAULT_FRAME_SETTINGS } from '../features/settings.js';
import {
  type ModelFiles,
  ModelFolderError,
  loadModelFolder,
  saveModelFolder,
  studioSchema,
} from './folder.js';
import { bumpFrames, predict, tempDir, tinyModelFiles, tinyStudio } from './testing.js';

const BINS = DEFAULT_FRAME_SETTINGS.bins;
const LATENT = 3;

let dir = '';
let remove = async () => {};
/** A good model folder, saved once; each broken case starts from a copy. */
let good = '';
let saved: ModelFiles;

beforeAll(async () => {
  await initBackend('wasm');
  ({ dir, remove } = await tempDir('vae-folder-'));
  good = join(dir, 'good');
  saved = tinyModelFiles(LATENT);
  await saveModelFolder(good, saved);
});
afterAll(async () => {
  saved.encoder.dispose();
  saved.decoder.dispose();
  await remove();
});

let copies = 0;
async function copyOfGood(): Promise<string> {
  const folder = join(dir, `broken-${copies++}`);
  await cp(good, folder, { recursive: true });
  return folder;
}

async function editStudio(folder: string, edit: (studio: Record<string, unknown>) => void): Promise<void> {
  const path = join(folder, 'studio.json');
  const studio = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(studio);
  await writeFile(path, JSON.stringify(studio));
}

/**
 * loadModelFolder's error, checked to be a ModelFolderError naming the folder, and (unless
 * `tensors` is false) with no tensor left behind.
 */
async function refusal(folder: string, { tensors = true } = {}): Promise<ModelFolderError> {
  const before = tf.memory().numTensors;
  const err = await loadModelFolder(folder).then(
    (m) => {
      m.encoder.dispose();
      m.decoder.dispose();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelFolderError);
  const e = err as ModelFolderError;
  expect(e.name).toBe('ModelFolderError');
  expect(e.folder).toBe(folder);
  expect(e.message).toBe(`${folder}: ${e.reason}`);
  if (tensors) expect(tf.memory().numTensors).toBe(before);
  return e;
}

describe('model folders', () => {
  it('hold encoder/, decoder/ and studio.json, in the TensorFlow.js layers format', async () => {
    expect((await readdir(good)).sort()).toEqual(['decoder', 'encoder', 'studio.json']);
    for (const part of ['encoder', 'decoder']) {
      expect((await readdir(join(good, part))).sort()).toEqual(['model.json', 'weights.bin']);
      const json = JSON.parse(await readFile(join(good, part, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    }
    const studio = JSON.parse(await readFile(join(good, 'studio.json'), 'utf8'));
    expect(studioSchema.safeParse(studio).success).toBe(true);
  });

  it('round-trip: the loaded networks predict exactly what the saved ones did', async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadModelFolder(good);
    try {
      expect(loaded.studio).toEqual(saved.studio);
      const frames = bumpFrames(20, BINS, 3);
      expect(predict(loaded.encoder, frames, BINS)).toEqual(predict(saved.encoder, frames, BINS));
      const z = Float32Array.from({ length: 20 * LATENT }, (_, i) => Math.sin(i));
      const out = predict(loaded.decoder, z, LATENT);
      expect(out).toEqual(predict(saved.decoder, z, LATENT));
      expect(out).toHaveLength(20 * BINS);
      expect(loaded.encoder.countParams()).toBe(saved.encoder.countParams());
    } finally {
      loaded.encoder.dispose();
      loaded.decoder.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saving over an existing model replaces it and leaves no temporary file', async () => {
    const folder = await copyOfGood();
    const other = tinyModelFiles(LATENT, 99);
    try {
      await saveModelFolder(folder, other);
      const loaded = await loadModelFolder(folder);
      const z = Float32Array.from({ length: 4 * LATENT }, (_, i) => Math.cos(i));
      expect(predict(loaded.decoder, z, LATENT)).toEqual(predict(other.decoder, z, LATENT));
      expect(predict(loaded.decoder, z, LATENT)).not.toEqual(predict(saved.decoder, z, LATENT));
      loaded.encoder.dispose();
      loaded.decoder.dispose();
      for (const sub of ['', 'encoder', 'decoder'])
        expect((await readdir(join(folder, sub))).filter((n) => n.startsWith('.'))).toEqual([]);
    } finally {
      other.encoder.dispose();
      other.decoder.dispose();
    }
  });

  describe('refuses a broken folder, naming it and the reason', () => {
    it('no studio.json', async () => {
      const folder = await copyOfGood();
      await rm(join(folder, 'studio.json'));
      expect((await refusal(folder)).reason).toBe('not a model folder (no studio.json)');
      const nothing = join(dir, 'does-not-exist');
      expect((await refusal(nothing)).reason).toBe('not a model folder (no studio.json)');
    });

    it('studio.json that is not JSON', async () => {
      const folder = await copyOfGood();
      await writeFile(join(folder, 'studio.json'), '{"format": "vae-studio-model", ');
      expect((await refusal(folder)).reason).toBe('studio.json is not valid JSON');
    });

    it('studio.json that breaks the schema names the field', async () => {
      const cases: [(s: Record<string, unknown>) => void, RegExp][] = [
        [(s) => (s.latent = 999), /^studio\.json: latent: /],
        [(s) => (s.latent = 1), /^studio\.json: latent: /],
        [(s) => (s.format = 'something-else'), /^studio\.json: format: /],
        [(s) => (s.preset = 'huge'), /^studio\.json: preset: /],
        [(s) => (s.ref = -1), /^studio\.json: ref: /],
        [(s) => delete s.pca, /^studio\.json: pca: /],
        [(s) => ((s.frames as Record<string, unknown>).floorDb = 10), /^studio\.json: frames\.floorDb: /],
      ];
      for (const [edit, reason] of cases) {
        const folder = await copyOfGood();
        await editStudio(folder, edit);
        expect((await refusal(folder)).reason).toMatch(reason);
      }
      const folder = await copyOfGood();
      await writeFile(join(folder, 'studio.json'), '[1, 2, 3]');
      expect((await refusal(folder)).reason).toMatch(/^studio\.json: \(root\): /);
    });

    it('frame settings this version cannot read', async () => {
      for (const change of [{ bins: 128 }, { windowSize: 1024 }, { hop: 256 }]) {
        const folder = await copyOfGood();
        await editStudio(folder, (s) => Object.assign(s.frames as object, change));
        const e = await refusal(folder);
        expect(e.reason).toMatch(
          /^frames of \d+ bins \(window \d+, hop \d+\); this version reads 256 \(window 512, hop 128\)$/,
        );
      }
    });

    it('weights.bin of the wrong size', async () => {
      for (const part of ['encoder', 'decoder']) {
        const folder = await copyOfGood();
        const path = join(folder, part, 'weights.bin');
        const bytes = await readFile(path);
        await writeFile(path, bytes.subarray(0, bytes.byteLength - 8));
        // When the decoder fails, the encoder already loaded must be released too.
        const e = await refusal(folder);
        expect(e.reason).toBe(
          `${join(folder, part)}/weights.bin holds ${bytes.byteLength - 8} bytes, model.json needs ${bytes.byteLength}`,
        );
      }
    });

    it('a missing network or a model.json that is not a layers model', async () => {
      const missing = await copyOfGood();
      await rm(join(missing, 'encoder'), { recursive: true });
      expect((await refusal(missing)).reason).toMatch(/^cannot read .*encoder/);
      const notLayers = await copyOfGood();
      await writeFile(join(notLayers, 'encoder', 'model.json'), '{"hello": "world"}');
      expect((await refusal(notLayers)).reason).toMatch(
        /encoder\/model\.json is not a TensorFlow\.js layers model$/,
      );
    });

    it('networks whose shapes do not match studio.json', async () => {
      const encoderWrong = await copyOfGood();
      await editStudio(encoderWrong, (s) => Object.assign(s, { latent: 4, pca: tinyStudio(4).pca }));
      expect((await refusal(encoderWrong)).reason).toBe(
        'encoder maps 256 → 6 values, studio.json needs 256 → 8',
      );
      // The encoder of a latent-3 model beside the decoder of a latent-4 one.
      const mixed = join(dir, 'mixed');
      const four = tinyModelFiles(4);
      try {
        await saveModelFolder(mixed, { ...saved, decoder: four.decoder });
      } finally {
        four.encoder.dispose();
        four.decoder.dispose();
      }
      expect((await refusal(mixed)).reason).toBe('decoder maps 4 → 256 values, studio.json needs 3 → 256');
    });

    it('PCA vectors of another size than the latent space', async () => {
      const folder = await copyOfGood();
      await editStudio(folder, (s) => Object.assign(s, { pca: tinyStudio(4).pca }));
      expect((await refusal(folder)).reason).toBe('studio.json: pca vectors do not have 3 dimensions');
    });
  });
});
