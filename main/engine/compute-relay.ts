// The engine's side of Electron's compute window (docs/design.md, "Backends"). Under Electron the
// engine runs in a utilityProcess and trains on WebGPU/WebGL in a hidden window main opens
// (main/electron/compute-window.ts). Electron's MessagePortMain cannot be transferred into a
// worker thread, so the engine's main thread relays: it asks main for a window on
// process.parentPort (ComputeRequest, process-entry-protocol.ts), takes the page's port from main's
// answer, and pipes it both ways to a worker_threads MessageChannel whose other end goes to the
// training worker (ml/vae/train-job.ts), where BrowserTrainer runs on portSession() of it.
//
// A lease ends when either side closes (the worker's session, the page or its window) or when its
// owner calls close(): then both ports close, every listener goes, and main is told to close the
// window. An answer for an id the relay is not waiting on is refused (its port closed); a main that
// does not answer within the timeout fails the open and gets a close for that id. Outside Electron
// (the CLI, `serve`, the forked engine) there is no relay and nothing here runs.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { BACKEND_NAMES } from '../../ml/backend.js';
import {
  type BackendAvailability,
  type BackendChoices,
  adapterLabel,
  automaticChoice,
  nodeBackend,
} from '../../ml/browser/availability.js';
import { portSession } from '../../ml/browser/port-session.js';
import type { AdapterInfo } from '../../ml/browser/protocol.js';
import type { MessagePortLike } from '../../common/transport.js';
import {
  COMPUTE_CLOSE_MESSAGE,
  COMPUTE_OPEN_MESSAGE,
  COMPUTE_OPENED_MESSAGE,
  isComputeAnswer,
  type ComputeRequest,
} from './process-entry-protocol.js';

/** How long main may take to open a window and load its page. */
export const COMPUTE_OPEN_TIMEOUT_MS = 60_000;
/** How long the page may take to say hello and to answer a probe. */
export const COMPUTE_PAGE_TIMEOUT_MS = 60_000;

/** One compute window, for as long as its owner holds it. */
export interface ComputeLease {
  /** The worker_threads end of the relayed channel: transfer it to the training worker. */
  readonly port: MessagePort;
  /** Ends the lease: both ports close and main closes the window (once; later calls do nothing). */
  close(): void;
  /** Settles when the lease has ended, whoever ended it. */
  readonly closed: Promise<void>;
}

/** The compute window's adapters, as its page reported them (a 'probed' PageMessage). */
export interface ComputeProbe {
  webgpu: AdapterInfo | null;
  webgpuReason?: string;
  webgl: AdapterInfo | null;
  webglReason?: string;
  userAgent: string;
}

/** What the engine's jobs need of the compute window (train-job.ts hands leases to its worker). */
export interface ComputeWindows {
  /** A fresh window with its page, relayed to a worker_threads port. */
  open(): Promise<ComputeLease>;
  /** The window's adapters (asked once per engine; a failed probe is asked again next time). */
  probe(): Promise<ComputeProbe>;
  /** The browser the page runs in: Electron's own Chromium. */
  readonly browser: { path: string; version: string };
}

interface Pending {
  resolve(lease: ComputeLease): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface ComputeRelayOptions {
  /** Default COMPUTE_OPEN_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Default COMPUTE_PAGE_TIMEOUT_MS. */
  pageTimeoutMs?: number;
  /** Default: Electron's Chromium as process.versions names it. */
  browser?: { path: string; version: string };
  /** Where refusals are said (default console.error). */
  log?: (message: string) => void;
}

export class ComputeRelay implements ComputeWindows {
  readonly browser: { path: string; version: string };
  readonly #post: (message: ComputeRequest) => void;
  readonly #timeoutMs: number;
  readonly #pageTimeoutMs: number;
  readonly #log: (message: string) => void;
  readonly #pending = new Map<number, Pending>();
  readonly #leases = new Map<number, ComputeLease>();
  #nextId = 1;
  #probe: Promise<ComputeProbe> | null = null;
  #disposed = false;

