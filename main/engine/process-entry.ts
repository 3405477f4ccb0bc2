// The engine process: serves StudioApi to the process that started it, says 'ready', and exits
// when that connection goes — so an engine never outlives its app. Two hosts:
// - child_process.fork (fork-engine.ts): over the IPC channel;
// - Electron's utilityProcess (main/electron/utility-engine.ts): over MessagePorts that arrive on
//   process.parentPort with ENGINE_CONNECT_MESSAGE, the first main's own, then one per window.
//   Main also sends, on the same parentPort, a grant (ENGINE_GRANT_MESSAGE) for each folder the
//   user chose in its native dialogs; only main can write there, so a window cannot forge one.
//   Main also answers the engine's requests for compute windows there (compute-relay.ts: webgpu
//   and webgl train in the app's hidden window; the engine relays each window's port to its
//   training worker).
//   (Untested end to end: Electron cannot run in this repository's tests.)
//
//   node dist/main/engine/process-entry.js [--data-dir DIR] [--project DIR] [--backend NAME]
//                                          [--demo-assets DIR] [--osc PORT [--osc-host HOST]]
import { parseArgs } from 'node:util';
import { isBackendName } from '../../ml/backend.js';
import { packageInfo } from '../package-info.js';
import { serveApi } from './serve-api.js';
import { createEngine } from './service.js';
import {
  ipcTransport,
  messagePortTransport,
  type MessagePortLike,
  type Transport,
} from '../../common/transport.js';
import { ENGINE_CONNECT_MESSAGE, isGrantMessage, type EngineGrantMessage } from './process-entry-protocol.js';
import { ComputeRelay } from './compute-relay.js';

interface ParentPort {
  on(type: 'message', listener: (event: { data: unknown; ports: MessagePortLike[] }) => void): unknown;
  postMessage(message: unknown): void;
}
const parentPort = (process as { parentPort?: ParentPort }).parentPort;
// Under Electron only: compute windows for webgpu/webgl, asked of main on the parentPort.
const computeWindows = parentPort
  ? new ComputeRelay((message) => parentPort.postMessage(message))
  : undefined;

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    project: { type: 'string' },
    backend: { type: 'string' },
    'demo-assets': { type: 'string' },
    osc: { type: 'string' },
    'osc-host': { type: 'string' },
  },
});
const backend = values.backend;
if (backend !== undefined && !isBackendName(backend)) {
  console.error(`process-entry: unknown backend ${backend}`);
  process.exit(2);
}

const engine = createEngine({
  dataDir: values['data-dir'],
  defaultProject: values.project,
  demoAssets: values['demo-assets'],
  backend,
  computeWindows,
});
// The desktop app's OSC setting (main/electron/osc-setting.ts): the engine listens for OSC control.
// A port that cannot be had is said on stderr; the engine serves on without it.
if (values.osc !== undefined) {
  const port = Number(values.osc);
  engine.startOsc({ port: Number.isInteger(port) ? port : -1, host: values['osc-host'] }).then(
    ({ host, port: bound }) => console.error(`engine: OSC on udp://${host}:${bound}`),
    (err: unknown) => console.error('engine: no OSC server:', err instanceof Error ? err.message : err),
  );
}
const options = {
  onInternalError: (err: unknown, method: string) =>
    console.error(`engine: ${method} failed:`, err instanceof Error ? (err.stack ?? err.message) : err),
};

/** Serves one connection; the host's own connection closing ends the process. */
function serve(transport: Transport, ownersConnection: boolean): void {
  serveApi(engine, transport, options);
  if (ownersConnection) {
    transport.onClose(() => {
      computeWindows?.dispose();
      engine.dispose();
      process.exit(0);
    });
  }
  transport.send({ type: 'event', event: { type: 'ready', version: packageInfo.version } });
}

/** Hands the engine a folder main's dialog produced (Engine.grantPath, main/engine/grants.ts). */
function grant(message: EngineGrantMessage): void {
  try {
    engine.grantPath(message.path, message.purpose);
  } catch (err) {
    console.error(`engine: grant for ${message.path} refused:`, err instanceof Error ? err.message : err);
  }
}

if (parentPort) {
  let first = true;
  parentPort.on('message', ({ data, ports }) => {
    if (computeWindows?.handle(data, ports)) return;
    if (isGrantMessage(data)) {
      if (ports.length === 0) grant(data);
      return;
    }
    if (data !== ENGINE_CONNECT_MESSAGE || ports.length !== 1) return;
    serve(messagePortTransport(ports[0]), first);
    first = false;
  });
} else {
  serve(ipcTransport(process), true);
}
