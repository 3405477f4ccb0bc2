// Builds the compute page (ml/browser/page.ts: the Trainer on WebGPU or WebGL in a browser) into
// dist/browser/: compute-page.js, one ES module with TensorFlow.js and its browser backends, and
// compute.html, the page Electron's compute window loads (the CLI's and serve's browser host
// serves the same script from 127.0.0.1). Part of `npm run build`.
//
//   node dist/scripts/build-browser.js
import { build, type Plugin } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../main/package-info.js';

export const COMPUTE_SCRIPT = 'compute-page.js';
export const COMPUTE_HTML = 'compute.html';

/** The page: nothing but the script; no inline code, so a strict CSP holds. */
export function computeHtml(script: string = COMPUTE_SCRIPT): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>VAE Studio compute</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; connect-src 'self' ws://127.0.0.1:*">
<script type="module" src="${script}"></script></head><body></body></html>
`;
}

/**
 * The trainer's modules import Node built-ins for what the page never calls (reading sound files
 * in corpus.ts): in the page they are empty CommonJS modules, so such a call would fail loudly.
 */
const nodeStubs: Plugin = {
  name: 'node-stubs',
  setup(b) {
    // trainer.ts's corpus helpers, without the file reading (ml/browser/corpus-shim.ts).
    b.onResolve({ filter: /\/corpus\.js$/ }, (args) =>
      args.importer.endsWith(join('ml', 'vae', 'trainer.ts'))
        ? { path: join(args.resolveDir, '..', 'browser', 'corpus-shim.ts') }
        : undefined,
    );
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
      contents: 'module.exports = {};',
      loader: 'js',
    }));
  },
};

export async function buildBrowser(
  root: string = packageRoot(),
  outDir = join(root, 'dist', 'browser'),
): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, COMPUTE_SCRIPT);
  await build({
    entryPoints: [join(root, 'ml/browser/page.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: root,
    legalComments: 'linked',
    plugins: [nodeStubs],
    // Module-level reads of environment knobs (trainer.ts) see none in the page: their defaults.
    define: { 'process.env': '{}' },
  });
  await writeFile(join(outDir, COMPUTE_HTML), computeHtml());
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildBrowser().then(
    (file) => console.error(`built ${file}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