  /** @param post sends a request to main (process.parentPort.postMessage). */
  constructor(post: (message: ComputeRequest) => void, options: ComputeRelayOptions = {}) {
    this.#post = post;
    this.#timeoutMs = options.timeoutMs ?? COMPUTE_OPEN_TIMEOUT_MS;
    this.#pageTimeoutMs = options.pageTimeoutMs ?? COMPUTE_PAGE_TIMEOUT_MS;
    this.#log = options.log ?? ((message) => console.error(`engine: ${message}`));
    const versions = process.versions as NodeJS.ProcessVersions & { chrome?: string; electron?: string };
    this.browser = options.browser ?? {
      path: `${process.execPath} (Electron ${versions.electron ?? '?'}, compute window)`,
      version: versions.chrome ?? 'unknown',
    };
  }

  /** Windows open now (leases not yet ended) and opens awaiting main's answer. */
  get active(): { leases: number; pending: number } {
    return { leases: this.#leases.size, pending: this.#pending.size };
  }

  open(): Promise<ComputeLease> {
    if (this.#disposed) return Promise.reject(new Error('the engine is shutting down'));
    const id = this.#nextId++;
    return new Promise<ComputeLease>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        // A window main opens after this is closed at once (its answer is refused, too).
        this.#send({ type: COMPUTE_CLOSE_MESSAGE, id });
        reject(new Error(`the app did not open a compute window within ${this.#timeoutMs / 1000} s`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (!this.#send({ type: COMPUTE_OPEN_MESSAGE, id })) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new Error('cannot ask the app for a compute window'));
      }
    });
  }

  /**
   * A message from main on process.parentPort. Returns false when it is no compute answer (the
   * caller's to handle); true when it was one, handled or refused (its ports closed).
   */
  handle(data: unknown, ports: readonly MessagePortLike[]): boolean {
    if (!isComputeAnswer(data)) return false;
    const pending = this.#pending.get(data.id);
    if (!pending || (data.type === COMPUTE_OPENED_MESSAGE && ports.length !== 1)) {
      for (const port of ports) port.close?.();
      if (pending) {
        this.#settle(data.id, pending);
        this.#send({ type: COMPUTE_CLOSE_MESSAGE, id: data.id });
        pending.reject(new Error(`the app sent ${ports.length} ports for a compute window, not one`));
      } else {
        this.#log(`refused a compute window answer for ${data.id}: no such request is waiting`);
        if (data.type === COMPUTE_OPENED_MESSAGE) this.#send({ type: COMPUTE_CLOSE_MESSAGE, id: data.id });
      }
      return true;
    }
    this.#settle(data.id, pending);
    if (data.type !== COMPUTE_OPENED_MESSAGE) {
      for (const port of ports) port.close?.();
      pending.reject(new Error(`the app could not open a compute window: ${data.message}`));
      return true;
    }
    pending.resolve(this.#relay(data.id, ports[0]));
    return true;
  }

  probe(): Promise<ComputeProbe> {
    this.#probe ??= this.#ask().catch((error: unknown) => {
      this.#probe = null;
      throw error;
    });
    return this.#probe;
  }

  /** Ends every lease and fails every open still waiting (the engine is going). */
  dispose(): void {
    this.#disposed = true;
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id, pending);
      this.#send({ type: COMPUTE_CLOSE_MESSAGE, id });
      pending.reject(new Error('the engine is shutting down'));
    }
    for (const lease of [...this.#leases.values()]) lease.close();
  }

  #settle(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  #send(message: ComputeRequest): boolean {
    try {
      this.#post(message);
      return true;
    } catch (error) {
      this.#log(`cannot reach the app (${message.type} ${message.id}): ${(error as Error).message}`);
      return false;
    }
  }

