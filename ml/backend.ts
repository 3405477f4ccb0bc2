// The one module that chooses and loads the TensorFlow.js backend (DESIGN.md, "Backends").
//
// Training, automatic order: `webgpu` then `webgl` (both in a Chromium page, ml/browser/: taken
// only on a real GPU adapter, never a fallback or software one such as SwiftShader, which is slower
// than wasm), @tensorflow/tfjs-node (native CPU), @tensorflow/tfjs-backend-wasm, then the plain
// JavaScript `cpu` backend. @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1 exactly) is opt-in:
// only when named. Inference (the engine's pool and audition workers, the CLI's generators) runs
// on the CPU order (tensorflow, wasm, cpu) whatever is named for training, so a CUDA addon or a
// browser is never loaded in every worker. The two native packages are optionalDependencies whose
// install downloads libtensorflow; a package that is absent, failed to install or fails to load
// simply counts as unavailable, with the reason kept in `tried`.
// VAE_STUDIO_BACKEND (tensorflow-gpu | webgpu | webgl | tensorflow | wasm | cpu) forces one; a
// forced browser backend runs on any adapter, SwiftShader included.
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

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'webgl' | 'tensorflow' | 'wasm' | 'cpu';

/** Every backend, in the order `info` lists them. */
export const BACKEND_NAMES: readonly BackendName[] = [
  'tensorflow-gpu',
  'webgpu',
  'webgl',
  'tensorflow',
  'wasm',
  'cpu',
];

/** The automatic choice for training (tensorflow-gpu is opt-in: only when named). */
export const TRAINING_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'tensorflow', 'wasm', 'cpu'];

/** The automatic choice for inference, and what a training-only backend runs inference on. */
export const INFERENCE_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Backends that run in a browser page (ml/browser/), not in this process. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl'] as const;

/** What a backend is for: training (the training worker) or inference (everything else). */
export type BackendUse = 'training' | 'inference';

export function isBrowserBackend(name: string): name is (typeof BROWSER_BACKENDS)[number] {
  return (BROWSER_BACKENDS as readonly string[]).includes(name);
}

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
  /** The TensorFlow.js backend name: 'tensorflow', 'wasm', 'cpu', or the page's 'webgpu' / 'webgl'. */
  tfBackend: string;
  /** Where the backend computes: this process, or a Chromium page (ml/browser/). */
  host?: 'node' | 'chromium';
  /** Browser backends: the page's WebGPU adapter or WebGL renderer (from the probe, then from the page). */
  adapter?: { vendor: string; architecture: string; description: string; software: boolean };
  /** Browser backends: the browser that runs the page. */
  browser?: { path: string; version?: string };
  /** Browser backends: the backend this process computes with (previews, the model's statistics). */
  local?: BackendName;
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

/**
 * A browser backend, for training: the page does the training (ml/browser/remote-trainer.ts); this
 * process gets the best CPU backend for the mirror that writes checkpoints and the model. Forced,
 * it needs only a browser (any adapter; the page reports which); chosen automatically, the probe
 * must have found a real (not software or fallback) adapter.
 */
async function loadBrowser(name: 'webgpu' | 'webgl', forced: boolean): Promise<Loaded> {
  const { findBrowser } = await import('./browser/find-browser.js');
  const browser = await findBrowser();
  let adapter: BackendInfo['adapter'];
  if (!forced) {
    const { probeBrowserGpu } = await import('./browser/probe.js');
    const probe = await probeBrowserGpu();
    const found = probe[name];
    if (!found) throw new Error(probe[`${name}Reason`] ?? `${browser.path} offers no ${name} adapter`);
    const label = [found.vendor, found.architecture, found.description].filter(Boolean).join(' ');
    if (found.software)
      throw new Error(
        `only a software adapter (${label}), slower than wasm; force it with ${BACKEND_ENV}=${name} or --backend ${name}`,
      );
    adapter = found;
  }
  const local = await chooseLocal();
  return {
    name,
    tfBackend: name,
    gpu: adapter !== undefined,
    speedups: [],
    host: 'chromium',
    ...(adapter ? { adapter } : {}),
    browser: { path: browser.path },
    local: local.name,
  };
}

/** The first CPU backend that loads (the inference order). */
async function chooseLocal(): Promise<Loaded> {
  const reasons: string[] = [];
  for (const name of INFERENCE_ORDER) {
    try {
      return await load(name, false);
    } catch (error) {
      reasons.push(`${name}: ${message(error)}`);
    }
  }
  throw new Error(`No TensorFlow.js CPU backend could be loaded: ${reasons.join('; ')}`);
}

async function loadCpu(): Promise<Loaded> {
  await activate('cpu');
  // The cpu backend's one-time "install tfjs-node" banner: this module already tried it, and
  // `tried` says why it is unavailable.
  (tf.backend() as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', tfBackend: 'cpu', gpu: false, threads: 1, speedups: [] };
}

function load(name: BackendName, forced: boolean): Promise<Loaded> {
  switch (name) {
    case 'webgpu':
    case 'webgl':
      return loadBrowser(name, forced);
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

/** Training-only backends, for inference: the CPU order, saying why. */
const TRAINING_ONLY: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'webgl'];

async function choose(prefer: BackendName | undefined, use: BackendUse): Promise<BackendInfo> {
  let { name: forced, forcedBy } = requested(prefer);
  const tried: BackendAttempt[] = [];
  if (use === 'inference' && forced !== undefined && TRAINING_ONLY.includes(forced)) {
    tried.push({
      name: forced,
      available: false,
      reason: `${forced} is for training only; inference runs on the CPU order (${INFERENCE_ORDER.join(', ')})`,
    });
    forced = undefined;
    forcedBy = undefined;
  }
  if (use === 'training' && forced === undefined) {
    tried.push({
      name: 'tensorflow-gpu',
      available: false,
      reason: `opt-in: ${BACKEND_ENV}=tensorflow-gpu or --backend tensorflow-gpu (needs CUDA 11.2 and cuDNN 8.1 exactly)`,
    });
  }
  const order = use === 'training' ? TRAINING_ORDER : INFERENCE_ORDER;
  for (const name of forced !== undefined ? [forced] : order) {
    try {
      const loaded = await load(name, forced !== undefined);
      tried.push({ name, available: true });
      return { host: 'node', ...loaded, forcedBy, tried };
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
export async function initBackend(prefer?: BackendName, use: BackendUse = 'inference'): Promise<BackendInfo> {
  if (pending === null) {
    pending = choose(prefer, use).then(
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
  if (
    prefer !== undefined &&
    prefer !== info.name &&
    !(use === 'inference' && TRAINING_ONLY.includes(prefer))
  ) {
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
