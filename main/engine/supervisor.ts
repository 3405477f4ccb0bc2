// Starts the engine process, watches it, and restarts it after a crash — the same code whether
// the process is an Electron utilityProcess or a child_process.fork (fork-engine.ts); the host
// supplies `spawn`. Restarts back off and are bounded: a run that keeps killing the engine ends
// in 'failed' with the reason, not in a loop.
import type { StudioEvent } from '../../common/api.js';
import { parseEngineMessage } from '../../common/protocol.js';
import type { Transport } from '../../common/transport.js';

/** One running engine process, as the host started it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  /** The API connection to it (serveApi runs at the other end). */
  readonly transport: Transport;
  /** Called once when the process has exited, for whatever reason. */
  onExit(listener: (exit: { code: number | null; signal: string | null }) => void): void;
  /** Ends it at once (SIGKILL or the host's equivalent). */
  kill(): void;
}

export type EngineState = 'starting' | 'running' | 'crashed' | 'restarting' | 'failed' | 'stopped';

export interface StateChange {
  state: EngineState;
  /** The process the state is about, where there is one. */
  pid?: number;
  /** Crashes counted within the window so far. */
  crashes: number;
  /** crashed, failed: what happened. */
  reason?: string;
}

export interface SupervisorOptions {
  spawn(): EngineProcess;
  /** This many crashes within crashWindowMs and the supervisor gives up. Default 3. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** The wait before restart n (1, 2, ...). Default 250 ms · 4^(n-1), at most 5 s. */
  backoffMs?(restart: number): number;
  /** A process that has not said 'ready' by then is killed, which counts as a crash. Default 30 s. */
  readyTimeoutMs?: number;
}

export class Supervisor {
  private stateValue: EngineState = 'stopped';
  private current: EngineProcess | null = null;
  private crashTimes: number[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly maxCrashes: number;
  private readonly crashWindowMs: number;
  private readonly readyTimeoutMs: number;
  private readonly backoffMs: (restart: number) => number;

  constructor(private readonly options: SupervisorOptions) {
    this.maxCrashes = options.maxCrashes ?? 3;
    this.crashWindowMs = options.crashWindowMs ?? 60_000;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    this.backoffMs = options.backoffMs ?? ((n) => Math.min(5000, 250 * 4 ** (n - 1)));
  }

  get state(): EngineState {
    return this.stateValue;
  }

  /** The running engine, or null while it is starting, restarting, failed or stopped. */
  get process(): EngineProcess | null {
    return this.stateValue === 'running' ? this.current : null;
  }

  onState(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the engine; resolves when it is running, rejects if it fails for good. */
  start(): Promise<EngineProcess> {
    if (this.stateValue !== 'stopped' && this.stateValue !== 'failed') {
      return Promise.reject(new Error(`the engine is already ${this.stateValue}`));
    }
    this.crashTimes = [];
    const running = this.whenSettled();
    this.launch();
    return running;
  }

  /** Resolves at the next 'running', rejects at 'failed' or 'stopped'. */
  whenSettled(): Promise<EngineProcess> {
    return new Promise((resolve, reject) => {
      const off = this.onState((change) => {
        if (change.state === 'running') {
          off();
          resolve(this.current!);
        } else if (change.state === 'failed' || change.state === 'stopped') {
          off();
          reject(new Error(change.reason ?? `the engine ${change.state}`));
        }
      });
    });
  }

  /** Kills the engine (if any) and cancels a pending restart. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const proc = this.current;
    this.current = null;
    if (this.stateValue !== 'stopped')
      this.setState({ state: 'stopped', pid: proc?.pid, crashes: this.crashTimes.length });
    if (proc) {
      proc.transport.close();
      proc.kill();
    }
  }

  private setState(change: StateChange): void {
    this.stateValue = change.state;
    for (const listener of [...this.listeners]) listener(change);
  }

  private launch(): void {
    let proc: EngineProcess;
    try {
      proc = this.options.spawn();
    } catch (err) {
      this.setState({ state: 'starting', crashes: this.crashTimes.length });
      this.crashed(undefined, `could not start: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.current = proc;
    this.setState({ state: 'starting', pid: proc.pid, crashes: this.crashTimes.length });

    let readyTimeout = false;
    const readyTimer = setTimeout(() => {
      if (this.current === proc) {
        readyTimeout = true;
        proc.kill();
      }
    }, this.readyTimeoutMs);
    const offMessage = proc.transport.onMessage((raw) => {
      const message = parseEngineMessage(raw);
      if (message?.type === 'event' && (message.event as StudioEvent).type === 'ready') {
        clearTimeout(readyTimer);
        offMessage();
        if (this.current === proc && this.stateValue === 'starting') {
          this.setState({ state: 'running', pid: proc.pid, crashes: this.crashTimes.length });
        }
      }
    });
    proc.onExit(({ code, signal }) => {
      clearTimeout(readyTimer);
      offMessage();
      proc.transport.close();
      if (this.current !== proc) return; // stopped on purpose
      this.current = null;
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.crashed(proc.pid, readyTimeout ? `did not start within ${this.readyTimeoutMs} ms` : how);
    });
  }

  private crashed(pid: number | undefined, reason: string): void {
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.crashWindowMs), now];
    const crashes = this.crashTimes.length;
    this.setState({ state: 'crashed', pid, crashes, reason });
    if (this.stateValue !== 'crashed') return; // a listener stopped us
    if (crashes >= this.maxCrashes) {
      const window = Math.round(this.crashWindowMs / 1000);
      this.setState({
        state: 'failed',
        pid,
        crashes,
        reason: `the engine stopped ${crashes} times within ${window} s (last: ${reason}); not restarting`,
      });
      return;
    }
    this.setState({ state: 'restarting', pid, crashes, reason });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stateValue === 'restarting') this.launch();
    }, this.backoffMs(crashes));
  }
}
