/**
 * The sound path end to end through the real CLI, on real recordings (espeak-ng speech, fluidsynth
 * instruments, a minute-long file): quality in dB against the figures, alignment, files.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAudioFile } from '../ml/audio/load.js';
import { decodeWav } from '../ml/audio/wav.js';
import { analyze, peakAmplitude } from '../ml/features/analyze.js';
import { fromUnitFrames, toUnitFrames } from '../ml/features/scale.js';
import { DEFAULT_FRAME_SETTINGS as S } from '../ml/features/settings.js';
import { createRealFft } from '../ml/synth/fft.js';
import { spectralConvergence } from '../ml/synth/metrics.js';
import { phaseVocoder } from '../ml/synth/pghi.js';
import { withNyquist } from '../ml/synth/roundtrip.js';
import { Stft, magnitudes, polar } from '../ml/synth/stft.js';
import { type Fixture, instrumentFixture, longSpeechFixture, speechFixture } from './fixtures.js';
import { runCli } from './cli.js';

const out = mkdtempSync(join(tmpdir(), 'vae-roundtrip-'));
let stft: Stft;
beforeAll(async () => {
  stft = new Stft(await createRealFft(S.windowSize), S);
});

/** The baseline RTPGHI must beat: the same frames with a per-bin phase advance (a phase vocoder). */
async function phaseVocoderSc(fixture: Fixture): Promise<number> {
  const x = (await loadAudioFile(fixture.path)).samples;
  const a = analyze(x, S);
  const ref = peakAmplitude(a.amplitude);
  const mag = withNyquist(fromUnitFrames(toUnitFrames(a.amplitude, ref, S.floorDb), ref, S.floorDb), S.bins);
  const y = stft.inverse(polar(mag, phaseVocoder(mag, S)), x.length);
  return spectralConvergence(magnitudes(stft.forward(x)), magnitudes(stft.forward(y)))!;
}

function sc(fixture: Fixture, phase: string): number {
  const r = runCli([
    'roundtrip',
    fixture.path,
    '--out',
    join(out, `${fixture.name}-${phase}.wav`),
    '--phase',
    phase,
    '--json',
  ]);
  expect(r.stderr).not.toMatch(/Error|at .*\.js/);
  expect(r.status).toBe(0);
  return r.json!.spectralConvergenceDb as number;
}

describe.each([
  speechFixture(0),
  speechFixture(1),
  instrumentFixture(0),
  instrumentFixture(1),
  instrumentFixture(2),
])('roundtrip of $name', (fixture) => {
  it('source phase comes back within −50 dB, as 16-bit PCM of the same length and alignment', () => {
    expect(sc(fixture, 'source')).toBeLessThanOrEqual(-50);
    const input = decodeWav(readFileSync(fixture.path), fixture.path);
    const output = decodeWav(readFileSync(join(out, `${fixture.name}-source.wav`)), 'out');
    expect(output.sampleRate).toBe(22050);
    expect(output.bitsPerSample).toBe(16);
    const x =
      input.channels.length === 1
        ? input.channels[0]
        : input.channels[0].map((v, i) => (v + input.channels[1][i]) / 2);
    const y = output.channels[0];
    expect(y.length).toBe(x.length);
    // Cross-correlation around lag 0 peaks at 0: no shift.
    const corr = (lag: number) => {
      let s = 0;
      for (let i = 1000; i < x.length - 1000; i++) s += x[i] * y[i + lag];
      return s;
    };
    expect(corr(0)).toBeGreaterThan(corr(1));
    expect(corr(0)).toBeGreaterThan(corr(-1));
  });

  it('pghi-gl is at least as good as griffinlim (2 dB better on instruments); rtpghi beats a phase vocoder by 6 dB', async () => {
    const gl = sc(fixture, 'griffinlim');
    const pghiGl = sc(fixture, 'pghi-gl');
    const rt = sc(fixture, 'rtpghi');
    expect(gl).toBeLessThan(-17); // torchaudio's Griffin-Lim: about −19 (speech) to −21 (instruments)
    expect(pghiGl).toBeLessThanOrEqual(fixture.kind === 'instrument' ? gl - 2 : gl);
    const pv = await phaseVocoderSc(fixture);
    expect(pv).toBeGreaterThan(-10); // the baseline really is poor (about −7 dB)
    expect(rt).toBeLessThanOrEqual(pv - 6);
  });
});

it('holds up on a minute-long recording', () => {
  const long = longSpeechFixture();
  const r = runCli(['roundtrip', long.path, '--out', join(out, 'long.wav'), '--phase', 'source', '--json']);
  expect(r.status).toBe(0);
  expect(r.json!.durationSeconds as number).toBeGreaterThan(60);
  expect(r.json!.spectralConvergenceDb as number).toBeLessThan(-50);
  expect(sc(long, 'griffinlim')).toBeLessThan(-17);
});

it('pghi alone runs without iterations and reports no iteration count', () => {
  const r = runCli([
    'roundtrip',
    speechFixture(0).path,
    '--out',
    join(out, 'pghi.wav'),
    '--phase',
    'pghi',
    '--json',
  ]);
  expect(r.status).toBe(0);
  expect(r.json!.iterations).toBeNull();
  expect(r.json!.spectralConvergenceDb as number).toBeLessThan(-10);
});
