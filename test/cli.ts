/** Runs the built `vae-studio` CLI as a real process, as a user or a script would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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
