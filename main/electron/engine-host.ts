// The engine as the Electron main process keeps it: one process, started and restarted by the
// host-agnostic Supervisor, and a MessagePort straight to it for every window that asks. A window
// asks once (connectEngine); it gets a port as soon as the engine runs, and a fresh one after each
// restart, unasked, since the old one died with the old process. No Electron here: main.ts supplies
// the spawn (utility-engine.ts) and the windows, so tests drive this with fakes.
import {
  Supervisor,
  type EngineProcess,
  type StateChange,
  type SupervisorOptions,
} from '../engine/supervisor.js';
import type { EngineStatus } from './preload-api.js';

export { ENGINE_CONNECT_MESSAGE } from '../engine/process-entry-protocol.js';

/** An engine process that can open more connections to itself, one port per window. */
export interface ConnectableEngine<Port> extends EngineProcess {
  /** A new port to the engine, whose other end the engine now serves. */
  connect(): Port;
  /** A message to the engine process itself (main's folder grants), where the host can send one. */
  post?(message: unknown): void;
}

/** One window, as the host talks to it. */
export interface RendererLink<Port> {
  /** Transfers the port into the window (webContents.postMessage). */
  sendPort(port: Port): void;
  sendStatus(status: EngineStatus): void;
}

export function toStatus(change: StateChange): EngineStatus {
  return {
    state: change.state,
    crashes: change.crashes,
    ...(change.reason ? { reason: change.reason } : {}),
  };
}

export class EngineHost<Port> {
  readonly supervisor: Supervisor;
  private engine: ConnectableEngine<Port> | null = null;
  private statusValue: EngineStatus = { state: 'stopped', crashes: 0 };
  /** Attached windows, and whether each has asked for a port (and so wants one after restarts). */
  private readonly links = new Map<RendererLink<Port>, { wantsPort: boolean }>();

  constructor(
    spawn: () => ConnectableEngine<Port>,
    options: Omit<SupervisorOptions, 'spawn'> = {},
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.supervisor = new Supervisor({
      ...options,
      spawn: () => {
        const engine = spawn();
        this.engine = engine;
        return engine;
      },
    });
    this.supervisor.onState((change) => this.changed(change));
  }

  get status(): EngineStatus {
    return this.statusValue;
  }

  /** Starts the engine; resolves once it runs, rejects if it fails for good (the windows are told). */
  async start(): Promise<void> {
    await this.supervisor.start();
  }

  stop(): void {
    this.supervisor.stop();
  }

  /** Registers a window; returns the detach, which forgets it (call it when the window closes). */
  attach(link: RendererLink<Port>): () => void {
    this.links.set(link, { wantsPort: false });
    return () => {
      this.links.delete(link);
    };
  }

  /** The window asked for a port: one now if the engine runs, else when it does; and after restarts. */
  requestPort(link: RendererLink<Port>): void {
    const entry = this.links.get(link);
    if (!entry) return;
    entry.wantsPort = true;
    link.sendStatus(this.statusValue);
    if (this.supervisor.state === 'running') this.deliver(link);
  }

  private deliver(link: RendererLink<Port>): void {
    const engine = this.engine;
    if (!engine || this.supervisor.process !== engine) return;
    try {
      link.sendPort(engine.connect());
    } catch (err) {
      // The process died between 'running' and now; its restart delivers a fresh port.
      this.onError(err);
    }
  }

  private changed(change: StateChange): void {
    this.statusValue = toStatus(change);
    for (const [link, entry] of [...this.links]) {
      link.sendStatus(this.statusValue);
      if (change.state === 'running' && entry.wantsPort) this.deliver(link);
    }
  }
}
