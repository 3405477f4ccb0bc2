// Folders the user chose in a native dialog of Electron's main process, which the engine may use
// although they lie outside the open project (an export folder, a project folder). Main hands each
// one over as a grant (process-entry-protocol.ts, ENGINE_GRANT_MESSAGE, on process.parentPort); a
// folder named by a window or a browser tab and never granted is not honoured.
//
// A grant covers exactly the folder granted, not what is under it or beside it, and only for its
// purpose. It is pinned when granted: the folder's real path (symbolic links resolved; for a folder
// that does not exist yet, its nearest existing parent's real path and the rest of the name) and,
// where it exists, its device and inode. A path asked about later is allowed when it comes to the
// same place: the same device and inode (and real path, up to case) for a folder that existed, the
// same real path for one that did not. So a symbolic link put in its place later, a '..' walking
// out, or a name differing only in case on a case-sensitive disk, is not the granted folder.
//
// A grant for 'import' is a FILE the user picked in main's import dialog (importPath, projects.ts):
// it is pinned the same way, but must exist and be a regular file when granted and when asked
// about (a folder, or a missing path, is never an import grant), and grantedFile gives the pinned
// identity so the reader can check the very file it opened against it.
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { MAX_GRANTS, type GrantPurpose } from './process-entry-protocol.js';

export { MAX_GRANTS, type GrantPurpose } from './process-entry-protocol.js';

/** A path whose last existing part is a symbolic link to nothing: where it leads is unknown. */
export class BrokenLinkError extends Error {
  override readonly name = 'BrokenLinkError';
  constructor(readonly link: string) {
    super(`${link}: a symbolic link to something that does not exist`);
  }
}

/**
 * The real path of `path` (absolute), which need not exist: the real path of its nearest existing
 * ancestor with the missing rest appended. Throws BrokenLinkError where a missing part is a
 * dangling symbolic link (creating through it would land wherever it points), and the fs error for
 * anything else that stops resolution (ELOOP, EACCES).
 */
export async function realPathAllowingMissing(path: string): Promise<string> {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = await realpath(current);
      return rest.length === 0 ? real : join(real, ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      if (
        await lstat(current).then(
          (s) => s.isSymbolicLink(),
          () => false,
        )
      ) {
        throw new BrokenLinkError(current);
      }
      const parent = dirname(current);
      if (parent === current) throw err;
      rest.push(basename(current));
      current = parent;
    }
  }
}

/** True where a path has a '..' part: such a path is never taken as a granted folder. */
function hasParentPart(path: string): boolean {
  return path.split(/[\\/]/).includes('..');
}

interface Place {
  /** realPathAllowingMissing of the folder. */
  real: string;
  /** `${dev}:${ino}` where it exists, else null. */
  identity: string | null;
  /** Whether it exists as a regular file (after links). */
  file: boolean;
}

async function placeOf(path: string): Promise<Place> {
  const real = await realPathAllowingMissing(path);
  const found = await stat(real).catch(() => null);
  return { real, identity: found ? `${found.dev}:${found.ino}` : null, file: found?.isFile() ?? false };
}

function samePlace(granted: Place, asked: Place, purpose: GrantPurpose): boolean {
  // An import grant is one existing file, both when granted and now.
  if (purpose === 'import' && !(granted.file && asked.file && granted.identity !== null)) return false;
  if (granted.identity === null) return asked.real === granted.real;
  // Up to case: a case-insensitive disk (macOS, Windows) gives one folder under several spellings;
  // the inode says it is the same folder, so a different one never passes on case alone.
  return asked.identity === granted.identity && asked.real.toLowerCase() === granted.real.toLowerCase();
}

interface Grant {
  path: string;
  purpose: GrantPurpose;
  /** Pinned at grant time; null where the path could not be resolved (it then allows nothing). */
  place: Promise<Place | null>;
}

export class PathGrants {
  #grants: Grant[] = [];

  /**
   * Grants `path` (absolute, as main's dialog returned it) for `purpose`. Granting it again moves
   * it to the newest; past MAX_GRANTS of one purpose, its oldest is forgotten. Throws for a relative path or one
   * with a '..' part, which no dialog returns.
   */
  grant(path: string, purpose: GrantPurpose): void {
    if (typeof path !== 'string' || !isAbsolute(path) || hasParentPart(path)) {
      throw new Error(
        `refused a grant for ${JSON.stringify(path)}: not an absolute ${purpose === 'import' ? 'file' : 'folder'} path`,
      );
    }
    const resolved = resolve(path);
    // Pinned now: the fs calls start here, before anything asks about the folder.
    const place = placeOf(resolved).catch(() => null);
    this.#grants = this.#grants.filter((g) => !(g.path === resolved && g.purpose === purpose));
    this.#grants.push({ path: resolved, purpose, place });
    // At most MAX_GRANTS of each purpose: a big pick of files to import never pushes out a folder.
    const same = this.#grants.filter((g) => g.purpose === purpose);
    if (same.length > MAX_GRANTS) {
      const lapsed = new Set(same.slice(0, same.length - MAX_GRANTS));
      this.#grants = this.#grants.filter((g) => !lapsed.has(g));
    }
  }

  /**
   * Whether `path` is a folder (for 'import', a file) granted for `purpose`: absolute, without a '..' part, and at the
   * same place as a grant of that purpose (see the top of this file).
   */
  async allows(path: string, purpose: GrantPurpose): Promise<boolean> {
    return (await this.#match(path, purpose)) !== null;
  }

  /**
   * For a file granted for 'import': its pinned identity (`${dev}:${ino}`), which the file a reader
   * opened must have (fstat) so that nothing swapped in between the check and the open is read;
   * null where `path` is not a granted file.
   */
  async grantedFile(path: string): Promise<string | null> {
    return (await this.#match(path, 'import'))?.identity ?? null;
  }

  async #match(path: string, purpose: GrantPurpose): Promise<Place | null> {
    if (typeof path !== 'string' || !isAbsolute(path) || hasParentPart(path)) return null;
    const candidates = this.#grants.filter((g) => g.purpose === purpose);
    if (candidates.length === 0) return null;
    const asked = await placeOf(resolve(path)).catch(() => null);
    if (!asked) return null;
    for (const grant of candidates) {
      const granted = await grant.place;
      if (granted && samePlace(granted, asked, purpose)) return granted;
    }
    return null;
  }

  /** Forgets every grant. */
  clear(): void {
    this.#grants = [];
  }
}
