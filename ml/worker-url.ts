// Where a worker thread's script is. Built code starts its workers from the sibling .js file; when
// the code runs from its TypeScript sources (vitest), Node cannot start a .ts worker, so the
// worker comes from the build in dist/ (`npm test` builds first; after changing a worker, rebuild
// before running its tests on their own).
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function workerUrl(file: string, from: string): URL {
  const url = new URL(file, from);
  const path = fileURLToPath(url);
  if (existsSync(path)) return url;
  let root = dirname(path);
  while (!existsSync(join(root, 'package.json'))) {
    const up = dirname(root);
    if (up === root) return url;
    root = up;
  }
  const built = join(root, 'dist', relative(root, path));
  return existsSync(built) ? pathToFileURL(built) : url;
}
