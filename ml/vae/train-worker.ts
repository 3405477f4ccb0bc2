/**
 * The training worker thread (docs/design.md, "Threads"): loads and analyses the inputs, trains,
 * checkpoints each epoch and writes the model, reporting through TrainEvents, so the thread that
 * started it stays free to serve a UI and to take a cancel.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { AudioFileError } from '../audio/errors.js';
import {
  BACKEND_ENV,
  BROWSER_BACKENDS,
  initBackend,
  isBackendName,
  isBrowserBackend,
  tf,
  type BackendAttempt,
  type BackendInfo,
} from '../backend.js';
import { greeted, type BrowserSession } from '../browser/host.js';
import { portSession } from '../browser/port-session.js';
import { BrowserTrainer } from '../browser/remote-trainer.js';
import { fromUnitFrames } from '../features/scale.js';
import { createRealFft } from '../synth/fft.js';
import { withNyquist } from '../synth/roundtrip.js';
import { rtpghiResynth } from '../synth/stream.js';
import { CheckpointError, restoreTrainer, saveCheckpoint } from './checkpoint.js';
import { AnalysisCancelled } from '../corpus/frame-cache.js';
import { buildCachedCorpus } from '../corpus/cached-corpus.js';
import { writeModel } from '../corpus/model-record.js';
import { corpusRows, expandInputs, frameTotal } from './corpus.js';
import { parameterCount } from './model.js';
import {
  CHECKPOINT_FILE,
  type ComputeAsk,
  type ComputeReply,
  type TrainEvent,
  type TrainRequest,
} from './train-protocol.js';
import { NonFiniteLossError, Trainer } from './trainer.js';
import { DataParallel, threadsFor } from './data-parallel.js';
import { threadBudget } from '../threads.js';

const request = workerData as TrainRequest;
const post = (event: TrainEvent) => parentPort!.postMessage(event);
const cancelled = new Int32Array(request.cancel);

async function run(): Promise<void> {
  const started = performance.now();
  const backend = request.computeWindow
    ? await computeWindowBackend()
    : await initBackend(request.backend, 'training');
  post({ type: 'backend', info: backend });
  const files = await expandInputs(request.inputs);
  const stop = () => Atomics.load(cancelled, 0) === 1;
  let lastAnalysis = 0;
  let corpus;
  try {
    ({ corpus } = await buildCachedCorpus(files, request.frames, request.cache!, {
      onSkip: (skipped) => post({ type: 'skipped', skipped }),
      shouldStop: stop,
      onProgress: (done, total, file) => {
        const now = performance.now();
        if (done === total || done === Math.floor(done) || now - lastAnalysis > 200) {
          lastAnalysis = now;
          post({ type: 'analysis', done, total, file });
        }
      },
    }));
  } catch (err) {
    if (!(err instanceof AnalysisCancelled)) throw err;
    post({ type: 'cancelled', epoch: 0 });
    return;
  }
  if (stop()) {
    post({ type: 'cancelled', epoch: 0 });
    return;
  }
  const checkpoint = join(request.out, CHECKPOINT_FILE);
  const trainer = request.resume
    ? await restoreTrainer(checkpoint, corpus)
    : new Trainer(request.config, corpus);
  // WebGPU / WebGL: the epochs run in a browser page; `trainer` mirrors its state (ml/browser/).
  let remote: BrowserTrainer | null = null;
  // wasm / cpu: each batch split over the run's threads (data-parallel.ts).
  let parallel: DataParallel | null = null;
  try {
    if (isBrowserBackend(backend.name)) {
      // Electron: the app's compute window; elsewhere a browser found on the machine, headless.
      const session = request.computeWindow ? await computeWindowSession() : undefined;
      remote = await BrowserTrainer.open(backend.name, trainer, session);
      post({ type: 'backend', info: remote.info(backend) });
    }
    const threads = remote
      ? 1
      : threadsFor(request.threads ?? threadBudget(), trainer.config.batch, backend.name);
    if (threads > 1) {
      parallel = await DataParallel.start(trainer, threads, backend.name as 'wasm' | 'cpu');
      trainer.steps = parallel;
    }
    const epochs = request.epochs ?? trainer.config.epochs;
    const config = { ...trainer.config, epochs };
    Object.assign(trainer.config, { epochs });
    post({
      type: 'corpus',
      sources: corpus.sources,
      frames: frameTotal(corpus),
      train: corpus.train.length,
      heldOut: corpus.heldOut.length,
      params: parameterCount(trainer.encoder, trainer.decoder),
      resumedAt: trainer.epoch,
      threads,
    });
    let lastPost = 0;
    while (trainer.epoch < epochs) {
      const epoch = trainer.epoch + 1;
      const report = await (remote ?? trainer).runEpoch({
        shouldStop: () => Atomics.load(cancelled, 0) === 1,
        onBatch: (done, total) => {
          const now = performance.now();
          if (done === total || now - lastPost > 100) {
            lastPost = now;
            post({ type: 'batch', epoch, done, total });
          }
        },
      });
      if (!report) {
        post({ type: 'cancelled', epoch: trainer.epoch });
        return;
      }
      post({ type: 'epoch', report });
      await saveCheckpoint(checkpoint, trainer);
      const every = request.previewEvery;
      if (every && (report.epoch % every === 0 || report.epoch === epochs)) {
        post({
          type: 'preview',
          epoch: report.epoch,
          ...(await preview(trainer)),
          sampleRate: request.frames.sampleRate,
        });
      }
    }
    const final = trainer.history[trainer.history.length - 1];
    const seconds = (performance.now() - started) / 1000 + (request.resume ? sumSeconds(trainer.history) : 0);
    await writeModel(trainer, request.out, {
      frames: request.frames,
      backend: backend.name,
      seconds,
      history: trainer.history,
      config: { ...config },
    });
    post({
      type: 'done',
      summary: {
        folder: request.out,
        epochs: trainer.epoch,
        params: parameterCount(trainer.encoder, trainer.decoder),
        seconds,
        final,
      },
    });
  } finally {
    await remote?.close();
    await parallel?.close();
    trainer.dispose();
  }
}

/** Asks the thread that started this worker (train-job.ts) for the compute window's probe or a port. */
function askParent(want: ComputeAsk['want']): Promise<ComputeReply> {
  return new Promise((resolve) => {
    parentPort!.once('message', (reply: ComputeReply) => resolve(reply));
    const ask: ComputeAsk = { type: 'compute-ask', want };
    parentPort!.postMessage(ask);
  });
}

