import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from './files.js';

// FAT and exFAT volumes, common on external drives, have no hard links: link() fails with EPERM.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const link = vi.fn(async () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  });
  return { ...actual, link, default: { ...actual, link } };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-nolinks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic on a file system without hard links', () => {
  it('still creates a new file', async () => {
    await writeFileAtomic(join(dir, 'a.wav'), new TextEncoder().encode('fresh'), { overwrite: false });
    expect(link).toHaveBeenCalled();
    expect(readFileSync(join(dir, 'a.wav'), 'utf8')).toBe('fresh');
    expect(readdirSync(dir)).toEqual(['a.wav']);
  });

  it('still refuses to replace an existing one', async () => {
    writeFileSync(join(dir, 'a.wav'), 'original');
    await expect(
      writeFileAtomic(join(dir, 'a.wav'), new TextEncoder().encode('new'), { overwrite: false }),
    ).rejects.toThrow(/a\.wav exists; refusing to overwrite/);
    expect(link).toHaveBeenCalled();
    expect(readFileSync(join(dir, 'a.wav'), 'utf8')).toBe('original');
    expect(readdirSync(dir)).toEqual(['a.wav']);
  });
});
