import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChosenSounds } from './chosen-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-chosen-'));
  await writeFile(join(dir, 'small.wav'), new Uint8Array([82, 73, 70, 70]));
  await writeFile(join(dir, 'big.wav'), new Uint8Array(2048));
  await mkdir(join(dir, 'folder.wav'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readChosenSounds', () => {
  it("gives each file's name and bytes, in the order picked", async () => {
    const [small] = await readChosenSounds([join(dir, 'small.wav')], 1024);
    expect(small).toEqual({ name: 'small.wav', bytes: new Uint8Array([82, 73, 70, 70]) });
  });

  it('reports what it cannot take, naming the file, and still reads the rest', async () => {
    const results = await readChosenSounds(
      [join(dir, 'big.wav'), join(dir, 'missing.wav'), join(dir, 'folder.wav'), join(dir, 'small.wav')],
      1024,
    );
    expect(results.map((r) => r.name)).toEqual(['big.wav', 'missing.wav', 'folder.wav', 'small.wav']);
    expect(results[0]).toMatchObject({
      error: expect.stringMatching(/^big\.wav is too large .*the limit is/),
    });
    expect(results[1]).toMatchObject({ error: 'missing.wav could not be read (ENOENT)' });
    expect(results[2]).toMatchObject({ error: 'folder.wav is not a file' });
    expect(results[3]).toHaveProperty('bytes');
  });
});
