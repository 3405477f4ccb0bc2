// Builds the Electron shell: main/electron/main.ts and preload.ts, each bundled by esbuild into
// one CommonJS file in out/electron/. The main process bundles our own modules and leaves npm
// packages (zod, ...) to be required from node_modules; the preload bundles everything, since a
// sandboxed preload can require only 'electron' and a few Node polyfills. The engine is not
// bundled: the utility process runs tsc's dist/main/engine/process-entry.js as it is (so run
// `npm run build` first), and the renderer is Vite's dist/renderer.
//
//   node dist/scripts/build-electron.js
import { build } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../main/package-info.js';

export interface ElectronBuild {
  /** out/electron */
  outDir: string;
  main: string;
  preload: string;
}

/** Builds into `outDir` (default out/electron; tests build into a folder of their own). */
export async function buildElectron(
  root: string = packageRoot(),
  outDir: string = join(root, 'out', 'electron'),
): Promise<ElectronBuild> {
  const main = join(outDir, 'main.cjs');
  const preload = join(outDir, 'preload.cjs');
  const common = {
    bundle: true,
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: root,
  } as const;
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, 'main/electron/main.ts')],
      outfile: main,
      platform: 'node',
      // Electron 45 runs Node 22.
      target: 'node22',
      packages: 'external',
    }),
    // The compute window's preload (forwards one MessagePort, exposes nothing), built like the window's.
    build({
      ...common,
      entryPoints: [join(root, 'main/electron/compute-preload.ts')],
      outfile: join(outDir, 'compute-preload.cjs'),
      platform: 'browser',
      target: 'es2022',
      external: ['electron'],
    }),
    build({
      ...common,
      entryPoints: [join(root, 'main/electron/preload.ts')],
      outfile: preload,
      // No Node built-ins may slip into the preload: the browser platform refuses to resolve them.
      platform: 'browser',
      target: 'es2022',
      external: ['electron'],
    }),
  ]);
  return { outDir, main, preload };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildElectron().then(
    ({ main, preload }) => console.error(`built ${main} and ${preload}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
