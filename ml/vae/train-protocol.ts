import type { MessagePort } from 'node:worker_threads';
import type { BackendInfo, BackendName } from '../backend.js';
import type { PageMessage } from '../browser/protocol.js';
import type { FrameSettings } from '../features/settings.js';
import type { Corpus, SkippedFile } from './corpus.js';
import type { EpochReport, TrainConfig } from './trainer.js';

/** What the training worker is asked to do (sent once, with workerData). */
export interface TrainRequest {
  inputs: string[];
  /** The model folder: the checkpoint is written there each epoch, the model at the end. */
  out: string;
  resume: boolean;
  config: TrainConfig;
  /** With resume: a new epoch count (to extend a finished run); otherwise the checkpoint's. */
  epochs?: number;
  frames: FrameSettings;
  backend?: BackendName;
  /**
   * Threads the run may use (default: VAE_STUDIO_THREADS, else every core): on wasm and cpu each batch
   * is split over up to this many (ml/vae/data-parallel.ts).
   */
  threads?: number;
  /**
   * The frame cache folder (ml/corpus/frame-cache.ts): sources are analysed into it once and training
   * reads them from it. Without one, startTraining makes a temporary cache and removes it at the end.
   */
  cache?: string;
  /** Every this many epochs (and at the last), a reconstruction to listen to: a 'preview' event. */
  previewEvery?: number;
  /** Int32Array(1) over this buffer: set to 1 to cancel at the next batch. */
  cancel: SharedArrayBuffer;
  /**
   * Electron only (set by startTraining when it is given compute windows): webgpu and webgl run in
   * the app's hidden compute window, which the worker reaches through its parent (ComputeAsk), and
   * no external browser is started.
   */
  computeWindow?: boolean;
}

/** The compute window page's adapters, as it reports them to a probe. */
export type ComputeProbeInfo = Omit<Extract<PageMessage, { type: 'probed' }>, 'type'>;

/** Worker → the thread that started it (beside the TrainEvents): the compute window's probe, or a port to a fresh window. */
export interface ComputeAsk {
  type: 'compute-ask';
  want: 'probe' | 'port';
}

/** The answer to a ComputeAsk (a port travels in the transfer list; the window closes when it does). */
export type ComputeReply =
  | { type: 'compute-reply'; probe: ComputeProbeInfo }
  | { type: 'compute-reply'; port: MessagePort; browser: { path: string; version: string } }
  | { type: 'compute-reply'; error: string };

export interface TrainSummary {
  folder: string;
  epochs: number;
  params: number;
  seconds: number;
  final: EpochReport;
}

/** Messages from the worker, in the order a run produces them. */
export type TrainEvent =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'skipped'; skipped: SkippedFile }
  /** Analysis into the frame cache: `done` files (fractional) of `total`, working on `file`. */
  | { type: 'analysis'; done: number; total: number; file: string }
  | {
      type: 'corpus';
      sources: Corpus['sources'];
      frames: number;
      train: number;
      heldOut: number;
      params: number;
      resumedAt: number;
      /** Threads the batches are split over (1: one thread). */
      threads: number;
    }
  | { type: 'batch'; epoch: number; done: number; total: number }
  | { type: 'epoch'; report: EpochReport }
  /** The start of the first training sound as the model reconstructs it now (RTPGHI phase). */
  | { type: 'preview'; epoch: number; samples: Float32Array; sampleRate: number }
  | { type: 'cancelled'; epoch: number }
  | { type: 'done'; summary: TrainSummary }
  | { type: 'error'; kind: 'input' | 'diverged' | 'checkpoint' | 'internal'; message: string; file?: string };

export const CHECKPOINT_FILE = 'checkpoint.bin';
