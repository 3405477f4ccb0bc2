/** Runs the built `vae-studio` CLI as a real process, as a user or a script would. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../main/package-info.js';

export const BIN = join(packageRoot(), 'bin', 'vae-studio.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed, for --json runs. */
  json: Record<string, unknown> | null;
}

export function runCli(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, ...options.env },
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: parseJson(last) };
}

function parseJson(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A folder where writing fails for want of space, for the CLI's full-disk paths. */
export interface FullDisk {
  path: string;
  /** 'tmpfs': a real 1 MiB tmpfs is mounted there; 'injected': writes under it fail by a preload. */
  how: 'tmpfs' | 'injected';
  /** The environment a CLI run needs (the preload, when injected). */
  env: NodeJS.ProcessEnv;
  /** Unmounts (or forgets) it. */
  close(): void;
}

/**
 * A full disk at `path` (made if missing): a 1 MiB tmpfs where mounting works (root on Linux, unless
 * VAE_TEST_NO_MOUNT is set), else an ordinary folder under which every file the CLI writes fails with
 * ENOSPC, injected by a module preloaded through NODE_OPTIONS (it runs in worker threads too).
 */
export function fullDisk(path: string): FullDisk {
  mkdirSync(path, { recursive: true });
  if (!process.env.VAE_TEST_NO_MOUNT && process.platform === 'linux') {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path], { encoding: 'utf8' });
    if (mounted.status === 0) {
      return {
        path,
        how: 'tmpfs',
        env: {},
        close: () => void spawnSync('umount', ['-l', path]),
      };
    }
  }
  const preload = join(dirname(path), `.enospc-${process.pid}.mjs`);
  writeFileSync(preload, ENOSPC_PRELOAD);
  return {
    path,
    how: 'injected',
    env: {
      VAE_TEST_ENOSPC_UNDER: `${path}/`,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(preload).href}`.trim(),
    },
    close: () => rmSync(preload, { force: true }),
  };
}

/** Files opened under VAE_TEST_ENOSPC_UNDER take no bytes: their writes fail as on a full disk. */
const ENOSPC_PRELOAD = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const under = process.env.VAE_TEST_ENOSPC_UNDER;
const open = fs.promises.open;
const full = () =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
fs.promises.open = async function (path, ...rest) {
  const handle = await open.call(this, path, ...rest);
  if (String(path).startsWith(under)) {
    handle.write = async () => { throw full(); };
    handle.writeFile = async () => { throw full(); };
  }
  return handle;
};
fs.writeFileSync = ((writeFileSync) => (path, ...rest) => {
  if (String(path).startsWith(under)) throw full();
  return writeFileSync(path, ...rest);
})(fs.writeFileSync);
syncBuiltinESMExports();
`;
