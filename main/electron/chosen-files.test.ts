import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chosenSounds } from './chosen-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-chosen-'));
  await writeFile(join(dir, 'small.wav'), new Uint8Array([82, 73, 70, 70]));
  await writeFile(join(dir, 'big.flac'), new Uint8Array(2048));
  await mkdir(join(dir, 'folder.wav'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chosenSounds', () => {
  it("gives each file's name and path, in the order picked, without reading it", async () => {
    expect(await chosenSounds([join(dir, 'small.wav'), join(dir, 'big.flac')], 8)).toEqual([
      { name: 'small.wav', path: join(dir, 'small.wav') },
      { name: 'big.flac', path: join(dir, 'big.flac') },
    ]);
  });

  it('reports what it cannot take, naming the file, and still takes the rest', async () => {
    const results = await chosenSounds(
      [
        join(dir, 'missing.wav'),
        join(dir, 'folder.wav'),
        'relative.wav',
        join(dir, 'small.wav'),
        join(dir, 'big.flac'),
      ],
      4,
    );
    expect(results).toEqual([
      { name: 'missing.wav', error: 'missing.wav could not be read (ENOENT)' },
      { name: 'folder.wav', error: 'folder.wav is not a file' },
      { name: 'relative.wav', error: 'relative.wav is not a file path' },
      { name: 'small.wav', path: join(dir, 'small.wav') },
      { name: 'big.flac', error: 'big.flac was not imported: pick at most 4 files at once' },
    ]);
  });
});
