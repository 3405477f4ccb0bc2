// The one module that chooses and loads the TensorFlow.js backend (DESIGN.md, "Backends").
//
// Order: @tensorflow/tfjs-node-gpu (CUDA), @tensorflow/tfjs-node (native CPU),
// @tensorflow/tfjs-backend-wasm, then the plain JavaScript `cpu` backend. The two native packages
// are optionalDependencies whose install downloads libtensorflow; a package that is absent, failed
// to install or fails to load simply counts as unavailable, with the reason kept in `tried`.
// VAE_STUDIO_BACKEND (tensorflow-gpu | tensorflow | wasm | cpu) forces one.
//
// Everything else imports `tf` from here (or '@tensorflow/tfjs-core' directly: there is a single
// copy in node_modules, shared by tfjs-layers and the backends) and stays backend-agnostic.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { installWasmSpeedups, uninstallWasmSpeedups } from './vae/wasm-kernels.js';

export { tf };

/** A backend that was asked for (by argument or VAE_STUDIO_BACKEND) but cannot be had: the user's to fix. */
export class BackendChoiceError extends Error {
  override name = 'BackendChoiceError';
}

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Preference order of the automatic choice. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Environment variable that forces a backend. */
export const BACKEND_ENV = 'VAE_STUDIO_BACKEND';

/** Set to 0 to keep the stock wasm matmul kernels (for comparisons). */
export const WASM_SPEEDUPS_ENV = 'VAE_STUDIO_WASM_SPEEDUPS';

export interface BackendAttempt {
  name: BackendName;
  available: boolean;
  /** Why it is unavailable (absent package, load error, ...). */
  reason?: string;
}

export interface BackendInfo {
  name: BackendName;
  /** The TensorFlow.js backend name: 'tensorflow', 'wasm' or 'cpu'. */
  tfBackend: string;
  /** Whether a GPU does the work. */
  gpu: boolean;
  /** Threads the backend computes with, where it says (wasm: XNNPACK's thread count). */
  threads?: number;
  /** wasm only: whether the SIMD build was loaded. */
  simd?: boolean;
  /** Kernel replacements in effect (see ml/vae/wasm-kernels.ts). */
  speedups: string[];
  /** How the choice was made: forced by the argument, by VAE_STUDIO_BACKEND, or automatic. */
  forcedBy?: 'argument' | 'env';
  /** Every backend tried, in order, up to and including the chosen one. */
  tried: BackendAttempt[];
}

const NATIVE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

let pending: Promise<BackendInfo> | null = null;
let current: BackendInfo | null = null;

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

function message(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const first = error.message.split('\n')[0];
    return typeof code === 'string' && !first.includes(code) ? `${code}: ${first}` : first;
  }
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}

/** tf.setBackend, turning a `false` result or a throw into an Error with the reason. */
async function activate(tfBackend: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfBackend);
  } catch (error) {
    throw new Error(`tf.setBackend('${tfBackend}') failed: ${message(error)}`, { cause: error });
  }
  if (!ok || tf.getBackend() !== tfBackend) {
    throw new Error(`tf.setBackend('${tfBackend}') failed to initialise the backend`);
  }
}

type Loaded = Omit<BackendInfo, 'tried' | 'forcedBy'>;

async function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<Loaded> {
  const pkg = NATIVE_PACKAGES[name];
  // A non-literal specifier: the packages are optional, so TypeScript must not resolve them.
  const specifier: string = pkg;
  try {
    await import(specifier);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    // Only when the package itself is missing (not one of its own dependencies).
    if (missing && message(error).includes(`'${pkg}'`)) {
      throw new Error(
        `${pkg} is not installed (an optional dependency; its install downloads libtensorflow)`,
        { cause: error },
      );
    }
    throw new Error(`${pkg} could not be loaded: ${message(error)}`, { cause: error });
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new Error(
      `${pkg} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs-core (a second copy of tfjs-core in node_modules?)`,
    );
  }
  await activate('tensorflow');
  const native = tf.backend() as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean };
  const gpu = native.isGPUPackage === true && native.isUsingGpuDevice === true;
  return { name, tfBackend: 'tensorflow', gpu, speedups: [] };
}

