// The engine in an Electron utilityProcess, as the Supervisor's EngineProcess (the Electron twin of
// main/engine/fork-engine.ts). The engine entry is the same compiled process-entry.js; inside a
// utility process it has no IPC channel but process.parentPort, on which this side sends it ports:
// one now for main's own connection (the supervisor's transport, which hears 'ready'), and one per
// window later (connect()).
import { MessageChannelMain, utilityProcess, type MessagePortMain } from 'electron';
import { messagePortTransport } from '../../common/transport.js';
import { ENGINE_CONNECT_MESSAGE, type ConnectableEngine } from './engine-host.js';

export interface UtilityEngineOptions {
  /** The compiled engine entry (dist/main/engine/process-entry.js). */
  entry: string;
  /** process-entry's arguments. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
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
  child.once('exit', (code) => {
    exit = { code, signal: null };
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
