// Serves the built renderer's files: GET and HEAD only, never a file outside the folder (no
// '..', no encoded separators, no symbolic link leading out), with the right content types.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Shown at / when there is no built renderer, so `serve` still says it is up. */
const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VAE Studio</title></head>
<body><h1>VAE Studio</h1>
<p>The engine is running, but the user interface has not been built, so there is nothing to show here yet.</p>
</body></html>
`;

/**
 * The file a URL path names inside `root`, or null for anything that is not one: a path that
 * would leave the folder, that names a folder, or that does not exist.
 */
export async function resolveStaticPath(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  // Separators and dot segments are judged after decoding, so %2e%2e and %2f are caught too.
  const segments = decoded.split('/').filter((s) => s !== '');
  if (
    segments.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0') || s.includes(':'))
  ) {
    return null;
  }
  if (segments.length === 0 || decoded.endsWith('/')) segments.push('index.html');
  let realRoot: string;
  let file: string;
  try {
    realRoot = await realpath(root);
    file = await realpath(join(realRoot, ...segments));
  } catch {
    return null;
  }
  if (!file.startsWith(realRoot + sep)) return null; // a link that leads out
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? file : null;
}

/** Answers one request from `root` (or the placeholder page where there is no root). */
export async function serveStatic(
  root: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return;
  }
  const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = root ? await resolveStaticPath(root, urlPath) : null;
  if (!file) {
    if (urlPath === '/' || urlPath === '/index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
      return;
    }
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  const info = await stat(file);
  res.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(info.size),
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
