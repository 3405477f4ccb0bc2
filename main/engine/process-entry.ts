// The engine process: serves StudioApi over the IPC channel of the process that forked it
// (fork-engine.ts), says 'ready', and exits when that channel goes — so an engine never outlives
// its app.
//
//   node dist/main/engine/process-entry.js [--data-dir DIR] [--project DIR] [--backend NAME]
import { parseArgs } from 'node:util';
import { isBackendName } from '../../ml/backend.js';
import { packageInfo } from '../package-info.js';
import { serveApi } from './serve-api.js';
import { createEngine } from './service.js';
import { ipcTransport } from '../../common/transport.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    project: { type: 'string' },
    backend: { type: 'string' },
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
  backend,
});
const transport = ipcTransport(process);
serveApi(engine, transport, {
  onInternalError: (err, method) =>
    console.error(`engine: ${method} failed:`, err instanceof Error ? (err.stack ?? err.message) : err),
});
transport.onClose(() => {
  engine.dispose();
  process.exit(0);
});
transport.send({ type: 'event', event: { type: 'ready', version: packageInfo.version } });
