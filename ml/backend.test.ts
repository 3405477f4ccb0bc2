import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  BACKEND_ENV,
  backendInfo,
  initBackend,
  resetBackendChoice,
  tf,
  WASM_SPEEDUPS_ENV,
} from './backend.js';

const saved = { backend: process.env[BACKEND_ENV], speedups: process.env[WASM_SPEEDUPS_ENV] };

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('initBackend', () => {
  beforeEach(() => {
    delete process.env[BACKEND_ENV];
    delete process.env[WASM_SPEEDUPS_ENV];
    resetBackendChoice();
  });

  afterEach(() => {
    restore(BACKEND_ENV, saved.backend);
    restore(WASM_SPEEDUPS_ENV, saved.speedups);
    resetBackendChoice();
  });

  it('picks wasm here, after the unavailable native backends, and says why they are unavailable', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.gpu).toBe(false);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(typeof info.simd).toBe('boolean');
    expect(info.speedups).toEqual(['transposed-matmul']);
    expect(info.forcedBy).toBeUndefined();
    // Inference (the default use) never tries the training-only backends.
    expect(info.tried.map((t) => t.name)).toEqual(['tensorflow', 'wasm']);
    const [native, wasm] = info.tried;
    expect(native.available).toBe(false);
    expect(native.reason).toMatch(/@tensorflow\/tfjs-node\b/);
    expect(wasm).toEqual({ name: 'wasm', available: true });
  });

  it('returns the same info on later calls and from backendInfo()', async () => {
    expect(backendInfo()).toBeNull();
    const [first, concurrent] = await Promise.all([initBackend(), initBackend()]);
    expect(concurrent).toBe(first);
    expect(await initBackend()).toBe(first);
    expect(await initBackend('wasm')).toBe(first);
    expect(backendInfo()).toBe(first);
  });

  it('refuses to switch to another backend once initialised', async () => {
    await initBackend();
    await expect(initBackend('cpu')).rejects.toThrow(/already initialised as "wasm"/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('uses cpu when forced by the argument or the environment', async () => {
    const byArgument = await initBackend('cpu');
    expect(byArgument).toMatchObject({ name: 'cpu', tfBackend: 'cpu', gpu: false, forcedBy: 'argument' });
    expect(byArgument.tried).toEqual([{ name: 'cpu', available: true }]);
    expect(tf.getBackend()).toBe('cpu');

    resetBackendChoice();
    process.env[BACKEND_ENV] = 'cpu';
    const byEnv = await initBackend();
    expect(byEnv).toMatchObject({ name: 'cpu', forcedBy: 'env' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('gives a clear error when a forced native backend is unavailable, and can then retry', async () => {
    process.env[BACKEND_ENV] = 'tensorflow-gpu';
    await expect(initBackend(undefined, 'training')).rejects.toThrow(
      /"tensorflow-gpu" backend was requested but is unavailable: @tensorflow\/tfjs-node-gpu .*VAE_STUDIO_BACKEND=tensorflow-gpu/,
    );
    expect(backendInfo()).toBeNull();
    await expect(initBackend('tensorflow')).rejects.toThrow(
      /"tensorflow" backend was requested but is unavailable: @tensorflow\/tfjs-node /,
    );
    delete process.env[BACKEND_ENV];
    expect((await initBackend()).name).toBe('wasm');
  });

  it('rejects an unknown backend name', async () => {
    process.env[BACKEND_ENV] = 'opengl';
    await expect(initBackend()).rejects.toThrow(
      /VAE_STUDIO_BACKEND=opengl is not a backend: use one of tensorflow-gpu, webgpu, webgl, tensorflow, wasm, cpu/,
    );
  });

  it('for training, tries the browser backends first and tensorflow-gpu only when named, saying why not', async () => {
    const info = await initBackend(undefined, 'training');
    expect(info.name).toBe('wasm');
    expect(info.host).toBe('node');
    expect(info.tried.map((t) => t.name)).toEqual([
      'tensorflow-gpu',
      'webgpu',
      'webgl',
      'tensorflow',
      'wasm',
    ]);
    const [cuda, webgpu, webgl] = info.tried;
    expect(cuda.reason).toMatch(/opt-in: VAE_STUDIO_BACKEND=tensorflow-gpu/);
    // Here: no GPU device node, so no browser is started (elsewhere: a software adapter is refused).
    for (const t of [webgpu, webgl]) {
      expect(t.available).toBe(false);
      expect(t.reason).toMatch(/no GPU device on this machine|software adapter|no Chromium-family browser/);
    }
  });

  it('runs inference on the CPU order when a training-only backend is named', async () => {
    process.env[BACKEND_ENV] = 'webgpu';
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.forcedBy).toBeUndefined();
    expect(info.tried[0]).toMatchObject({ name: 'webgpu', available: false, reason: /for training only/ });
    expect(await initBackend('tensorflow-gpu')).toBe(info);
  });

  it('forced for training, webgpu needs only a browser: the page trains, this process keeps a CPU mirror', async () => {
    process.env[BACKEND_ENV] = 'webgpu';
    const info = await initBackend(undefined, 'training');
    expect(info).toMatchObject({
      name: 'webgpu',
      tfBackend: 'webgpu',
      host: 'chromium',
      local: 'wasm',
      forcedBy: 'env',
    });
    expect(info.browser?.path).toBeTruthy();
    expect(tf.getBackend()).toBe('wasm');
  });

  it('can keep the stock wasm kernels', async () => {
    process.env[WASM_SPEEDUPS_ENV] = '0';
    const info = await initBackend('wasm');
    expect(info.speedups).toEqual([]);
  });
});

describe('one tfjs-core for everyone', () => {
  it('has a single @tensorflow/tfjs-core in node_modules, the one tfjs-layers resolves', () => {
    const require = createRequire(import.meta.url);
    const core = realpathSync(require.resolve('@tensorflow/tfjs-core'));
    for (const pkg of [
      '@tensorflow/tfjs-layers',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-cpu',
    ]) {
      const fromPkg = createRequire(require.resolve(pkg));
      expect(realpathSync(fromPkg.resolve('@tensorflow/tfjs-core'))).toBe(core);
    }
    // No nested copies under node_modules/**/node_modules/@tensorflow/tfjs-core.
    const root = path.resolve(path.dirname(core), '../../../..');
    const copies: string[] = [];
    const packagesIn = (nodeModules: string): string[] =>
      readdirSync(nodeModules, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .flatMap((e) =>
          e.name.startsWith('@')
            ? readdirSync(path.join(nodeModules, e.name)).map((p) => `${e.name}/${p}`)
            : [e.name],
        );
    const walk = (nodeModules: string): void => {
      for (const pkg of packagesIn(nodeModules)) {
        if (pkg === '@tensorflow/tfjs-core') copies.push(path.join(nodeModules, pkg));
        const nested = path.join(nodeModules, pkg, 'node_modules');
        if (existsSync(nested)) walk(nested);
      }
    };
    walk(path.join(root, 'node_modules'));
    expect(copies).toHaveLength(1);
    expect(tf).toBe(tfc);
  });

  it('trains and predicts with a tfjs-layers Dense model on the chosen backend without leaking', async () => {
    resetBackendChoice();
    delete process.env[BACKEND_ENV];
    const info = await initBackend();
    expect(tf.getBackend()).toBe(info.tfBackend);
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }),
        tfl.layers.dense({ units: 8, activation: 'sigmoid' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'binaryCrossentropy' });
    const xs = tf.randomUniform([32, 8], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    const history = await model.fit(xs, xs, { epochs: 5, batchSize: 8, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const after = tf.memory().numTensors;
    const y = model.predict(xs) as tfc.Tensor;
    expect(y).toBeInstanceOf(tf.Tensor);
    expect(y.shape).toEqual([32, 8]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(after);
    // fit() creates the optimizer's moments once; nothing else stays behind.
    expect(after - before).toBeLessThanOrEqual(2 * model.trainableWeights.length + 2);
    xs.dispose();
    model.dispose();
    resetBackendChoice();
  });
});
