import { mkdir, mkdtemp, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokenLinkError, MAX_GRANTS, PathGrants, realPathAllowingMissing } from './grants.js';
import { ENGINE_GRANT_MESSAGE, grantMessage, isGrantMessage } from './process-entry-protocol.js';

let dir: string;
let grants: PathGrants;
beforeEach(async () => {
  // Real path: on macOS the tmp folder is itself behind a symbolic link.
  dir = await realpath(await mkdtemp(join(tmpdir(), 'vae-grants-')));
  grants = new PathGrants();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PathGrants', () => {
  it('allows exactly the granted folder, for its purpose, and nothing else', async () => {
    const out = join(dir, 'out');
    await mkdir(join(out, 'inner'), { recursive: true });
    await mkdir(join(dir, 'other'));
    expect(await grants.allows(out, 'export')).toBe(false);
    grants.grant(out, 'export');
    expect(await grants.allows(out, 'export')).toBe(true);
    // Not what is under it, beside it or above it.
    expect(await grants.allows(join(out, 'inner'), 'export')).toBe(false);
    expect(await grants.allows(join(out, 'new'), 'export')).toBe(false);
    expect(await grants.allows(join(dir, 'other'), 'export')).toBe(false);
    expect(await grants.allows(dir, 'export')).toBe(false);
    // Nor for the other purpose.
    expect(await grants.allows(out, 'project')).toBe(false);
    grants.grant(join(dir, 'other'), 'project');
    expect(await grants.allows(join(dir, 'other'), 'project')).toBe(true);
    expect(await grants.allows(join(dir, 'other'), 'export')).toBe(false);
  });

  it('takes a trailing slash as the same folder, and refuses relative paths and any ".." part', async () => {
    const out = join(dir, 'out');
    await mkdir(join(out, 'b'), { recursive: true });
    grants.grant(`${out}${sep}`, 'export');
    expect(await grants.allows(out, 'export')).toBe(true);
    expect(await grants.allows(`${out}${sep}`, 'export')).toBe(true);
    expect(await grants.allows(`${out}${sep}${sep}`, 'export')).toBe(true);
    expect(await grants.allows(`${out}${sep}.`, 'export')).toBe(true);
    // '..' walking out of the granted folder, or back into it, is not taken.
    expect(await grants.allows(join(out, 'b') + `${sep}..`, 'export')).toBe(false);
    expect(await grants.allows(`${out}${sep}b${sep}..${sep}..${sep}etc`, 'export')).toBe(false);
    expect(await grants.allows('/etc', 'export')).toBe(false);
    expect(await grants.allows('out', 'export')).toBe(false);
    expect(await grants.allows('', 'export')).toBe(false);
    expect(() => grants.grant('relative/out', 'export')).toThrow(/not an absolute folder path/);
    expect(() => grants.grant(`${out}${sep}..${sep}x`, 'export')).toThrow(/not an absolute folder path/);
  });

  it('does not take a symbolic link to somewhere else for the granted folder', async () => {
    const out = join(dir, 'out');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(out);
    await mkdir(elsewhere);
    grants.grant(out, 'export');
    await symlink(elsewhere, join(dir, 'link-elsewhere'));
    expect(await grants.allows(join(dir, 'link-elsewhere'), 'export')).toBe(false);
    // A link to the granted folder itself comes to the same folder.
    await symlink(out, join(dir, 'link-out'));
    expect(await grants.allows(join(dir, 'link-out'), 'export')).toBe(true);
    // The granted folder swapped for a link to somewhere else after the grant: refused.
    await rename(out, join(dir, 'moved'));
    await symlink(elsewhere, out);
    expect(await grants.allows(out, 'export')).toBe(false);
    // ... and a new folder of the same name is not the folder the user chose either.
    await rm(out);
    await mkdir(out);
    expect(await grants.allows(out, 'export')).toBe(false);
  });

  it('pins a granted link where it led when granted', async () => {
    const target = join(dir, 'target');
    const other = join(dir, 'other');
    await mkdir(target);
    await mkdir(other);
    const link = join(dir, 'chosen');
    await symlink(target, link);
    grants.grant(link, 'export');
    expect(await grants.allows(link, 'export')).toBe(true);
    expect(await grants.allows(target, 'export')).toBe(true);
    await rm(link);
    await symlink(other, link);
    expect(await grants.allows(link, 'export')).toBe(false);
  });

  it('allows a new folder the dialog named, once it exists, but not a link put there instead', async () => {
    const fresh = join(dir, 'fresh');
    grants.grant(fresh, 'export');
    expect(await grants.allows(fresh, 'export')).toBe(true);
    await mkdir(fresh);
    expect(await grants.allows(fresh, 'export')).toBe(true);
    await rm(fresh, { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), fresh);
    expect(await grants.allows(fresh, 'export')).toBe(false);
  });

  it('pins a new folder under a linked parent by its real path', async () => {
    await mkdir(join(dir, 'real-parent'));
    await symlink(join(dir, 'real-parent'), join(dir, 'parent-link'));
    grants.grant(join(dir, 'parent-link', 'new'), 'export');
    expect(await grants.allows(join(dir, 'real-parent', 'new'), 'export')).toBe(true);
    expect(await grants.allows(join(dir, 'parent-link', 'new'), 'export')).toBe(true);
    expect(await grants.allows(join(dir, 'parent-link', 'other'), 'export')).toBe(false);
  });

  it('compares names as the disk does: case counts only where the disk says so', async () => {
    const out = join(dir, 'Out');
    await mkdir(out);
    grants.grant(out, 'export');
    const lower = join(dir, 'out');
    // On a case-insensitive disk 'out' is the same folder; on a case-sensitive one it is not.
    const caseInsensitive = existsSync(lower);
    expect(await grants.allows(lower, 'export')).toBe(caseInsensitive);
    if (!caseInsensitive) {
      await mkdir(lower);
      expect(await grants.allows(lower, 'export')).toBe(false);
    }
    // A folder that did not exist when granted: the name must match exactly.
    grants.grant(join(dir, 'New'), 'export');
    expect(await grants.allows(join(dir, 'NEW'), 'export')).toBe(false);
  });

  it('keeps the last MAX_GRANTS grants and forgets on clear', async () => {
    const folders = Array.from({ length: MAX_GRANTS + 1 }, (_, i) => join(dir, `f${i}`));
    for (const folder of folders) grants.grant(folder, 'export');
    expect(await grants.allows(folders[0], 'export')).toBe(false);
    expect(await grants.allows(folders[1], 'export')).toBe(true);
    expect(await grants.allows(folders[MAX_GRANTS], 'export')).toBe(true);
    // Granting again moves a folder to the newest, so it outlives the others.
    grants.grant(folders[1], 'export');
    grants.grant(join(dir, 'g'), 'export');
    expect(await grants.allows(folders[1], 'export')).toBe(true);
    expect(await grants.allows(folders[2], 'export')).toBe(false);
    grants.clear();
    expect(await grants.allows(folders[1], 'export')).toBe(false);
  });

  it('counts MAX_GRANTS per purpose: many imported files never push out a folder', async () => {
    await mkdir(join(dir, 'out'));
    grants.grant(join(dir, 'out'), 'export');
    const files = Array.from({ length: MAX_GRANTS + 1 }, (_, i) => join(dir, `s${i}.wav`));
    for (const file of files) {
      await writeFile(file, 'RIFF');
      grants.grant(file, 'import');
    }
    expect(await grants.allows(join(dir, 'out'), 'export')).toBe(true);
    expect(await grants.allows(files[0], 'import')).toBe(false);
    expect(await grants.allows(files[1], 'import')).toBe(true);
  });

  it('allows nothing through a broken link', async () => {
    await symlink(join(dir, 'nowhere'), join(dir, 'broken'));
    grants.grant(join(dir, 'broken'), 'export');
    expect(await grants.allows(join(dir, 'broken'), 'export')).toBe(false);
    grants.grant(join(dir, 'broken', 'x'), 'export');
    expect(await grants.allows(join(dir, 'broken', 'x'), 'export')).toBe(false);
  });

  it('grants a picked file for import: that file only, pinned, never a folder', async () => {
    const file = join(dir, 'a.wav');
    const other = join(dir, 'b.wav');
    await writeFile(file, 'RIFF');
    await writeFile(other, 'RIFF');
    expect(await grants.allows(file, 'import')).toBe(false);
    expect(await grants.grantedFile(file)).toBeNull();
    grants.grant(file, 'import');
    expect(await grants.allows(file, 'import')).toBe(true);
    const { dev, ino } = await stat(file);
    expect(await grants.grantedFile(file)).toBe(`${dev}:${ino}`);
    // Not its neighbour, not for another purpose, not by a '..' walk back to it.
    expect(await grants.allows(other, 'import')).toBe(false);
    expect(await grants.allows(file, 'export')).toBe(false);
    expect(await grants.allows(`${dir}${sep}x${sep}..${sep}a.wav`, 'import')).toBe(false);
    expect(() => grants.grant(`${dir}${sep}..${sep}a.wav`, 'import')).toThrow(/not an absolute file path/);
    // A folder granted for import allows nothing, nor does a missing file.
    await mkdir(join(dir, 'folder'));
    grants.grant(join(dir, 'folder'), 'import');
    expect(await grants.allows(join(dir, 'folder'), 'import')).toBe(false);
    grants.grant(join(dir, 'later.wav'), 'import');
    // (Asking waits for the grant's pinning, which found nothing there.)
    expect(await grants.allows(join(dir, 'later.wav'), 'import')).toBe(false);
    await writeFile(join(dir, 'later.wav'), 'RIFF');
    expect(await grants.allows(join(dir, 'later.wav'), 'import')).toBe(false);
    // A link to the granted file comes to the same file.
    await symlink(file, join(dir, 'link.wav'));
    expect(await grants.allows(join(dir, 'link.wav'), 'import')).toBe(true);
    // Swapped for a link to another file after the grant: refused; so is a new file of that name.
    await rename(file, join(dir, 'moved.wav'));
    await symlink(other, file);
    expect(await grants.allows(file, 'import')).toBe(false);
    expect(await grants.grantedFile(file)).toBeNull();
    await rm(file);
    await writeFile(file, 'RIFF');
    expect(await grants.allows(file, 'import')).toBe(false);
  });
});

