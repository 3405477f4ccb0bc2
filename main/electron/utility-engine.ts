// The engine in an Electron utilityProcess, as the Supervisor's EngineProcess (the Electron twin of
// main/engine/fork-engine.ts). The engine entry is the same compiled process-entry.js; inside a
// utility process it has no IPC channel but process.parentPort, on which this side sends it ports:
// one now for main's own connection (the supervisor's transport, which hears 'ready'), and one per
// window later (connect()). It also opens and closes compute windows when the engine asks
// (ComputeRequest, process-entry-protocol.ts; the engine's side is main/engine/compute-relay.ts):
// each open is answered with the window page's port, or why there is none; every window this side
// opened closes when the engine asks, or when the engine exits.
import { MessageChannelMain, utilityProcess, type MessagePortMain } from 'electron';
import { messagePortTransport } from '../../common/transport.js';
import {
  COMPUTE_FAILED_MESSAGE,
  COMPUTE_OPEN_MESSAGE,
  COMPUTE_OPENED_MESSAGE,
  isComputeRequest,
  type ComputeAnswer,
} from '../engine/process-entry-protocol.js';
import { ENGINE_CONNECT_MESSAGE, type ConnectableEngine } from './engine-host.js';

/** At most this many compute windows at once for one engine (one per training run, and a probe). */
export const MAX_COMPUTE_WINDOWS = 4;

/** A compute window as compute-window.ts opens it. */
export interface OpenedComputeWindow {
  port: MessagePortMain;
  close(): void;
}

export interface UtilityEngineOptions {
  /** The compiled engine entry (dist/main/engine/process-entry.js). */
  entry: string;
  /** process-entry's arguments. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Opens a compute window (compute-window.ts); without it every request is answered with a refusal. */
  openComputeWindow?: () => Promise<OpenedComputeWindow>;
}

type Exit = { code: number | null; signal: string | null };

export function utilityEngine(options: UtilityEngineOptions): ConnectableEngine<MessagePortMain> {
  const child = utilityProcess.fork(options.entry, options.args ?? [], {
    serviceName: 'VAE Studio engine',
    stdio: 'inherit',
    env: options.env ?? process.env,
  });
  // Messages posted before the process has started are queued until it has.
  const connect = () => {
    const { port1, port2 } = new MessageChannelMain();
    child.postMessage(ENGINE_CONNECT_MESSAGE, [port2]);
    return port1;
  };
  const transport = messagePortTransport(connect());

  let exit: Exit | null = null;
  const exitListeners: ((exit: Exit) => void)[] = [];
  // Compute windows by the engine's id: null while opening (a close then ends it once open).
  const windows = new Map<number, OpenedComputeWindow | null>();
  const answer = (message: ComputeAnswer, transfer: MessagePortMain[] = []) => {
    if (!exit) child.postMessage(message, transfer);
  };
  child.on('message', (message: unknown) => {
    if (!isComputeRequest(message)) return;
    const { id } = message;
    if (message.type !== COMPUTE_OPEN_MESSAGE) {
      const window = windows.get(id);
      windows.delete(id);
      window?.close();
      return;
    }
    const refuse = (reason: string) => answer({ type: COMPUTE_FAILED_MESSAGE, id, message: reason });
    const open = options.openComputeWindow;
    if (!open) return refuse('this app opens no compute windows');
    if (windows.has(id)) return refuse(`compute window ${id} is already open`);
    if (windows.size >= MAX_COMPUTE_WINDOWS)
      return refuse(`${MAX_COMPUTE_WINDOWS} compute windows are open already`);
    windows.set(id, null);
    open().then(
      (window) => {
        // Closed (or the engine gone) while it opened.
        if (exit || !windows.has(id)) return window.close();
        windows.set(id, window);
        answer({ type: COMPUTE_OPENED_MESSAGE, id }, [window.port]);
      },
      (error: unknown) => {
        windows.delete(id);
        refuse(error instanceof Error ? error.message : String(error));
      },
    );
  });
  child.once('exit', (code) => {
    exit = { code, signal: null };
    for (const window of windows.values()) window?.close();
    windows.clear();
    for (const listener of exitListeners) listener(exit);
  });
  // A V8 fatal error; 'exit' follows, and the supervisor restarts the engine.
  child.on('error', (type, location) => console.error(`engine: ${type} at ${location}`));

  return {
    get pid() {
      return child.pid;
    },
    transport,
    connect,
    /** A message to the engine process's parentPort (a folder grant from a native dialog). */
    post(message: unknown) {
      if (!exit) child.postMessage(message);
    },
    onExit(listener) {
      if (exit) listener(exit);
      else exitListeners.push(listener);
    },
    kill() {
      if (exit) return;
      // utilityProcess.kill() asks politely (SIGTERM); a hung engine needs SIGKILL.
      const pid = child.pid;
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
          return;
        } catch {
          // already gone, or not ours to signal: fall through
        }
      }
      child.kill();
    },
  };
}
