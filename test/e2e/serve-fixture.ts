/**
 * The studio the flow specs drive, written once and run two ways (playwright.config.ts):
 * - project 'chromium': a real `vae-studio serve` process per worker, on a free port, with its own
 *   data folder, and Debian's Chromium as the browser;
 * - project 'electron': the built desktop app launched with `_electron.launch`, its own data folder,
 *   its window as `page` — wherever an Electron binary exists; elsewhere every spec reports itself
 *   skipped, with the reason.
 * Specs open the studio with `page.goto(served.url)` either way.
 */
import { _electron as electron, type ElectronApplication, type Page, test as base } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_MICROPHONE_ARGS, builtApp, findElectron } from './electron-app.js';

export interface Served {
  /** Where the studio is: serve's URL with the token, or the desktop app's own page. */
  url: string;
  dataDir: string;
  /** The browser mode's server process. */
  process: ChildProcess | null;
  /** The desktop app and its window. */
  app: ElectronApplication | null;
  window: Page | null;
  /** Why this run cannot happen here (no Electron binary, an unbuilt app). */
  skip: string | null;
}

/** A `vae-studio serve` of its own (the connection specs kill it), on a free port, with its data in `dataDir`. */
export async function startServe(dataDir: string): Promise<Served> {
  const child = spawn(process.execPath, ['bin/vae-studio.js', 'serve', '--port', '0'], {
    env: { ...process.env, VAE_STUDIO_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 30 s: ${log}`)), 30_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${log}`)));
  });
  return { url, dataDir, process: child, app: null, window: null, skip: null };
}

async function startDesktop(dataDir: string): Promise<Served> {
  const found = findElectron();
  const none = { url: '', dataDir, process: null, app: null, window: null };
  if ('reason' in found) return { ...none, skip: found.reason };
  const { main, missing } = builtApp();
  if (missing.length) return { ...none, skip: `the app is not built: ${missing.join(', ')}` };
  const app = await electron.launch({
    executablePath: found.executablePath,
    // Chromium will not start as root with its sandbox; CI runs as root.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ...FAKE_MICROPHONE_ARGS, main],
    env: { ...process.env, VAE_STUDIO_DATA: dataDir },
    timeout: 60_000,
  });
  const window = await app.firstWindow();
  await window.setViewportSize({ width: 1280, height: 800 }).catch(() => undefined);
  return { url: window.url(), dataDir, process: null, app, window, skip: null };
}

export const test = base.extend<{ page: Page }, { served: Served }>({
  served: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use, workerInfo) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'vae-studio-e2e-'));
      const served =
        workerInfo.project.name === 'electron' ? await startDesktop(dataDir) : await startServe(dataDir);
      try {
        await use(served);
      } finally {
        if (served.process) {
          served.process.kill('SIGTERM');
          await new Promise((r) => served.process!.once('exit', r));
        }
        await served.app?.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    { scope: 'worker' },
  ],
  // Under Electron the page is the app's window; in a browser, a fresh page for each test.
  page: async ({ served, context }, use, testInfo) => {
    testInfo.skip(served.skip !== null, served.skip ?? '');
    if (served.window) await use(served.window);
    else {
      const page = await context.newPage();
      await use(page);
      await page.close();
    }
  },
});

/** For specs of the browser mode only (the token, the zip download, a typed project path). */
export function browserOnly(reason: string): void {
  test.skip(({ served }) => served.app !== null, `the desktop app has no ${reason}`);
}

export { expect } from '@playwright/test';
