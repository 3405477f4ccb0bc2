// The Node host for the supervisor: the engine as a child_process.fork of process-entry.js,
// talking over the IPC channel with structured clone ('advanced' serialization), so typed arrays
// cross as they are. Electron's host does the same with a utilityProcess.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineProcess } from './supervisor.js';
import { ipcTransport } from '../../common/transport.js';

export interface ForkEngineOptions {
  /** The compiled entry; default process-entry.js beside this file (so, from dist/). */
  entry?: string;
  /** process-entry's arguments: --data-dir DIR, --project DIR, --backend NAME. */
  args?: string[];
  /** Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
}

export function engineEntry(): string {
  return fileURLToPath(new URL('./process-entry.js', import.meta.url));
}

/** Starts one engine process; hand `() => forkEngine(...)` to a Supervisor as its spawn. */
export function forkEngine(options: ForkEngineOptions = {}): EngineProcess {
  const child = fork(options.entry ?? engineEntry(), options.args ?? [], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: options.env,
  });
  const transport = ipcTransport(child, () => {
    if (child.connected) child.disconnect();
  });
  let exit: { code: number | null; signal: string | null } | null = null;
  const exitListeners: ((e: { code: number | null; signal: string | null }) => void)[] = [];
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    for (const listener of exitListeners) listener(exit);
  });
  // A failed spawn emits 'error' and then, usually, 'exit'; without a listener it would throw.
  child.on('error', () => {});
  return {
    pid: child.pid,
    transport,
    onExit(listener) {
      if (exit) listener(exit);
      else exitListeners.push(listener);
    },
    kill() {
      if (exit === null) child.kill('SIGKILL');
    },
  };
}
