/** The CLI contract (docs/design.md): exit codes, one-line reasons naming the file, --json, no overwrites. */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../main/package-info.js';
import { encodeWav } from '../ml/audio/wav.js';
import { type CliResult, type FullDisk, fullDisk, runCli } from './cli.js';
import { sine } from './signals.js';

const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
const file = (name: string, bytes: Uint8Array | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const good = file('tone.wav', encodeWav(sine(440, 22050, 22050, 0.5), 22050, '16'));

/** A canonical 16-bit mono header in front of `data`, with some fields overridable. */
function wavBytes(
  data: Uint8Array,
  fields: { format?: number; channels?: number; rate?: number; blockAlign?: number } = {},
) {
  const b = Buffer.alloc(44 + data.length);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + data.length, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(fields.format ?? 1, 20);
  b.writeUInt16LE(fields.channels ?? 1, 22);
  b.writeUInt32LE(fields.rate ?? 22050, 24);
  b.writeUInt32LE((fields.rate ?? 22050) * 2, 28);
  b.writeUInt16LE(fields.blockAlign ?? 2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(data.length, 40);
  Buffer.from(data).copy(b, 44);
  return b;
}

describe('bad input exits 2 with one line naming the file and the reason', () => {
  const cases: [string, () => string, RegExp][] = [
    ['empty file', () => file('empty.wav', ''), /empty/],
    ['not a WAV', () => file('notes.wav', 'these are my notes, not audio at all'), /RIFF/i],
    [
      'truncated header',
      () => file('cut.wav', wavBytes(new Uint8Array(2000)).subarray(0, 30)),
      /truncated|too short|fmt/i,
    ],
    [
      'unknown codec',
      () => file('adpcm.wav', wavBytes(new Uint8Array(2000), { format: 2 })),
      /0x0002|codec|format/i,
    ],
    ['zero channels', () => file('nochan.wav', wavBytes(new Uint8Array(2000), { channels: 0 })), /channel/],
    [
      'inconsistent block alignment',
      () => file('align.wav', wavBytes(new Uint8Array(2000), { blockAlign: 3 })),
      /align/,
    ],
    ['too short', () => file('short.wav', encodeWav(sine(440, 22050, 300), 22050, '16')), /too short/],
    ['missing file', () => join(dir, 'nothing-here.wav'), /not found|no such/i],
    [
      'a folder',
      () => (mkdirSync(join(dir, 'folder.wav'), { recursive: true }), join(dir, 'folder.wav')),
      /folder|directory/i,
    ],
  ];
  it.each(cases)('%s', (_, make, reason) => {
    const path = make();
    const r = runCli(['roundtrip', path, '--out', join(dir, 'out.wav')]);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(path);
    expect(lines[0]).toMatch(reason);
    expect(r.stdout).toBe('');
  });
});

describe('bad arguments exit 2', () => {
  it.each([
    [['roundtrip', good]],
    [['roundtrip', good, '--out', join(dir, 'x.wav'), '--phase', 'magic']],
    [['roundtrip', good, '--out', join(dir, 'x.wav'), '--iterations', '-3']],
    [['frobnicate']],
  ])('%j', (args) => {
    const r = runCli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error|unknown|invalid|missing/i);
  });

  it('refuses to write the output over the input', () => {
    const before = readFileSync(good);
    const r = runCli(['roundtrip', good, '--out', good]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/overwrite the input/);
    expect(readFileSync(good)).toEqual(before);
  });
});

describe('roundtrip', () => {
  it('prints one JSON object as the last stdout line, progress on stderr', () => {
    const out = join(dir, 'tone-out.wav');
    const r = runCli([
      'roundtrip',
      good,
      '--out',
      out,
      '--phase',
      'griffinlim',
      '--iterations',
      '8',
      '--json',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.json).toMatchObject({
      output: out,
      phase: 'griffinlim',
      iterations: 8,
      sampleRate: 22050,
      frames: 173,
    });
    expect(r.json!.durationSeconds).toBe(1);
    expect(r.json!.spectralConvergenceDb as number).toBeLessThan(-10);
    expect(r.json!.logSpectralDistanceDb as number).toBeGreaterThan(0);
    expect(r.json!.realtimeFactor as number).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/griffinlim/);
  });

  it('makes the folder an explicit --out names', () => {
    const out = join(dir, 'new', 'deeper', 'tone.wav');
    expect(runCli(['roundtrip', good, '--out', out, '--phase', 'source']).status).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('RIFF');
  });

  it('says why it cannot write, without a stack trace', () => {
    const blocker = file('blocker', 'a file where a folder should be');
    const r = runCli(['roundtrip', good, '--out', join(blocker, 'tone.wav')]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^vae-studio: .*blocker.*(not a directory|exists)/i);
  });

  it('replaces the file an explicit --out names', () => {
    const out = file('existing.wav', 'old contents');
    const r = runCli(['roundtrip', good, '--out', out, '--phase', 'source']);
    expect(r.status).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('RIFF');
  });

  it('round-trips a silent file to silence with a warning and no SC', () => {
    const silent = file('silent.wav', encodeWav(new Float32Array(22050), 22050, '16'));
    const r = runCli(['roundtrip', silent, '--out', join(dir, 'silent-out.wav'), '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*silent/);
    expect(r.json!.spectralConvergenceDb).toBeNull();
    expect(
      readFileSync(join(dir, 'silent-out.wav'))
        .subarray(44)
        .every((b) => b === 0),
    ).toBe(true);
  });

  it('resamples other rates to the model rate', () => {
    const hi = file('hi.wav', encodeWav(sine(1000, 44100, 44100, 0.5), 44100, '24'));
    const r = runCli(['roundtrip', hi, '--out', join(dir, 'hi-out.wav'), '--phase', 'source', '--json']);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ sampleRate: 22050, sourceRate: 44100 });
    expect(r.json!.spectralConvergenceDb as number).toBeLessThan(-50);
  });
});

it('info --json names the backend (no GPU here), the FFT and the phase methods', () => {
  const r = runCli(['info', '--json']);
  expect(r.status).toBe(0);
  expect(r.json!.backend).toMatchObject({ name: 'wasm', gpu: false });
  const unavailable = (r.json!.backend as { unavailable: { name: string; reason: string }[] }).unavailable;
  expect(unavailable.map((u) => u.name)).toEqual(['tensorflow-gpu', 'webgpu', 'webgl', 'tensorflow']);
  // tensorflow-gpu only when asked for; the browser backends only on a real GPU; tfjs-node not here.
  expect(unavailable[0].reason).toMatch(/opt-in/);
  expect(unavailable[1].reason).toMatch(/GPU|adapter|software/i);
  expect(unavailable[3].reason).toMatch(/not installed/);
  expect(runCli(['info', '--json'], { env: { VAE_STUDIO_BACKEND: 'cpu' } }).json!.backend).toMatchObject({
    name: 'cpu',
  });
  const bad = runCli(['info'], { env: { VAE_STUDIO_BACKEND: 'bogus' } });
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe(
    'vae-studio: VAE_STUDIO_BACKEND=bogus is not a backend: use one of tensorflow-gpu, webgpu, webgl, tensorflow, wasm, cpu.',
  );
  expect(r.json).toMatchObject({ phaseMethods: ['source', 'griffinlim', 'pghi', 'pghi-gl', 'rtpghi'] });
  expect(['pffft-simd', 'pffft', 'fft.js']).toContain(r.json!.fft);
  expect(runCli(['info', '--json'], { env: { VAE_STUDIO_FFT: 'fft.js' } }).json!.fft).toBe('fft.js');
  // The thread budget: every core, or VAE_STUDIO_THREADS; a default batch (256) splits over it on wasm.
  expect(r.json!.threads).toMatchObject({ from: 'cores', budget: r.json!.cores });
  expect(runCli(['info', '--json'], { env: { VAE_STUDIO_THREADS: '3' } }).json!.threads).toEqual({
    budget: 3,
    from: 'VAE_STUDIO_THREADS',
    training: 3,
  });
});

/** Exit 2, one line on stderr naming `path` (and matching `reason`), nothing on stdout. */
function expectRefusal(r: CliResult, path: string, reason: RegExp) {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^vae-studio: /);
  expect(lines[0]).toContain(path);
  expect(lines[0]).toMatch(reason);
  expect(r.stdout).toBe('');
}

