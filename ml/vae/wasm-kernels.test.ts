import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { installWasmSpeedups, uninstallWasmSpeedups, wasmSpeedupsInstalled } from './wasm-kernels.js';

/** Deterministic values in [-1, 1) (odd sizes exercise the transpose's partial tiles). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Case {
  label: string;
  transposeA: boolean;
  transposeB: boolean;
  fused: boolean;
}

const M = 37;
const K = 70;
const N = 45;
const CASES: Case[] = [];
for (const fused of [false, true]) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      CASES.push({
        label: `${fused ? 'fused' : 'plain'} tA=${transposeA} tB=${transposeB}`,
        transposeA,
        transposeB,
        fused,
      });
    }
  }
}

/** Output, dA, dB (and dBias when fused) of one product, read back as arrays. */
function run(c: Case): Float32Array[] {
  return tf.tidy(() => {
    const a = tf.tensor2d(values(M * K, 1), c.transposeA ? [K, M] : [M, K]);
    const b = tf.tensor2d(values(K * N, 2), c.transposeB ? [N, K] : [K, N]);
    const bias = tf.tensor1d(values(N, 3));
    const dy = tf.tensor2d(values(M * N, 4), [M, N]);
    const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor): tf.Tensor =>
      c.fused
        ? tf.fused.matMul({
            a: x as tf.Tensor2D,
            b: y as tf.Tensor2D,
            transposeA: c.transposeA,
            transposeB: c.transposeB,
            bias: z,
            activation: 'relu',
          })
        : tf.matMul(x, y, c.transposeA, c.transposeB);
    const out = f(a, b, bias);
    const grads = c.fused
      ? tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => f(x, y, z))([a, b, bias], dy)
      : tf.grads((x: tf.Tensor, y: tf.Tensor) => f(x, y, bias))([a, b], dy);
    const results = [out, ...grads];
    return results.map((t) => t.dataSync() as Float32Array);
  });
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThan(1e-5);
}

function wasmDataIds(): number {
  return (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();
}

describe('wasm transposed-matmul speed-ups', () => {
  const reference = new Map<string, Float32Array[]>();

  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of CASES) reference.set(c.label, run(c));
    await tf.setBackend('wasm');
  });

  afterAll(() => {
    uninstallWasmSpeedups();
  });

  it('leaves the stock kernels in place until installed, and installs idempotently', () => {
    uninstallWasmSpeedups();
    const stock = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
    expect(wasmSpeedupsInstalled()).toBe(false);
    installWasmSpeedups();
    installWasmSpeedups();
    expect(wasmSpeedupsInstalled()).toBe(true);
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(stock);
    uninstallWasmSpeedups();
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).toBe(stock);
  });

  for (const c of CASES) {
    it(`matches the cpu backend and the stock wasm kernels: ${c.label}`, () => {
      uninstallWasmSpeedups();
      const stock = run(c);
      installWasmSpeedups();
      const fast = run(c);
      const cpu = reference.get(c.label)!;
      expect(fast.length).toBe(cpu.length);
      // The stock wasm _FusedMatMul is wrong with a transposed operand and a bias (its scalar
      // fallback adds the bias once per 48-wide block of the shared dimension, at the wrong
      // index), so there only the cpu backend is the reference.
      const stockIsRight = !(c.fused && (c.transposeA || c.transposeB));
      fast.forEach((r, i) => {
        expectClose(r, cpu[i]);
        if (stockIsRight) expectClose(r, stock[i]);
      });
    });
  }

  it('fixes the stock fused product with a transposed operand and a bias', () => {
    installWasmSpeedups();
    const out = tf.tidy(() =>
      tf.fused
        .matMul({
          a: tf.ones([2, 70]),
          b: tf.ones([3, 70]),
          transposeB: true,
          bias: tf.tensor1d([10, 20, 30]),
        })
        .arraySync(),
    );
    expect(out).toEqual([
      [80, 90, 100],
      [80, 90, 100],
    ]);
  });

  it('leaks neither tensors nor wasm buffers across repeated calls', () => {
    installWasmSpeedups();
    for (const c of CASES) run(c); // warm up (lazily created state)
    const tensors = tf.memory().numTensors;
    const ids = wasmDataIds();
    for (let i = 0; i < 3; i++) for (const c of CASES) run(c);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(wasmDataIds()).toBe(ids);
  });

  it('leaves batched products to the stock kernel and keeps them right', () => {
    installWasmSpeedups();
    const make = (): number[] =>
      tf.tidy(() => {
        const a = tf.tensor3d(values(2 * 5 * 7, 5), [2, 7, 5]);
        const b = tf.tensor3d(values(2 * 7 * 3, 6), [2, 3, 7]);
        return Array.from(tf.matMul(a, b, true, true).dataSync());
      });
    const fast = make();
    uninstallWasmSpeedups();
    expect(fast).toEqual(make());
  });

  it('trains a tfjs-layers Dense model like the cpu backend does', async () => {
    installWasmSpeedups();
    const x = values(64 * 12, 7);
    const y = values(64 * 4, 8).map((v) => (v + 1) / 2);
    const train = async (): Promise<Float32Array[]> => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [12], units: 16, activation: 'relu', kernelInitializer: 'ones' }),
          tfl.layers.dense({ units: 4, activation: 'sigmoid', kernelInitializer: 'ones' }),
        ],
      });
      // Deterministic, non-symmetric starting weights.
      const start = model.getWeights().map((w, i) =>
        tf.tensor(
          values(w.size, 10 + i).map((v) => v / 4),
          w.shape,
        ),
      );
      model.setWeights(start);
      tf.dispose(start);
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
      const xs = tf.tensor2d(x, [64, 12]);
      const ys = tf.tensor2d(y, [64, 4]);
      await model.fit(xs, ys, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      tf.dispose([xs, ys]);
      model.dispose();
      return weights;
    };
    await tf.setBackend('cpu');
    const cpu = await train();
    await tf.setBackend('wasm');
    const wasm = await train();
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((w, i) => {
      for (let k = 0; k < w.length; k++) expect(w[k]).toBeCloseTo(cpu[i][k], 4);
    });
  });
});
