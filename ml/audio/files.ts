import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old contents or all of the new, never a part:
 * the bytes go to a temporary file in the same folder (a rename cannot cross file systems), are
 * flushed to disk, and only then take the target's name. Without `overwrite` an existing file is
 * never replaced, even by a writer racing this one.
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
  await syncFolder(folder);
}

/** Errors from link() that mean the file system has no hard links (FAT, exFAT, some shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

async function placeWithoutReplacing(temp: string, path: string): Promise<void> {
  // link() fails if the target exists, atomically, where a check-then-rename would race.
  try {
    await link(temp, path);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw refusal(path, err);
    if (!NO_HARD_LINKS.has(code)) throw err;
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
