/** Output safety: what an output may be written over, and staged folders moved into place at the end. */
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { OutputFolder, OutputGuard } from './outputs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-outputs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);
const put = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

describe('OutputGuard', () => {
  it('lets a new name and an unrelated regular file pass', () => {
    const guard = new OutputGuard({ inputs: [put('in.wav', 'recording')] });
    expect(() => guard.check(join(dir, 'new.wav'))).not.toThrow();
    expect(() => guard.check(join(dir, 'missing', 'new.wav'))).not.toThrow();
    expect(() => guard.check(put('other.wav', 'x'))).not.toThrow();
  });

  it('refuses a FIFO, a device and a folder, saying which', () => {
    const guard = new OutputGuard();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect(() => guard.check(join(dir, 'pipe'))).toThrow(
      /pipe: is a FIFO \(named pipe\), not a regular file/,
    );
    expect(() => guard.check('/dev/null')).toThrow(/\/dev\/null: is a character device/);
    expect(() => guard.check(dir)).toThrow(/is a folder, not a regular file/);
  });

  it('knows an input by inode: through a symlink either way, and a hard link', () => {
    const input = put('rec.wav', 'recording');
    symlinkSync(input, join(dir, 'link.wav'));
    linkSync(input, join(dir, 'hard.wav'));
    const byLink = new OutputGuard({ inputs: [join(dir, 'link.wav')] });
    expect(() => byLink.check(input, 'rec.wav')).toThrow(
      new UsageError(
        `rec.wav: the output would overwrite the input ${join(dir, 'link.wav')}; choose another --out`,
      ),
    );
    const direct = new OutputGuard({ inputs: [input] });
    expect(() => direct.check(join(dir, 'link.wav'))).toThrow(/overwrite the input/);
    expect(() => direct.check(join(dir, 'hard.wav'))).toThrow(/overwrite the input/);
  });

  it('knows every file of the model folder, also through a symlinked folder', () => {
    const model = join(dir, 'model');
    put('model/studio.json', '{}');
    put('model/encoder/weights.bin', 'w');
    symlinkSync(model, join(dir, 'alias'));
    const guard = new OutputGuard({ model });
    expect(() => guard.check(join(model, 'studio.json'))).toThrow(/would overwrite the model's studio\.json/);
    expect(() => guard.check(join(dir, 'alias', 'encoder', 'weights.bin'))).toThrow(
      /would overwrite the model's encoder\/weights\.bin/,
    );
    expect(() => guard.check(join(model, 'new.wav'))).not.toThrow();
  });
});

describe('a staged OutputFolder', () => {
  const staged = (path: string, options: { force?: boolean; requireEmpty?: boolean } = {}) =>
    OutputFolder.open(path, {
      force: options.force ?? false,
      requireEmpty: options.requireEmpty ?? true,
      staged: true,
    });

  it('makes nothing until commit, then the folder appears whole, with no temporary left', async () => {
    const target = join(dir, 'deep', 'export');
    const folder = await staged(target);
    expect(readdirSync(dir)).toEqual([]);
    expect(await folder.write('a.wav', bytes('a'))).toBe(join(target, 'a.wav'));
    await folder.write('manifest.json', bytes('{}'));
    expect(readdirSync(join(dir, 'deep'))).toEqual([
      expect.stringMatching(/^\.export\.partial-[0-9a-f]{12}$/),
    ]);
    await folder.commit();
    expect(readdirSync(join(dir, 'deep'))).toEqual(['export']);
    expect(readdirSync(target).sort()).toEqual(['a.wav', 'manifest.json']);
    expect(statSync(target).mode & 0o777).toBe(statSync(join(dir, 'deep')).mode & 0o777);
  });

  it('leaves nothing behind when abandoned, so a rerun is not refused', async () => {
    const target = join(dir, 'export');
    const first = await staged(target);
    await first.write('a.wav', bytes('a'));
    await first.abandon();
    expect(readdirSync(dir)).toEqual([]);
    const again = await staged(target);
    await again.write('b.wav', bytes('b'));
    await again.commit();
    expect(readdirSync(target)).toEqual(['b.wav']);
  });

  it('fills an existing empty folder, also one named through a symlink', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    const folder = await staged(join(dir, 'alias'));
    await folder.write('a.wav', bytes('a'));
    await folder.commit();
    expect(lstatSync(join(dir, 'alias')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dir, 'real'))).toEqual(['a.wav']);
  });

  it('adds to a folder of other files, refusing names that appeared meanwhile and taking back its own', async () => {
    put('out/keep.txt', 'mine');
    const folder = await staged(join(dir, 'out'), { requireEmpty: false });
    folder.checkFree(['a.wav', 'b.wav']);
    await folder.write('a.wav', bytes('a'));
    await folder.write('b.wav', bytes('b'));
    put('out/b.wav', 'someone else');
    await expect(folder.commit()).rejects.toThrow(/b\.wav: exists; refusing to overwrite/);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['b.wav', 'keep.txt']);
    expect(readFileSync(join(dir, 'out', 'b.wav'), 'utf8')).toBe('someone else');
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('replaces files of the same names when forced, touching nothing else', async () => {
    put('out/a.wav', 'old');
    put('out/keep.txt', 'mine');
    const folder = await staged(join(dir, 'out'), { force: true });
    await folder.write('a.wav', bytes('new'));
    await folder.commit();
    expect(readFileSync(join(dir, 'out', 'a.wav'), 'utf8')).toBe('new');
    expect(readFileSync(join(dir, 'out', 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('refuses, forced or not, to put a file over a FIFO or a guarded file', async () => {
    const input = put('rec.wav', 'recording');
    mkdirSync(join(dir, 'out'));
    execFileSync('mkfifo', [join(dir, 'out', 'pipe.wav')]);
    symlinkSync(input, join(dir, 'out', 'rec-resynth.wav'));
    const folder = await OutputFolder.open(join(dir, 'out'), {
      force: true,
      requireEmpty: true,
      staged: true,
      guard: new OutputGuard({ inputs: [input] }),
    });
    expect(() => folder.checkFree(['pipe.wav'])).toThrow(/pipe\.wav: is a FIFO/);
    expect(() => folder.checkFree(['rec-resynth.wav'])).toThrow(/overwrite the input/);
    await expect(folder.write('pipe.wav', bytes('x'))).rejects.toThrow(/is a FIFO/);
    await folder.abandon();
    expect(lstatSync(join(dir, 'out', 'pipe.wav')).isFIFO()).toBe(true);
    expect(readFileSync(input, 'utf8')).toBe('recording');
  });

  it('refuses a folder name that is a file or a device', async () => {
    await expect(staged(put('file', 'x'))).rejects.toThrow(/is a regular file, not a folder/);
    await expect(staged('/dev/null')).rejects.toThrow(/\/dev\/null: is a character device, not a folder/);
  });
});