/** A session with the page of a fresh compute window (Electron), past its hello. */
async function computeWindowSession(): Promise<BrowserSession> {
  const reply = await askParent('port');
  if ('error' in reply) throw new Error(`no compute window for training: ${reply.error}`);
  if (!('port' in reply)) throw new Error('the engine answered a request for a compute window with no port');
  return greeted(portSession(reply.port, reply.browser));
}

/**
 * The training backend under Electron: webgpu and webgl run in the app's compute window, never in
 * an external browser. Named (the request or VAE_STUDIO_BACKEND), a browser backend takes the
 * window whatever its adapter (the page reports which); chosen automatically, only a real GPU
 * adapter the window's probe found (ml/backend.ts's rule), else the CPU order. Either way this
 * thread computes on the CPU order (`local`: previews, the model's statistics).
 */
async function computeWindowBackend(): Promise<BackendInfo> {
  const env = process.env[BACKEND_ENV]?.trim();
  const named = request.backend ?? (env && isBackendName(env) ? env : undefined);
  if (named !== undefined && !isBrowserBackend(named)) return initBackend(request.backend, 'training');
  const browser = (name: (typeof BROWSER_BACKENDS)[number], local: BackendInfo) => ({
    name,
    tfBackend: name,
    host: 'chromium' as const,
    speedups: [],
    local: local.name,
  });
  if (named !== undefined) {
    const local = await initBackend(named, 'inference');
    return {
      ...browser(named, local),
      gpu: false,
      forcedBy: request.backend !== undefined ? 'argument' : 'env',
      tried: [{ name: named, available: true }],
    };
  }
  const tried: BackendAttempt[] = [
    {
      name: 'tensorflow-gpu',
      available: false,
      reason: `opt-in: ${BACKEND_ENV}=tensorflow-gpu or --backend tensorflow-gpu (needs CUDA 11.2 and cuDNN 8.1 exactly)`,
    },
  ];
  const reply = await askParent('probe');
  for (const name of BROWSER_BACKENDS) {
    let reason: string;
    if ('probe' in reply) {
      const found = reply.probe[name];
      if (found && !found.software) {
        const local = await initBackend(undefined, 'inference');
        tried.push({ name, available: true });
        return { ...browser(name, local), gpu: true, adapter: found, tried };
      }
      const label = found
        ? [found.vendor, found.architecture, found.description].filter(Boolean).join(' ')
        : '';
      reason = found
        ? `the compute window offers only a software adapter (${label}), slower than wasm; force it with ${BACKEND_ENV}=${name} or --backend ${name}`
        : `${reply.probe[`${name}Reason`] ?? 'no adapter'} (the compute window)`;
    } else reason = 'error' in reply ? `the compute window could not be asked: ${reply.error}` : 'no probe';
    tried.push({ name, available: false, reason });
  }
  const local = await initBackend(undefined, 'inference');
  return { ...local, tried: [...tried, ...local.tried] };
}

/** Two seconds of the first training sound through the model as it is now. */
async function preview(trainer: Trainer): Promise<{ samples: Float32Array }> {
  const { corpus, config } = trainer;
  const settings = request.frames;
  const frames = Math.min(corpus.sources[0].frames, Math.round((2 * settings.sampleRate) / settings.hop));
  const unit = corpusRows(
    corpus,
    Int32Array.from({ length: frames }, (_, i) => i),
    0,
    frames,
  );
  const decoded = tf.tidy(() => {
    const h = trainer.encoder.predict(tf.tensor2d(unit, [frames, corpus.bins])) as tf.Tensor2D;
    return trainer.decoder.predict(tf.slice(h, [0, 0], [frames, config.latent])) as tf.Tensor2D;
  });
  const values = (await decoded.data()) as Float32Array;
  decoded.dispose();
  const fft = await createRealFft(settings.windowSize);
  try {
    const magnitude = withNyquist(fromUnitFrames(values, corpus.ref, settings.floorDb), settings.bins);
    return { samples: rtpghiResynth(magnitude, (frames - 1) * settings.hop, fft, settings) };
  } finally {
    fft.dispose();
  }
}

function sumSeconds(history: { seconds: number }[]): number {
  return history.reduce((s, h) => s + h.seconds, 0);
}

run().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AudioFileError)
    post({ type: 'error', kind: 'input', message: err.reason, file: err.file });
  else if (err instanceof NonFiniteLossError) post({ type: 'error', kind: 'diverged', message });
  else if (err instanceof CheckpointError) post({ type: 'error', kind: 'checkpoint', message });
  else
    post({
      type: 'error',
      kind: 'internal',
      message: err instanceof Error ? (err.stack ?? message) : message,
    });
});
