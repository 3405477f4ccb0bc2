/** Bad input or arguments: the CLI exits with status 2 and this one-line message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A file the system would not let the CLI write or read (a full disk, permissions): it exits with
 * status 1 and one line naming the file and the reason, never a stack trace.
 */
export class FileSystemError extends Error {
  override name = 'FileSystemError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * Reads a Node system error, or its text as a worker thread reports it
 * (`ENOSPC: no space left on device, write '/models/a/checkpoint.bin'`), into the file it names
 * (when it names one) and the reason in words; null for anything else.
 */
export function systemErrorParts(err: unknown): { code: string; reason: string; path?: string } | null {
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code !== 'string' || !('syscall' in e)) return null;
    const parsed = parse(e.message);
    return {
      code: e.code,
      reason: parsed?.reason ?? e.message,
      path: e.path ?? parsed?.path,
    };
  }
  return typeof err === 'string' ? parse(err) : null;
}

function parse(text: string): { code: string; reason: string; path?: string } | null {
  const m = /\b(E[A-Z0-9]+): ([^,\n]+?)(?:, \w+(?: '([^'\n]*)')?[^\n]*)?$/m.exec(text);
  return m ? { code: m[1], reason: m[2], ...(m[3] ? { path: m[3] } : {}) } : null;
}