describe('outputs are never written over a FIFO, a device, an input or a file of the model', () => {
  const safe = join(dir, 'safety');
  mkdirSync(safe);
  // The demo model that ships with the app, copied so that nothing here can touch the original.
  const model = join(safe, 'model');
  cpSync(join(packageRoot(), 'assets', 'demo', 'model'), model, { recursive: true });
  const recording = join(safe, 'recording.wav');
  writeFileSync(recording, readFileSync(good));
  const link = join(safe, 'link.wav');
  symlinkSync(recording, link);
  const fifo = join(safe, 'pipe.wav');
  execFileSync('mkfifo', [fifo]);

  /** Everything under the folder: names, kinds and bytes (a FIFO is never opened). */
  const snapshot = (folder = safe): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const path = join(d, name);
        const st = lstatSync(path);
        if (st.isDirectory()) walk(path);
        else
          out[path] = st.isSymbolicLink()
            ? 'symlink'
            : st.isFIFO()
              ? 'fifo'
              : readFileSync(path).toString('base64');
      }
    };
    walk(folder);
    return out;
  };
  const before = snapshot();
  const nullDevice = statSync('/dev/null');
  afterAll(() => {
    // Nothing written anywhere: no replaced file, no temporary, no new folder.
    expect(snapshot()).toEqual(before);
    const after = statSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.rdev, after.ino]).toEqual([nullDevice.rdev, nullDevice.ino]);
  });

  const notRegular = /not a regular file; refusing to write over it/;
  it.each([
    ['roundtrip', () => ['roundtrip', recording, '--out', fifo, '--phase', 'source']],
    ['resynth', () => ['resynth', model, recording, '--out', fifo]],
  ])('%s --out a FIFO', (_, args) => {
    expectRefusal(runCli(args()), fifo, /is a FIFO \(named pipe\)/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it.each([
    ['roundtrip', ['roundtrip', good, '--out', '/dev/null', '--phase', 'source'], notRegular],
    ['resynth', ['resynth', join(dir, 'safety', 'model'), good, '--out', '/dev/null'], notRegular],
    [
      'sample',
      ['sample', join(dir, 'safety', 'model'), '--count', '1', '--seconds', '0.1', '--out', '/dev/null'],
      /not a folder/,
    ],
    [
      'export',
      ['export', join(dir, 'safety', 'model'), '--random', '1', '--out', '/dev/null'],
      /not a folder/,
    ],
    ['train', ['train', good, '--out', '/dev/null', '--epochs', '1'], /not a folder/],
  ])('%s --out /dev/null (a character device)', (_, args, reason) => {
    expectRefusal(runCli(args), '/dev/null', reason);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('train --out a FIFO', () => {
    expectRefusal(
      runCli(['train', recording, '--out', fifo, '--epochs', '1']),
      fifo,
      /is a FIFO \(named pipe\), not a folder/,
    );
  });

  it.each([
    [
      'roundtrip from a symlink, out to its target',
      () => ['roundtrip', link, '--out', recording, '--phase', 'source'],
    ],
    ['resynth from a symlink, out to its target', () => ['resynth', model, link, '--out', recording]],
    [
      'roundtrip from the target, out to the symlink',
      () => ['roundtrip', recording, '--out', link, '--phase', 'source'],
    ],
  ])('%s', (_, args) => {
    const a = args();
    expectRefusal(runCli(a), a[a.indexOf('--out') + 1], /the output would overwrite the input/);
  });

  it('a hard link to the input is the input', () => {
    const hard = join(dir, 'hard-link.wav');
    linkSync(recording, hard);
    expectRefusal(
      runCli(['roundtrip', hard, '--out', recording, '--phase', 'source']),
      recording,
      /overwrite the input/,
    );
  });

  it.each([
    ['studio.json', () => join(model, 'studio.json'), /model's studio\.json/],
    ['decoder weights', () => join(model, 'decoder', 'weights.bin'), /model's decoder\/weights\.bin/],
    [
      'studio.json by another path (a symlinked folder)',
      () => {
        const alias = join(dir, 'model-alias');
        rmSync(alias, { force: true });
        symlinkSync(model, alias);
        return join(alias, 'encoder', '..', 'studio.json');
      },
      /model's studio\.json/,
    ],
  ])("resynth --out the model folder's %s", (_, out, reason) => {
    const path = out();
    expectRefusal(runCli(['resynth', model, recording, '--out', path]), path, reason);
  });

  it('export --force refuses, before any work, a same-named file that is a FIFO or links to an input', () => {
    const folder = join(dir, 'forced');
    mkdirSync(folder);
    execFileSync('mkfifo', [join(folder, 'random-001.wav')]);
    symlinkSync(recording, join(folder, 'link-resynth.wav'));
    expectRefusal(
      runCli(['export', model, '--random', '1', '--seconds', '0.1', '--out', folder, '--force']),
      join(folder, 'random-001.wav'),
      /is a FIFO/,
    );
    expectRefusal(
      runCli(['export', model, '--resynth', link, '--out', folder, '--force']),
      join(folder, 'link-resynth.wav'),
      /overwrite the input/,
    );
    expect(lstatSync(join(folder, 'random-001.wav')).isFIFO()).toBe(true);
    expect(readdirSync(folder).sort()).toEqual(['link-resynth.wav', 'random-001.wav']);
  });
});

describe('a full disk', () => {
  const root = join(dir, 'disk');
  const model = join(packageRoot(), 'assets', 'demo', 'model');
  // Mounted here, not while collecting, so that a filtered run that skips these mounts nothing.
  let disk: FullDisk;
  beforeAll(() => {
    disk = fullDisk(join(root, 'full'));
    console.info(
      `full disk: ${disk.how === 'tmpfs' ? 'a 1 MiB tmpfs' : 'ENOSPC injected (mounting a tmpfs failed)'}`,
    );
  });
  afterAll(() => disk?.close());

  /** Exit 1, one line naming `path`: no space left, no stack trace. */
  const expectFull = (r: CliResult, path: string) => {
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.stderr.trim().split('\n').pop()).toBe(`vae-studio: ${path}: no space left on device`);
  };

  it('train says which file could not be written, in one line', () => {
    const out = join(disk.path, 'model');
    const r = runCli(['train', good, '--out', out, '--preset', 'compact', '--latent', '4', '--epochs', '1'], {
      env: disk.env,
    });
    expectFull(r, join(out, 'checkpoint.bin'));
    rmSync(out, { recursive: true, force: true });
  });

  // A 3 s sound at 96 kHz in 32-bit float is 1.15 MB: more than the disk holds.
  const big = ['--random', '1', '--seconds', '3', '--rate', '96000', '--bit-depth', '32f'];

  it('export leaves nothing behind, so a rerun is not refused', () => {
    const out = join(disk.path, 'export');
    expectFull(
      runCli(['export', model, ...big, '--out', out], { env: disk.env }),
      join(out, 'random-001.wav'),
    );
    expect(readdirSync(disk.path)).toEqual([]);
    const again = runCli(['export', model, '--random', '1', '--seconds', '0.1', '--out', out]);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['manifest.csv', 'manifest.json', 'random-001.wav']);
    rmSync(out, { recursive: true });
  });

  it('export into the mount point itself (tmpfs only): written beside it, taken back when moving in fails', (ctx) => {
    if (disk.how !== 'tmpfs') ctx.skip();
    expectFull(runCli(['export', model, ...big, '--out', disk.path]), join(disk.path, 'random-001.wav'));
    expect(readdirSync(disk.path)).toEqual([]);
    expect(readdirSync(root)).toEqual(['full']);
  });
});