  /** Pipes main's port (Electron's MessagePortMain: 'message' events carry .data) to a local channel. */
  #relay(id: number, remote: MessagePortLike): ComputeLease {
    const { port1: local, port2: forWorker } = new MessageChannel();
    let ended = false;
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const useEvents = typeof remote.addEventListener === 'function';
    const fromRemote = (event: { data?: unknown }) => local.postMessage(event.data);
    const toRemote = (message: unknown) => {
      try {
        remote.postMessage(message);
      } catch (error) {
        this.#log(`compute window ${id}: a message could not be relayed: ${(error as Error).message}`);
        end();
      }
    };
    const end = () => {
      if (ended) return;
      ended = true;
      if (useEvents) {
        remote.removeEventListener?.('message', fromRemote);
        remote.removeEventListener?.('close', end);
      } else {
        remote.off?.('message', fromRemote);
        remote.off?.('close', end);
      }
      local.off('message', toRemote);
      local.off('close', end);
      remote.close?.();
      local.close();
      // The worker's end, if it never left this thread (a lease not handed on, or refused).
      forWorker.close();
      this.#leases.delete(id);
      this.#send({ type: COMPUTE_CLOSE_MESSAGE, id });
      markClosed();
    };
    if (useEvents) {
      remote.addEventListener!('message', fromRemote);
      remote.addEventListener!('close', end);
    } else {
      remote.on?.('message', fromRemote);
      remote.on?.('close', end);
    }
    local.on('message', toRemote);
    local.on('close', end);
    remote.start?.();
    const lease: ComputeLease = { port: forWorker, close: end, closed };
    this.#leases.set(id, lease);
    return lease;
  }

  /** Opens a window, asks its page for the adapters, closes it. */
  async #ask(): Promise<ComputeProbe> {
    const lease = await this.open();
    const session = portSession(lease.port, this.browser);
    try {
      const hello = await session.receive(this.#pageTimeoutMs);
      if (hello.type !== 'hello') throw new Error(`the compute page said '${hello.type}' before hello`);
      session.send({ type: 'probe' });
      const m = await session.receive(this.#pageTimeoutMs);
      if (m.type !== 'probed') throw new Error(`the compute page said '${m.type}' to a probe`);
      return {
        webgpu: m.webgpu,
        webgpuReason: m.webgpuReason,
        webgl: m.webgl,
        webglReason: m.webglReason,
        userAgent: m.userAgent,
      };
    } finally {
      await session.close();
      lease.close();
    }
  }
}

/**
 * The API's `backends` under Electron: webgpu and webgl as the compute window's page finds them
 * (no external browser is started), the Node backends as ml/browser/availability.ts says them.
 * The automatic choice is availability's order: a browser backend only on a real GPU adapter.
 */
export async function computeWindowBackends(windows: ComputeWindows): Promise<BackendChoices> {
  let probe: ComputeProbe | null = null;
  let failure = '';
  try {
    probe = await windows.probe();
  } catch (error) {
    failure = `the compute window could not be asked: ${(error as Error).message}`;
  }
  const backends = BACKEND_NAMES.map((name): BackendAvailability => {
    switch (name) {
      case 'webgpu':
      case 'webgl': {
        const found = probe?.[name] ?? null;
        const where = `in the app's compute window (Chromium ${windows.browser.version})`;
        if (!found)
          return {
            name,
            available: false,
            reason: probe ? `${probe[`${name}Reason`] ?? 'no adapter'} ${where}` : failure,
            gpu: false,
            adapter: null,
            host: 'chromium',
          };
        return {
          name,
          available: true,
          reason: found.software
            ? `${where}, on a software adapter (${adapterLabel(found)}): slower than wasm`
            : `${where}, on ${adapterLabel(found)}`,
          gpu: !found.software,
          adapter: adapterLabel(found),
          host: 'chromium',
        };
      }
      default:
        return nodeBackend(name);
    }
  });
  return { automatic: automaticChoice(backends), backends };
}
