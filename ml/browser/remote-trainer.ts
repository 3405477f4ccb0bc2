// Trains in the compute page (ml/browser/page.ts) while the training worker keeps a mirror Trainer
// on its own CPU backend: each epoch runs in the page, and the state after it (weights, Adam, PRNG,
// history) comes back and is put into the mirror, so the worker's checkpoints, previews and model
// folder are written from exactly the weights the page trained, by the same code as ever.
import type { BackendInfo } from '../backend.js';
import type { Corpus } from '../vae/corpus.js';
import { type EpochOptions, type EpochReport, NonFiniteLossError, type Trainer } from '../vae/trainer.js';
import { type BrowserSession, openBrowserSession, START_TIMEOUT_MS } from './host.js';
import type { BrowserBackendName, PageDevice, PageMessage } from './protocol.js';
import { applyState, captureState } from './trainer-state.js';

/** How often the worker looks at its cancel flag while the page trains. */
const CANCEL_POLL_MS = 50;

export class BrowserBackendError extends Error {
  override name = 'BrowserBackendError';
}

export class BrowserTrainer {
  /** Tensors alive in the page after 'ready' and after each epoch (a leak shows as growth). */
  readonly pageTensors: number[] = [];
  #device: PageDevice;

  private constructor(
    readonly session: BrowserSession,
    readonly backend: BrowserBackendName,
    private readonly trainer: Trainer,
    device: PageDevice,
  ) {
    this.#device = device;
  }

  /** tf.getBackend() and the adapter, as the page reported them with its last result. */
  get device(): PageDevice {
    return this.#device;
  }

  /**
   * The page takes the mirror's state (fresh or resumed) and loads `backend`. On `session` where
   * given (Electron's compute window over portSession()), else on a headless browser started here;
   * either way the BrowserTrainer owns the session from now on and closes it on failure.
   */
  static async open(
    backend: BrowserBackendName,
    trainer: Trainer,
    session?: BrowserSession,
  ): Promise<BrowserTrainer> {
    const own = session ?? (await openBrowserSession());
    try {
      const device = await start(own, backend, trainer, true);
      const remote = new BrowserTrainer(own, backend, trainer, device.device);
      remote.pageTensors.push(device.tensors);
      return remote;
    } catch (error) {
      await own.close();
      throw error;
    }
  }

  /** Set when an epoch stopped part-way: the page's Trainer is mid-epoch and takes the mirror's state again. */
  #stale = false;

  /** How the last stopped epoch ended in the page: batches run, and batches run when the cancel reached it. */
  lastCancel: { done: number; cancelAt: number } | null = null;

  /** One epoch in the page; the mirror takes its result. Null when stopped (the mirror keeps the last epoch). */
  async runEpoch(options: EpochOptions = {}): Promise<EpochReport | null> {
    // A cancel that came while the last epoch finished: the page would only see it at its next yield.
    if (options.shouldStop?.()) return null;
    if (this.#stale) {
      const ready = await start(this.session, this.backend, this.trainer, false);
      this.#device = ready.device;
      this.pageTensors.push(ready.tensors);
      this.#stale = false;
    }
    this.session.send({ type: 'epoch' });
    let cancelSent = false;
    const checkStop = () => {
      if (!cancelSent && options.shouldStop?.()) {
        cancelSent = true;
        this.session.send({ type: 'cancel' });
      }
    };
    // Looked at on a timer and at every progress report from the page.
    const poll = setInterval(checkStop, CANCEL_POLL_MS);
    try {
      for (;;) {
        const m = await this.session.receive();
        if (m.type === 'batch') {
          options.onBatch?.(m.done, m.total);
          checkStop();
        } else if (m.type === 'epoch') {
          this.#device = m.device;
          this.pageTensors.push(m.tensors);
          await applyState(this.trainer, m.state);
          return m.report;
        } else if (m.type === 'cancelled') {
          this.#device = m.device;
          this.pageTensors.push(m.tensors);
          this.lastCancel = { done: m.done, cancelAt: m.cancelAt };
          this.#stale = true;
          return null;
        } else if (m.type === 'error') {
          this.#stale = true;
          throw pageError(m);
        } else throw new Error(`the compute page said '${m.type}' during an epoch`);
      }
    } finally {
      clearInterval(poll);
    }
  }

  /** The backend info the worker reports: the chosen backend with the page's own account of it. */
  info(base: BackendInfo): BackendInfo {
    const adapter = this.#device.adapter;
    return {
      ...base,
      tfBackend: this.#device.tfBackend,
      gpu: adapter !== null && !adapter.software,
      host: 'chromium',
      adapter: adapter ?? undefined,
      browser: { path: this.session.browser.path, version: this.session.browser.version },
    };
  }

  /** The page backend's own ceiling: GFLOP/s of an n×n matrix product (the bench). */
  async matmulGflops(n = 1024): Promise<number> {
    this.session.send({ type: 'matmul', n });
    const m = await this.session.receive();
    if (m.type === 'error') throw pageError(m);
    if (m.type !== 'matmul') throw new Error(`the compute page said '${m.type}' to matmul`);
    return m.gflops;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** Sends 'start' with the mirror's state; the page's 'ready' (a leading 'hello' of a port session skipped). */
async function start(
  session: BrowserSession,
  backend: BrowserBackendName,
  trainer: Trainer,
  first: boolean,
): Promise<{ device: PageDevice; tensors: number }> {
  const { corpus } = trainer;
  session.send({
    type: 'start',
    backend,
    config: { ...trainer.config },
    corpus: {
      bins: corpus.bins,
      frames: framesInMemory(corpus),
      sources: corpus.sources,
      train: corpus.train,
      heldOut: corpus.heldOut,
      ref: corpus.ref,
    },
    state: await captureState(trainer),
  });
  let ready = await session.receive(START_TIMEOUT_MS);
  // openBrowserSession() reads the page's hello itself; portSession() leaves it in the inbox.
  if (first && ready.type === 'hello') ready = await session.receive(START_TIMEOUT_MS);
  if (ready.type === 'error') throw pageError(ready);
  if (ready.type !== 'ready') throw new Error(`the compute page said '${ready.type}' instead of ready`);
  return { device: ready.device, tensors: ready.tensors };
}

/** Every frame of the corpus in memory (a corpus read from the frame cache keeps them on disk). */
function framesInMemory(corpus: Corpus): Float32Array {
  const store = (
    corpus as { store?: { count: number; rows(i: Int32Array, from: number, to: number): Float32Array } }
  ).store;
  if (!store) return corpus.frames;
  return store.rows(
    Int32Array.from({ length: store.count }, (_, i) => i),
    0,
    store.count,
  );
}

function pageError(m: Extract<PageMessage, { type: 'error' }>): Error {
  if (m.kind === 'diverged') return new NonFiniteLossError(m.message);
  if (m.kind === 'backend') return new BrowserBackendError(m.message);
  return new Error(`the compute page failed: ${m.message}`);
}