describe('realPathAllowingMissing', () => {
  it('resolves links in the existing part and keeps the missing rest', async () => {
    await mkdir(join(dir, 'a'));
    await symlink(join(dir, 'a'), join(dir, 'l'));
    expect(await realPathAllowingMissing(join(dir, 'l'))).toBe(join(dir, 'a'));
    expect(await realPathAllowingMissing(join(dir, 'l', 'x', 'y'))).toBe(join(dir, 'a', 'x', 'y'));
    await symlink(join(dir, 'missing'), join(dir, 'dangling'));
    await expect(realPathAllowingMissing(join(dir, 'dangling', 'x'))).rejects.toThrow(BrokenLinkError);
  });
});

describe('the grant message', () => {
  it('accepts only a well-formed grant', () => {
    expect(isGrantMessage(grantMessage('/home/me/out', 'export'))).toBe(true);
    expect(isGrantMessage({ type: ENGINE_GRANT_MESSAGE, path: '/p', purpose: 'project' })).toBe(true);
    expect(isGrantMessage(grantMessage('/home/me/a.flac', 'import'))).toBe(true);
    for (const bad of [
      null,
      'vae-studio:grant',
      { type: ENGINE_GRANT_MESSAGE, path: '/p', purpose: 'delete' },
      { type: ENGINE_GRANT_MESSAGE, path: '', purpose: 'export' },
      { type: ENGINE_GRANT_MESSAGE, path: '/p\0x', purpose: 'export' },
      { type: ENGINE_GRANT_MESSAGE, path: 7, purpose: 'export' },
      { type: 'vae-studio:connect', path: '/p', purpose: 'export' },
      { type: ENGINE_GRANT_MESSAGE, path: `/${'x'.repeat(5000)}`, purpose: 'export' },
    ]) {
      expect(isGrantMessage(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
