// Which GPU adapters the browser host offers (for the automatic backend choice, `info` and the
// API's `backends`). Starting a browser takes seconds (9 s on this project's loaded 2-core machine),
// so the answer is kept for the process and in a small file in the temporary folder for a day,
// keyed by the browser's path, size and modification time; on Linux a machine with no GPU device
// node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) is answered without starting one.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBrowser } from './find-browser.js';
import { openBrowserSession } from './host.js';
import type { AdapterInfo } from './protocol.js';

export interface GpuProbe {
  /** The browser that was asked, or null where none was found. */
  browser: string | null;
  webgpu: AdapterInfo | null;
  webgl: AdapterInfo | null;
  /** Why each has no adapter (or why none was asked). */
  webgpuReason?: string;
  webglReason?: string;
  /** When the browser was asked (ms since 1970), or 0 where it was not. */
  probedAt: number;
}

const CACHE_MS = 24 * 3600 * 1000;
const CACHE_FORMAT = 1;

/** Linux: a GPU device node a browser could use; elsewhere null (cannot tell without asking). */
export function gpuDeviceNodes(platform: NodeJS.Platform = process.platform): string[] | null {
  if (platform !== 'linux') return null;
  const nodes: string[] = [];
  try {
    nodes.push(
      ...readdirSync('/dev/dri')
        .filter((n) => n.startsWith('renderD'))
        .map((n) => `/dev/dri/${n}`),
    );
  } catch {
    // no /dev/dri
  }
  for (const n of ['/dev/nvidia0', '/dev/dxg']) if (existsSync(n)) nodes.push(n);
  return nodes;
}

let pending: Promise<GpuProbe> | null = null;

function cacheFile(): string {
  return join(tmpdir(), `vae-studio-gpu-probe-${process.getuid?.() ?? 'user'}.json`);
}

async function ask(): Promise<GpuProbe> {
  let browser: string;
  try {
    browser = (await findBrowser()).path;
  } catch (error) {
    const reason = (error as Error).message;
    return {
      browser: null,
      webgpu: null,
      webgl: null,
      webgpuReason: reason,
      webglReason: reason,
      probedAt: 0,
    };
  }
  const nodes = gpuDeviceNodes();
  if (nodes !== null && nodes.length === 0) {
    const reason = 'no GPU device on this machine (no /dev/dri/renderD*, /dev/nvidia0 or /dev/dxg)';
    return { browser, webgpu: null, webgl: null, webgpuReason: reason, webglReason: reason, probedAt: 0 };
  }
  const stat = statSync(browser);
  const key = `${CACHE_FORMAT}:${browser}:${stat.size}:${stat.mtimeMs}`;
  try {
    const cached = JSON.parse(await readFile(cacheFile(), 'utf8')) as { key: string; probe: GpuProbe };
    if (cached.key === key && Date.now() - cached.probe.probedAt < CACHE_MS) return cached.probe;
  } catch {
    // none yet, or unreadable: ask again
  }
  let probe: GpuProbe;
  try {
    const session = await openBrowserSession();
    try {
      session.send({ type: 'probe' });
      const m = await session.receive(60_000);
      if (m.type !== 'probed') throw new Error(`the compute page said '${m.type}' to a probe`);
      probe = {
        browser,
        webgpu: m.webgpu,
        webgl: m.webgl,
        webgpuReason: m.webgpuReason,
        webglReason: m.webglReason,
        probedAt: Date.now(),
      };
    } finally {
      await session.close();
    }
  } catch (error) {
    const reason = `the browser could not be asked: ${(error as Error).message}`;
    return { browser, webgpu: null, webgl: null, webgpuReason: reason, webglReason: reason, probedAt: 0 };
  }
  const temporary = `${cacheFile()}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify({ key, probe }))
    .then(() => rename(temporary, cacheFile()))
    .catch(() => {});
  return probe;
}

/** The browser's adapters (once per process; see the module comment). */
export function probeBrowserGpu(): Promise<GpuProbe> {
  pending ??= ask();
  return pending;
}

/** Forget the answer held in this process (tests). */
export function resetGpuProbe(): void {
  pending = null;
}
