// The browser host (docs/design.md, "Backends"): a Chromium-family browser started headless by
// playwright-core on the compute page (dist/browser/compute.html), which this module serves on
// 127.0.0.1 with a random token and which opens a WebSocket back for ml/browser/protocol.ts.
// One session is one browser, one page and one connection; close() ends all three and the server.
// Node only (the training worker thread).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '../../common/codec.js';
import { workerUrl } from '../worker-url.js';
import { findBrowser, type FoundBrowser } from './find-browser.js';
import { Inbox } from './inbox.js';
import type { HostMessage, PageMessage } from './protocol.js';

/** How long the browser may take to start and the page to say hello (9 s here under load). */
export const START_TIMEOUT_MS = 90_000;

export interface BrowserSession {
  /** The browser the page runs in (`from` only where findBrowser found it; Electron's window has none). */
  readonly browser: { path: string; version: string; from?: FoundBrowser['from'] };
  send(message: HostMessage): void;
  /** The next message from the page; rejects when the page, the browser or the connection dies. */
  receive(timeoutMs?: number): Promise<PageMessage>;
  close(): Promise<void>;
}

/** Flags for Chromium: WebGPU on (Linux needs the unsafe flag), no sandbox only where it cannot start (root). */
export function browserArgs(
  platform: NodeJS.Platform = process.platform,
  uid = process.getuid?.() ?? -1,
): string[] {
  const args = ['--enable-unsafe-webgpu', '--ignore-gpu-blocklist'];
  if (platform === 'linux') args.push('--enable-features=Vulkan');
  // Chromium refuses to start its sandbox as root (containers, CI).
  if (platform === 'linux' && uid === 0) args.push('--no-sandbox');
  return args;
}

function asset(name: string): string {
  return fileURLToPath(workerUrl(`../../browser/${name}`, import.meta.url));
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function openBrowserSession(): Promise<BrowserSession> {
  const found = await findBrowser();
  const [html, script] = await Promise.all([
    readFile(asset('compute.html')),
    readFile(asset('compute-page.js')),
  ]).catch((error: unknown) => {
    throw new Error(`the compute page is not built (${(error as Error).message}); run npm run build`);
  });
  const token = randomBytes(18).toString('base64url');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const files: Record<string, [Buffer, string]> = {
      '/compute.html': [html, 'text/html; charset=utf-8'],
      '/compute-page.js': [script, 'text/javascript; charset=utf-8'],
    };
    const file = files[url.pathname];
    if (req.method !== 'GET' || !file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(file[0]);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 30 });
  const inbox = new Inbox<PageMessage>();
  let socket: WebSocket | null = null;
  const fail = (error: Error) => inbox.fail(error);
  const deliver = (m: PageMessage) => inbox.deliver(m);
  server.on('upgrade', (req: IncomingMessage, duplex, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // One page, one connection, with the token.
    if (url.pathname !== '/ws' || !sameToken(url.searchParams.get('token'), token) || socket !== null) {
      duplex.destroy();
      return;
    }
    wss.handleUpgrade(req, duplex, head, (ws) => {
      socket = ws;
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return fail(new Error('the compute page sent a text frame'));
        try {
          const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          deliver(decodeMessage(bytes) as PageMessage);
        } catch (error) {
          fail(new Error(`the compute page sent a bad message: ${(error as Error).message}`));
        }
      });
      ws.on('close', () => fail(new Error('the compute page closed its connection')));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const { chromium } = await import('playwright-core');
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  try {
    browser = await chromium.launch({
      executablePath: found.path,
      headless: true,
      args: browserArgs(),
      timeout: START_TIMEOUT_MS,
    });
    browser.on('disconnected', () => fail(new Error('the browser exited')));
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('crash', () => fail(new Error('the compute page crashed (out of GPU memory?)')));
    page.on('pageerror', (error) => fail(new Error(`the compute page failed: ${error.message}`)));
    const ws = `ws://127.0.0.1:${port}/ws?token=${token}`;
    await page.goto(`http://127.0.0.1:${port}/compute.html?ws=${encodeURIComponent(ws)}`, {
      timeout: START_TIMEOUT_MS,
    });
  } catch (error) {
    await browser?.close().catch(() => {});
    await closeServer();
    throw new Error(
      `cannot start ${found.path} for the compute page: ${(error as Error).message.split('\n')[0]}`,
      {
        cause: error,
      },
    );
  }
  const running = browser;
  const session: BrowserSession = {
    browser: { ...found, version: running.version() },
    send(message) {
      if (inbox.failure) throw inbox.failure;
      if (!socket) throw new Error('the compute page has not connected');
      socket.send(encodeMessage(message));
    },
    receive: (timeoutMs = 0) => inbox.receive(timeoutMs),
    async close() {
      fail(new Error('the browser session is closed'));
      await running.close().catch(() => {});
      await closeServer();
    },
  };
  return greeted(session);
}

/** The session once its page has said hello; a page that says anything else, or nothing in time, closes it. */
export async function greeted(session: BrowserSession): Promise<BrowserSession> {
  try {
    const hello = await session.receive(START_TIMEOUT_MS);
    if (hello.type !== 'hello') throw new Error(`the compute page said '${hello.type}' before hello`);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}
