// `vae-studio serve`: the built renderer over HTTP and StudioApi over a WebSocket at /api, for a
// browser on this machine or at the end of an SSH tunnel (DESIGN.md, "The API between renderer
// and engine").
//
// Who may use the API:
//   - the token: random per run, in the URL the user is given (?token=...), compared in constant
//     time; missing or wrong -> 401;
//   - the Origin: a browser page may connect only from this server's own origin, i.e. an Origin
//     whose host is the request's Host and whose hostname is a loopback name, the host the
//     server was bound to, or one named in allowedHosts -> otherwise 403. A client that sends no
//     Origin is not a browser page and needs only the token.
// The token is never logged; pages get Referrer-Policy: no-referrer so it does not leak onward.
//
// What a connection may send: binary frames of common/codec.ts's format, each at most
// MAX_MESSAGE_BYTES (more closes the connection with 1009 as the frame header announces it);
// a message's JSON header at most MAX_HEADER_BYTES, refused by its length field before it is
// decoded (an error reply with id null; the connection stays), so only typed arrays, i.e.
// imports, are large. A text frame closes that connection with 1003 "unsupported data" and a
// reason, unread: never made a string, validated or parsed (webSocketTransport). `ws` cannot
// refuse a frame by its opcode before it has the whole payload, so a text frame up to
// MAX_MESSAGE_BYTES is still buffered (about twice its size at the peak) and then dropped;
// other connections and the engine are untouched.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveApi, type ServedApi } from '../engine/serve-api.js';
import type { OscOptions } from '../engine/osc.js';
import { createEngine, type Engine, type EngineOptions } from '../engine/service.js';
import { MAX_HEADER_BYTES, MAX_MESSAGE_BYTES } from '../../common/protocol.js';
import { webSocketTransport } from '../../common/transport.js';
import { serveStatic } from './static-files.js';

export interface ServerOptions {
  /** Default 127.0.0.1. Anything else exposes the engine to the network (the token still guards it). */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The project openProject() opens; default the demo project. */
  project?: string;
  /** The built renderer; without it / shows a placeholder page. */
  staticDir?: string;
  /** The engine to serve; default one made here with createEngine (and disposed on close). */
  engine?: ServedApi & { dispose?(): void | Promise<void> };
  /** Passed to createEngine when the server makes the engine. */
  engineOptions?: Omit<EngineOptions, 'defaultProject'>;
  /** More hostnames a browser may reach the server by (a LAN name, say). */
  allowedHosts?: string[];
  /**
   * Starts the engine's OSC server (main/engine/osc.ts) too: UDP, on 127.0.0.1 unless `host` says
   * otherwise. The engine must be one createEngine made (it closes the OSC server when disposed).
   */
  osc?: OscOptions;
  /** For tests: a fixed token instead of a random one. */
  token?: string;
  /** Engine failures that are bugs, never secrets. Default: to stderr. */
  log?(message: string): void;
}

export interface RunningServer {
  /** The address to open, with the token: http://127.0.0.1:PORT/?token=... */
  url: string;
  /** The same without the token, safe to print in logs. */
  origin: string;
  port: number;
  /** The OSC server's address, when one was asked for. */
  osc: { host: string; port: number } | null;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Every response's headers. COOP and COEP make the page cross-origin isolated, which it can be
 * because it loads nothing from elsewhere: SharedArrayBuffer is then there for live audition's
 * ring between the page and its AudioWorklet (renderer/src/lib/live-output.ts).
 */
const PAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? ((message: string) => console.error(message));
  const ownEngine = options.engine
    ? null
    : createEngine({ ...options.engineOptions, defaultProject: options.project });
  const engine = options.engine ?? ownEngine!;
  const allowedHosts = new Set([...LOOPBACK, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  if (host !== '0.0.0.0' && host !== '::') {
    allowedHosts.add(host.includes(':') ? `[${host.toLowerCase()}]` : host.toLowerCase());
  }

  const server = createServer((req, res) => {
    serveStatic(options.staticDir, req, res, PAGE_HEADERS).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Text frames are refused unread, so checking them for UTF-8 would be wasted work (close
  // reasons go unchecked too; nothing here relies on them).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    skipUTF8Validation: true,
  });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api') return refuse(socket, 404, 'Not Found');
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(socket, 401, 'Unauthorized');
    if (!originAllowed(req, allowedHosts)) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      const transport = webSocketTransport(ws, { maxHeaderBytes: MAX_HEADER_BYTES });
      serveApi(engine, transport, {
        onInternalError: (err, method) =>
          log(`engine: ${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
      });
      ws.on('close', () => sockets.delete(ws));
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let osc: RunningServer['osc'] = null;
  if (options.osc) {
    const withOsc = engine as Partial<Pick<Engine, 'startOsc'>>;
    try {
      if (!withOsc.startOsc) throw new Error('this engine has no OSC server');
      osc = await withOsc.startOsc(options.osc);
    } catch (err) {
      // The port is taken, say: nothing is left listening.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ownEngine?.dispose();
      throw err;
    }
  }
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const origin = `http://${urlHost}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    port,
    osc,
    close() {
      closing ??= (async () => {
        for (const ws of sockets) ws.terminate();
        sockets.clear();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await ownEngine?.dispose();
      })();
      return closing;
    },
  };
}

function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** See the top of the file: no Origin, or this server's own origin as the browser reached it. */
export function originAllowed(req: IncomingMessage, allowedHosts: Set<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const hostHeader = req.headers.host;
  if (!hostHeader) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (parsed.host.toLowerCase() !== hostHeader.toLowerCase()) return false;
  return allowedHosts.has(parsed.hostname.toLowerCase());
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
