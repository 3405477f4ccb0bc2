/** `vae-studio stream`: the live path on a file, against `resynth --phase source` and the input itself. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main/cli.js';
import { packageRoot } from '../main/package-info.js';
import { resample } from '../ml/audio/resample.js';
import { decodeWav, encodeWav } from '../ml/audio/wav.js';
import { createRealFft, type RealFft } from '../ml/synth/fft.js';
import { spectralConvergence } from '../ml/synth/metrics.js';
import { Stft, magnitudes } from '../ml/synth/stft.js';
import { BIN, type CliResult } from './cli.js';

const model = join(packageRoot(), 'assets', 'demo', 'model');
const vowels = join(packageRoot(), 'assets', 'demo', 'sources', 'vowels.wav');
const dir = mkdtempSync(join(tmpdir(), 'vae-stream-'));
const out = (name: string) => join(dir, name);
let fft: RealFft;
let stft: Stft;

/** The CLI as a process, without blocking: the runs below go side by side. */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: Record<string, unknown> | null;
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        json = null;
      }
      const status = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ status: typeof status === 'number' ? status : 1, stdout, stderr, json });
    });
  });
}

let runs: Record<'streamed' | 'resynth' | 'dry' | 's44' | 'r44', CliResult>;
beforeAll(async () => {
  fft = await createRealFft(512);
  stft = new Stft(fft, { windowSize: 512, hop: 128 });
  // The vowels at 44.1 kHz: read, resampled and framed in a stream by `stream`, whole by `resynth`.
  const v44 = out('vowels-44k.wav');
  writeFileSync(v44, encodeWav(resample(read(vowels).channels[0], 22050, 44100), 44100, '16'));
  // One real process (the CLI's contract: --json, exit status); the rest in this one, the same code.
  const streamed = cli(['stream', model, vowels, '--out', out('streamed.wav'), '--json']);
  const [resynth, dry, s44, r44] = [
    await main(['resynth', model, vowels, '--out', out('resynth.wav'), '--phase', 'source']),
    await main(['stream', model, vowels, '--out', out('dry.wav'), '--mix', '0']),
    await main(['stream', model, v44, '--out', out('s44.wav')]),
    await main(['resynth', model, v44, '--out', out('r44.wav')]),
  ].map((status) => ({ status, stdout: '', stderr: '', json: null }));
  runs = { streamed: await streamed, resynth, dry, s44, r44 };
});
afterAll(() => {
  fft?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function read(path: string) {
  return decodeWav(readFileSync(path), path);
}
const sc = (a: Float32Array, b: Float32Array) =>
  spectralConvergence(magnitudes(stft.forward(a)), magnitudes(stft.forward(b)))!;

describe('stream', () => {
  it('equals resynth --phase source on the same file, and says its latency', () => {
    for (const r of [runs.streamed, runs.resynth]) expect(r.status, r.stderr).toBe(0);
    const a = read(out('streamed.wav')).channels[0];
    const b = read(out('resynth.wav')).channels[0];
    expect(a).toHaveLength(b.length);
    const figure = sc(b, a);
    console.log(`stream against resynth --phase source: SC ${figure.toFixed(1)} dB`);
    expect(figure).toBeLessThan(-20);
    expect(runs.streamed.json).toMatchObject({
      latencySamples: 512,
      sampleRate: 22050,
      mix: 1,
      level: 'file',
    });
    expect(runs.streamed.json!.latencyMs as number).toBeLessThanOrEqual(29);
  });

  it('--mix 0 gives back the input', () => {
    expect(runs.dry.status, runs.dry.stderr).toBe(0);
    expect(Array.from(read(out('dry.wav')).channels[0])).toEqual(Array.from(read(vowels).channels[0]));
  });

  it('reads and resamples other rates in a stream, close to resynth of the same file', () => {
    for (const r of [runs.s44, runs.r44]) expect(r.status, r.stderr).toBe(0);
    const a = read(out('s44.wav')).channels[0];
    const b = read(out('r44.wav')).channels[0];
    expect(a).toHaveLength(b.length);
    // Two resamplers (a stream's and wavefile's), so not equal: −36 dB here.
    const figure = sc(b, a);
    console.log(`stream against resynth on 44.1 kHz input: SC ${figure.toFixed(1)} dB`);
    expect(figure).toBeLessThan(-20);
  });

  it('refuses bad input and arguments with exit 2 and one line naming the reason', async () => {
    const text = out('notes.wav');
    writeFileSync(text, 'not audio');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    try {
      expect(await main(['stream', model, text, '--out', out('x.wav')])).toBe(2);
      expect(await main(['stream', model, vowels, '--out', out('x.wav'), '--offset', 'sideways:1'])).toBe(2);
      expect(await main(['stream', model, vowels, '--out', vowels])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(lines.join('')).toContain(`${text}: not a wav file`);
    expect(lines.join('')).toMatch(/--offset: expected/);
    expect(lines.join('')).toMatch(/overwrite the input/);
  });
});