async function loadWasm(): Promise<Loaded> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new Error(`@tensorflow/tfjs-backend-wasm could not be loaded: ${message(error)}`, {
      cause: error,
    });
  }
  // Point the loader at the package's own dist folder explicitly (a plain path: Node reads the
  // binary with fs), so it works whatever the importing script's location or bundling.
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(dist + path.sep);
  const speedups: string[] = [];
  if (process.env[WASM_SPEEDUPS_ENV] === '0') {
    uninstallWasmSpeedups();
  } else {
    installWasmSpeedups();
    speedups.push('transposed-matmul');
  }
  await activate('wasm');
  // In Node the package reports no multithread support (tfjs issue 3830), so the SIMD build
  // runs on one thread; forcing the threaded build fails (its pthread workers come from blob:
  // URLs, which Node's Worker refuses).
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  let threads: number | undefined;
  try {
    threads = wasm.getThreadsCount();
  } catch {
    threads = undefined;
  }
  return { name: 'wasm', tfBackend: 'wasm', gpu: false, threads, simd, speedups };
}

async function loadCpu(): Promise<Loaded> {
  await activate('cpu');
  // The cpu backend's one-time "install tfjs-node" banner: this module already tried it, and
  // `tried` says why it is unavailable.
  (tf.backend() as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', tfBackend: 'cpu', gpu: false, threads: 1, speedups: [] };
}

function load(name: BackendName): Promise<Loaded> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return loadNative(name);
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return loadCpu();
  }
}

function requested(prefer?: BackendName): {
  name?: BackendName;
  forcedBy?: 'argument' | 'env';
} {
  if (prefer !== undefined) {
    if (!isBackendName(prefer)) {
      throw new BackendChoiceError(
        `Unknown backend "${String(prefer)}": use one of ${BACKEND_NAMES.join(', ')}.`,
      );
    }
    return { name: prefer, forcedBy: 'argument' };
  }
  const fromEnv = process.env[BACKEND_ENV]?.trim();
  if (fromEnv === undefined || fromEnv === '') return {};
  if (!isBackendName(fromEnv)) {
    throw new BackendChoiceError(
      `${BACKEND_ENV}=${fromEnv} is not a backend: use one of ${BACKEND_NAMES.join(', ')}.`,
    );
  }
  return { name: fromEnv, forcedBy: 'env' };
}

async function choose(prefer?: BackendName): Promise<BackendInfo> {
  const { name: forced, forcedBy } = requested(prefer);
  const tried: BackendAttempt[] = [];
  for (const name of forced !== undefined ? [forced] : BACKEND_NAMES) {
    try {
      const loaded = await load(name);
      tried.push({ name, available: true });
      return { ...loaded, forcedBy, tried };
    } catch (error) {
      const reason = message(error);
      tried.push({ name, available: false, reason });
      if (forced !== undefined) {
        const others = BACKEND_NAMES.filter((n) => n !== forced).join(', ');
        const how =
          forcedBy === 'env'
            ? `${BACKEND_ENV}=${forced}; unset it to choose automatically, or set one of: ${others}`
            : `choose automatically, or one of: ${others}`;
        throw new BackendChoiceError(
          `The "${forced}" backend was requested but is unavailable: ${reason} (${how}).`,
          {
            cause: error,
          },
        );
      }
    }
  }
  throw new Error(
    `No TensorFlow.js backend could be loaded: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}`,
  );
}

/**
 * Chooses, loads and activates the backend (see the module comment). Idempotent: later calls
 * return the same info; a later call that names a different backend than the one running
 * throws. A failed first call can be retried.
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  if (pending === null) {
    pending = choose(prefer).then(
      (info) => {
        current = info;
        return info;
      },
      (error: unknown) => {
        pending = null;
        throw error;
      },
    );
    return pending;
  }
  const info = await pending;
  if (prefer !== undefined && prefer !== info.name) {
    throw new Error(
      `The TensorFlow.js backend is already initialised as "${info.name}"; cannot switch to "${prefer}".`,
    );
  }
  return info;
}

/** The running backend's info, or null before initBackend() has finished. */
export function backendInfo(): BackendInfo | null {
  return current;
}

/**
 * Forgets the choice so that the next initBackend() chooses again (tests and benchmarks that
 * compare backends in one process). Registered kernels and backends stay registered.
 */
export function resetBackendChoice(): void {
  pending = null;
  current = null;
}
