// Speed-ups for the wasm backend's matrix products (issue 3, "Speed floor on the wasm backend").
//
// The wasm backend sends a product to XNNPACK's fast fully-connected operator only when neither
// operand is transposed; A·Bᵀ and Aᵀ·B (exactly the products backpropagation asks for, both in
// BatchMatMul's gradient and in the gradient of tf.fused.matMul that tfjs-layers' Dense uses)
// fall back to a scalar triple loop that runs 10–20 times slower. The wrappers below transpose
// such an operand explicitly (a cheap O(n²) copy) and hand the fast untransposed path the rest.
// Results equal the stock kernels' up to float rounding (the sums are the same, in another order),
// except that the stock _FusedMatMul is wrong with a transposed operand and a bias (its fallback
// adds the bias once per 48-wide block of the shared dimension, at the wrong index); this is right.
// Measured (seed-speech VAE, batch 256, one thread): stock ≈ 230 training frames/s, ≈ 2,400 with
// these kernels.
import * as tf from '@tensorflow/tfjs-core';

type KernelArgs = Parameters<tf.KernelFunc>[0];

const WRAPPED = ['BatchMatMul', '_FusedMatMul'] as const;
type WrappedKernel = (typeof WRAPPED)[number];

const stock = new Map<WrappedKernel, tf.KernelConfig>();

function lookup(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) {
    throw new Error(
      `The wasm backend has no ${name} kernel: import '@tensorflow/tfjs-backend-wasm' before installing the wasm speed-ups.`,
    );
  }
  return config;
}

/** The subset of BackendWasm (tfjs-backend-wasm) these speed-ups use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Tile edge of the blocked transpose; 8 measured fastest (reads stay contiguous). */
const TILE = 8;

/**
 * Swaps the last two axes of a float32 tensor: a blocked copy on the wasm heap, 2–5 times
 * faster than the backend's Transpose kernel for these shapes (whose strided writes thrash the
 * cache when a row is a multiple of 4 KiB).
 */
function transposeLastTwo(x: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2];
  const cols = x.shape[rank - 1];
  const outShape = [...x.shape.slice(0, -2), cols, rows];
  const out = backend.makeOutput(outShape, 'float32');
  // Views are taken after the allocation: growing the wasm memory detaches older views.
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  const plane = rows * cols;
  for (let base = 0; base < src.length; base += plane) {
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, rows);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, cols);
        for (let i = i0; i < i1; i++) {
          const s = base + i * cols;
          for (let j = j0; j < j1; j++) dst[base + j * rows + i] = src[s + j];
        }
      }
    }
  }
  return out;
}

function wrap(name: WrappedKernel, original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs?.transposeA === true;
    const transposeB = attrs?.transposeB === true;
    const a = inputs.a as tf.TensorInfo | undefined;
    const b = inputs.b as tf.TensorInfo | undefined;
    if (
      (!transposeA && !transposeB) ||
      a === undefined ||
      b === undefined ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      // Batched products take the slow path whatever the layout; leave them as they are.
      tf.util.sizeFromShape(a.shape.slice(0, -2)) !== 1 ||
      tf.util.sizeFromShape(b.shape.slice(0, -2)) !== 1
    ) {
      return original.kernelFunc(args);
    }
    const wasm = backend as unknown as WasmBackendLike;
    const temps: tf.TensorInfo[] = [];
    try {
      const aa = transposeA ? transposeLastTwo(a, wasm) : a;
      if (transposeA) temps.push(aa);
      const bb = transposeB ? transposeLastTwo(b, wasm) : b;
      if (transposeB) temps.push(bb);
      return original.kernelFunc({
        inputs: { ...inputs, a: aa, b: bb },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) wasm.disposeData(t.dataId);
    }
  };
  return { ...original, kernelName: name, backendName: 'wasm', kernelFunc };
}

/**
 * Re-registers the wasm backend's BatchMatMul and _FusedMatMul so that transposed operands are
 * transposed explicitly before the fast untransposed kernel. Idempotent; works before or after
 * the wasm backend is initialised. Needs '@tensorflow/tfjs-backend-wasm' to be imported.
 */
export function installWasmSpeedups(): void {
  for (const name of WRAPPED) {
    if (stock.has(name)) continue;
    const original = lookup(name);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(wrap(name, original));
    stock.set(name, original);
  }
}

/** Puts the stock wasm kernels back (for comparisons and tests). */
export function uninstallWasmSpeedups(): void {
  for (const [name, original] of stock) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  stock.clear();
}

/** Whether installWasmSpeedups() is in effect. */
export function wasmSpeedupsInstalled(): boolean {
  return stock.size > 0;
}
