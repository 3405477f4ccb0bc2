/** The CLI contract (docs/design.md): exit codes, one-line reasons naming the file, --json, no overwrites. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../ml/audio/wav.js';
import { runCli } from './cli.js';
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
  expect(unavailable.map((u) => u.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
  expect(unavailable[0].reason).toMatch(/not installed/);
  expect(runCli(['info', '--json'], { env: { VAE_STUDIO_BACKEND: 'cpu' } }).json!.backend).toMatchObject({
    name: 'cpu',
  });
  const bad = runCli(['info'], { env: { VAE_STUDIO_BACKEND: 'bogus' } });
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe(
    'vae-studio: VAE_STUDIO_BACKEND=bogus is not a backend: use one of tensorflow-gpu, tensorflow, wasm, cpu.',
  );
  expect(r.json).toMatchObject({ phaseMethods: ['source', 'griffinlim', 'pghi', 'pghi-gl', 'rtpghi'] });
  expect(['pffft-simd', 'pffft', 'fft.js']).toContain(r.json!.fft);
  expect(runCli(['info', '--json'], { env: { VAE_STUDIO_FFT: 'fft.js' } }).json!.fft).toBe('fft.js');
});
