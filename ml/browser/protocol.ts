// The messages between the engine (a training worker thread) and the compute page that trains in a
// browser (docs/design.md, "Backends"). They travel as common/codec.ts frames (a JSON header and
// the typed arrays' bytes) over a WebSocket the page opens back to the engine, or over the
// MessagePort Electron's main process hands the compute window. No Node, no DOM: both sides import
// this file.
import type { EpochReport, TrainConfig } from '../vae/trainer.js';

export type BrowserBackendName = 'webgpu' | 'webgl';

/** What the page's WebGPU adapter or WebGL renderer says it is. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  /** WebGPU's adapter description, or WebGL's unmasked renderer string. */
  description: string;
  /** A fallback or software adapter (SwiftShader, llvmpipe, WARP): slower than wasm on a CPU. */
  software: boolean;
}

/** What runs in the page: tf.getBackend() and the adapter, reported with every result. */
export interface PageDevice {
  tfBackend: string;
  adapter: AdapterInfo | null;
  userAgent: string;
}

/** A Trainer's whole state (weights, Adam's state, epoch, PRNG, history), as plain data. */
export interface TrainerState {
  epoch: number;
  rng: number;
  adamBetaPowers: [number, number];
  history: EpochReport[];
  tensors: { name: string; shape: number[]; dtype: 'float32' | 'int32'; values: Float32Array | Int32Array }[];
}

/** The training corpus as the page needs it (frames in [0, 1], split indices). */
export interface PageCorpus {
  bins: number;
  frames: Float32Array;
  sources: { name: string; frames: number; heldOut: number }[];
  train: Int32Array;
  heldOut: Int32Array;
  ref: number;
}

/** Engine → page. */
export type HostMessage =
  /** Probe only: report the adapters and stop. */
  | { type: 'probe' }
  /** Load the backend, build a Trainer and take this state; answered by 'ready'. */
  | {
      type: 'start';
      backend: BrowserBackendName;
      config: TrainConfig;
      corpus: PageCorpus;
      state: TrainerState;
    }
  /** Run one epoch; answered by 'batch'… then 'epoch', 'cancelled' or 'error'. */
  | { type: 'epoch' }
  /** Stop the running epoch before its next batch (the page reads messages after every batch). */
  | { type: 'cancel' }
  /** The backend's own ceiling (after 'start'): GFLOP/s of an n×n matrix product; answered by 'matmul'. */
  | { type: 'matmul'; n: number };

export type PageErrorKind = 'backend' | 'diverged' | 'internal';

/** Page → engine. */
export type PageMessage =
  | { type: 'hello' }
  | {
      type: 'probed';
      webgpu: AdapterInfo | null;
      webgpuReason?: string;
      webgl: AdapterInfo | null;
      webglReason?: string;
      userAgent: string;
    }
  | { type: 'ready'; device: PageDevice; tensors: number }
  | { type: 'batch'; epoch: number; done: number; total: number }
  /** One epoch done: its report, the state after it, and the tensors alive in the page. */
  | { type: 'epoch'; report: EpochReport; state: TrainerState; device: PageDevice; tensors: number }
  /**
   * The epoch stopped part-way (the page's Trainer is left mid-epoch: the engine sends 'start' again
   * before another epoch). `done`: batches it ran; `cancelAt`: batches it had run when the cancel
   * reached it (the page reads messages after every batch, so done ≤ cancelAt + 1).
   */
  | { type: 'cancelled'; epoch: number; done: number; cancelAt: number; device: PageDevice; tensors: number }
  | { type: 'matmul'; gflops: number }
  | { type: 'error'; kind: PageErrorKind; message: string };

/** Software adapters by name: SwiftShader (Chromium's), llvmpipe/softpipe (Mesa), WARP/Basic Render (Windows). */
export function isSoftwareName(...names: string[]): boolean {
  return names.some((n) =>
    /swiftshader|llvmpipe|softpipe|lavapipe|software|microsoft basic render|warp/i.test(n),
  );
}
