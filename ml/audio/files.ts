import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old contents or all of the new, never a part:
 * the bytes go to a temporary file in the same folder (a rename cannot cross file systems), are
 * flushed to disk, and only then take the target's name. Without `overwrite` an existing file is
 * never replaced, even by a writer racing this one. A system error (a full disk, permissions) is
 * rethrown naming `path`, the file asked for, rather than the temporary one.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  opts: { overwrite: boolean },
): Promise<void> {
  const folder = dirname(path);
  // Dot-prefixed so file browsers hide it; the name is cut short so the suffix cannot push it
  // past the file system's limit.
  const temp = join(folder, `.${basename(path).slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (opts.overwrite) {
        await rename(temp, path);
      } else {
        await placeWithoutReplacing(temp, path);
      }
    } finally {
      // After a rename there is nothing left to remove. A failed clean-up must not hide the error
      // that brought us here.
      await rm(temp, { force: true }).catch(() => undefined);
    }
  } catch (err) {
    throw naming(err, path);
  }
  await syncFolder(folder);
}

/**
 * Moves a file to `to` (a rename where both are on one file system, else a copy, written as by
 * writeFileAtomic, and a delete). Without `overwrite` an existing `to` is never replaced.
 */
export async function moveFile(from: string, to: string, opts: { overwrite: boolean }): Promise<void> {
  try {
    if (opts.overwrite) {
      await rename(from, to);
    } else {
      await placeWithoutReplacing(from, to, { copy: false });
      await unlink(from);
    }
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code !== 'EXDEV' && !NO_HARD_LINKS.has(code)) throw naming(err, to);
  }
  await writeFileAtomic(to, await readFile(from), opts);
  await unlink(from);
}

/** A system error (a code and a syscall) is one that names a file; this one names `path`. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'syscall' in err;
}

/**
 * The same system error naming `path`, in the form Node gives one (`CODE: reason, syscall 'path'`),
 * so that it still names the file when only its text travels (from a worker thread). Other errors
 * pass unchanged.
 */
export function naming(err: unknown, path: string): unknown {
  if (!isSystemError(err) || err.path === path) return err;
  const reason = err.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+( '.*')?$/s, '');
  return Object.assign(new Error(`${err.code}: ${reason}, ${err.syscall} '${path}'`, { cause: err }), {
    code: err.code,
    errno: err.errno,
    syscall: err.syscall,
    path,
  });
}

/** Errors from link() that mean the file system has no hard links (FAT, exFAT, some shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

async function placeWithoutReplacing(temp: string, path: string, opts = { copy: true }): Promise<void> {
  // link() fails if the target exists, atomically, where a check-then-rename would race.
  try {
    await link(temp, path);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw refusal(path, err);
    if (!NO_HARD_LINKS.has(code) || !opts.copy) throw err;
  }
  // An exclusive copy still never replaces a file; only its contents are not atomic here.
  try {
    await copyFile(temp, path, constants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refusal(path, err);
    throw err;
  }
}

function refusal(path: string, cause: unknown): Error {
  return new Error(`${path} exists; refusing to overwrite`, { cause });
}

/** Makes the new name itself durable. Best effort: Windows cannot open a folder to sync it. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // The file's contents are already on disk; only the rename's durability is at stake.
  }
}
