#!/usr/bin/env node
// The `vae-studio` command: runs the compiled CLI (npm install builds it; so does `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/main/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'vae-studio: not built yet; run `npm install` or `npm run build` in the project folder\n',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
