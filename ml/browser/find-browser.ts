// Finds a Chromium-family browser on this machine for the browser training host
// (docs/design.md, "Backends"): CHROME_PATH first, then the usual install locations, then the
// browser Playwright downloaded (if any). Node only.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Environment variable naming the browser executable to use. */
export const CHROME_PATH_ENV = 'CHROME_PATH';

export interface FoundBrowser {
  path: string;
  /** Where it was found: the environment variable, a usual location, or Playwright's download. */
  from: 'CHROME_PATH' | 'system' | 'playwright';
}

/** The usual install locations of Chrome, Chromium and Edge on this platform, in order. */
export function usualBrowserPaths(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') {
    const apps = [
      'Google Chrome.app/Contents/MacOS/Google Chrome',
      'Chromium.app/Contents/MacOS/Chromium',
      'Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
      'Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary',
    ];
    return [
      ...apps.map((a) => join('/Applications', a)),
      ...apps.map((a) => join(homedir(), 'Applications', a)),
    ];
  }
  if (platform === 'win32') {
    const roots = [
      process.env.PROGRAMFILES,
      process.env['PROGRAMFILES(X86)'],
      process.env.LOCALAPPDATA,
    ].filter((r): r is string => typeof r === 'string' && r !== '');
    const rel = [
      'Google\\Chrome\\Application\\chrome.exe',
      'Chromium\\Application\\chrome.exe',
      'Microsoft\\Edge\\Application\\msedge.exe',
    ];
    return roots.flatMap((root) => rel.map((r) => `${root}\\${r}`));
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    '/snap/bin/chromium',
    '/usr/bin/microsoft-edge',
    '/opt/microsoft/msedge/msedge',
  ];
}

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class NoBrowserError extends Error {
  override name = 'NoBrowserError';
}

/**
 * The browser to start, or a NoBrowserError saying where it looked. A CHROME_PATH that names no
 * executable is an error of its own (the user asked for that one).
 */
export async function findBrowser(env: NodeJS.ProcessEnv = process.env): Promise<FoundBrowser> {
  const named = env[CHROME_PATH_ENV]?.trim();
  if (named) {
    if (executable(named)) return { path: named, from: 'CHROME_PATH' };
    throw new NoBrowserError(`${CHROME_PATH_ENV}=${named} is not an executable file`);
  }
  const usual = usualBrowserPaths();
  const found = usual.find(executable);
  if (found) return { path: found, from: 'system' };
  try {
    const { chromium } = await import('playwright-core');
    const downloaded = chromium.executablePath();
    if (downloaded && executable(downloaded)) return { path: downloaded, from: 'playwright' };
  } catch {
    // playwright-core knows no browser of its own here.
  }
  throw new NoBrowserError(
    `no Chromium-family browser found (set ${CHROME_PATH_ENV}, or install Chrome or Chromium; looked in ${usual.join(', ')})`,
  );
}
