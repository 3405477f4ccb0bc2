// Where the shell finds its parts, in development (the repository) and packaged (app.asar plus the
// resources folder beside it; electron-builder.yml puts them there).
import { join } from 'node:path';

export interface AppLayout {
  /** The built renderer (renderer/vite.config.ts builds it there), served as app://studio/. */
  rendererDir: string;
  /** The bundled preload (scripts/build-electron.ts). */
  preload: string;
  /** The engine's entry, compiled by tsc. */
  engineEntry: string;
  /** Arguments for the engine entry. */
  engineArgs: string[];
  /** The window icon (Linux and Windows; macOS takes the bundle's). */
  icon: string;
}

/**
 * @param appRoot the folder holding package.json: the repository, or app.asar when packaged.
 * @param resourcesPath process.resourcesPath when packaged, else null.
 */
export function appLayout(appRoot: string, resourcesPath: string | null): AppLayout {
  return {
    rendererDir: join(appRoot, 'dist', 'renderer'),
    preload: join(appRoot, 'out', 'electron', 'preload.cjs'),
    engineEntry: join(appRoot, 'dist', 'main', 'engine', 'process-entry.js'),
    // Packaged, the demo ships outside the asar (extraResources) so the engine copies it with plain
    // file-system calls; in development the engine's default (the repository's assets/demo) holds.
    engineArgs: resourcesPath ? ['--demo-assets', join(resourcesPath, 'assets', 'demo')] : [],
    icon: join(appRoot, 'assets', 'icon.png'),
  };
}
