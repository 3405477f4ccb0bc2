/**
 * Finding an Electron binary for the end-to-end specs: ELECTRON_OVERRIDE_DIST_PATH (a folder holding
 * an unpacked Electron, as the electron package itself understands it) or the electron package's own
 * node_modules/electron/dist. Electron 42 and later download that binary on first use, which a
 * machine without the network cannot: there the Electron runs are skipped, with this reason.
 * `require('electron')` is not used to find it, since that starts the download.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../main/package-info.js';

const root = packageRoot();

/** The Electron executable's path inside a dist folder, per platform (as the electron package has it). */
function executableName(): string {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (existsSync(pathFile)) return readFileSync(pathFile, 'utf8').trim();
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  return process.platform === 'win32' ? 'electron.exe' : 'electron';
}

export function findElectron(): { executablePath: string } | { reason: string } {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, executableName());
    return existsSync(path)
      ? { executablePath: path }
      : { reason: `ELECTRON_OVERRIDE_DIST_PATH is set, but there is no Electron at ${path}` };
  }
  const path = join(root, 'node_modules', 'electron', 'dist', executableName());
  if (existsSync(path)) return { executablePath: path };
  return {
    reason:
      `no Electron binary on this machine (${path} is missing: Electron 42+ downloads it on first use, ` +
      'which needs the network). Install one, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron, to run this spec.',
  };
}

/** The built main process and what it needs, each with the command that makes it. */
export function builtApp(): { main: string; missing: string[] } {
  const main = join(root, 'out', 'electron', 'main.cjs');
  const needed: [string, string][] = [
    [main, 'npm run build:electron'],
    [join(root, 'dist', 'main', 'engine', 'process-entry.js'), 'npm run build'],
    [join(root, 'dist', 'renderer', 'index.html'), "the renderer's build"],
  ];
  return {
    main,
    missing: needed.filter(([file]) => !existsSync(file)).map(([file, how]) => `${file} (run ${how})`),
  };
}

/** Chromium's fake microphone, playing the demo's vowels (the recording specs). */
export const FAKE_MICROPHONE_ARGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-audio-capture=${join(root, 'assets', 'demo', 'sources', 'vowels.wav')}`,
];
