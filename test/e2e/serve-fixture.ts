/** Starts a real `vae-studio serve` process per test file, on a free port, with its own data folder. */
import { test as base } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Served {
  /** The URL with the token, as the CLI prints it. */
  url: string;
  process: ChildProcess;
  dataDir: string;
}

export const test = base.extend<object, { served: Served }>({
  served: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'vae-serve-'));
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
      await use({ url, process: child, dataDir });
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
