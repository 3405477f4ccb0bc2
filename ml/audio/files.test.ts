import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { moveFile, writeFileAtomic } from './files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('writeFileAtomic', () => {
  it('writes a new file and leaves nothing else behind', async () => {
    for (const overwrite of [false, true]) {
      await writeFileAtomic(join(dir, `new-${overwrite}.wav`), bytes('fresh'), { overwrite });
    }
    expect(readdirSync(dir).sort()).toEqual(['new-false.wav', 'new-true.wav']);
    expect(read('new-false.wav')).toBe('fresh');
    expect(read('new-true.wav')).toBe('fresh');
  });

  it('refuses to replace an existing file unless asked, keeping its bytes', async () => {
    const target = join(dir, 'take.wav');
    writeFileSync(target, 'original');
    await expect(writeFileAtomic(target, bytes('replacement'), { overwrite: false })).rejects.toThrow(
      `${target} exists; refusing to overwrite`,
    );
    expect(read('take.wav')).toBe('original');
    expect(readdirSync(dir)).toEqual(['take.wav']);
  });

  it('replaces an existing file when asked', async () => {
    const target = join(dir, 'take.wav');
    writeFileSync(target, 'a much longer original');
    await writeFileAtomic(target, bytes('new'), { overwrite: true });
    expect(read('take.wav')).toBe('new');
    expect(readdirSync(dir)).toEqual(['take.wav']);
  });

  it('lets exactly one of many racing writers create a file', async () => {
    const target = join(dir, 'race.wav');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        writeFileAtomic(target, bytes(`writer ${i}`), { overwrite: false }),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    expect(read('race.wav')).toBe(`writer ${won[0]}`);
    expect(readdirSync(dir)).toEqual(['race.wav']);
  });

  it('cleans up its temporary file when the final step fails', async () => {
    // A folder in the way: rename and link both fail after the temporary file is written.
    mkdirSync(join(dir, 'taken.wav'));
    await expect(writeFileAtomic(join(dir, 'taken.wav'), bytes('x'), { overwrite: true })).rejects.toThrow();
    await expect(writeFileAtomic(join(dir, 'taken.wav'), bytes('x'), { overwrite: false })).rejects.toThrow(
      /exists; refusing to overwrite/,
    );
    expect(readdirSync(dir)).toEqual(['taken.wav']);
  });

  it('names the file asked for, not its temporary, when the system refuses (as Node would)', async () => {
    const target = join(dir, 'taken.wav');
    mkdirSync(target);
    const err = (await writeFileAtomic(target, bytes('x'), { overwrite: true }).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(err).toMatchObject({ code: 'EISDIR', syscall: 'rename', path: target });
    // The text alone (what a worker thread passes on) still names it.
    expect(err.message).toBe(`EISDIR: illegal operation on a directory, rename '${target}'`);
  });

  it('fails plainly when the folder does not exist', async () => {
    await expect(
      writeFileAtomic(join(dir, 'missing', 'x.wav'), bytes('x'), { overwrite: false }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe('moveFile', () => {
  it('moves without replacing unless asked', async () => {
    writeFileSync(join(dir, 'a'), 'a');
    writeFileSync(join(dir, 'b'), 'b');
    writeFileSync(join(dir, 'c'), 'c');
    await expect(moveFile(join(dir, 'a'), join(dir, 'b'), { overwrite: false })).rejects.toThrow(
      /b exists; refusing to overwrite/,
    );
    expect(read('b')).toBe('b');
    await moveFile(join(dir, 'a'), join(dir, 'new'), { overwrite: false });
    await moveFile(join(dir, 'c'), join(dir, 'b'), { overwrite: true });
    expect(readdirSync(dir).sort()).toEqual(['b', 'new']);
    expect([read('new'), read('b')]).toEqual(['a', 'c']);
  });
});
