import { beforeAll, describe, expect, it } from 'vitest';
import { harmonicTone, noise } from '../../test/signals.js';
import { DEFAULT_FRAME_SETTINGS as S } from '../features/settings.js';
import { createRealFft } from './fft.js';
import { griffinLim } from './griffinlim.js';
import { spectralConvergence } from './metrics.js';
import { RtPghi, pghi, phaseVocoder, rtpghi } from './pghi.js';
import { Stft, magnitudes, polar } from './stft.js';

let stft: Stft;
beforeAll(async () => {
  stft = new Stft(await createRealFft(S.windowSize), S);
});

/** SC (dB) of the audio made from `tone`'s magnitudes with the given phase. */
function scWithPhase(x: Float32Array, phase: (m: ReturnType<typeof magnitudes>) => Float32Array): number {
  const target = magnitudes(stft.forward(x));
  const y = stft.inverse(polar(target, phase(target)), x.length);
  return spectralConvergence(target, magnitudes(stft.forward(y)))!;
}

const tone = harmonicTone(220, S.sampleRate, 22050);

describe('phase from magnitude', () => {
  it('PGHI and RTPGHI beat a phase vocoder by far on a harmonic tone', () => {
    const pv = scWithPhase(tone, (m) => phaseVocoder(m, S));
    const offline = scWithPhase(tone, (m) => pghi(m, S));
    const live = scWithPhase(tone, (m) => rtpghi(m, S));
    expect(pv).toBeGreaterThan(-10);
    expect(offline).toBeLessThan(pv - 15);
    expect(live).toBeLessThan(pv - 15);
  });

  it('PGHI finds the phase advance of a stationary sinusoid', () => {
    // 1000 Hz: per hop the phase advances 2π·1000·128/22050 at the peak bin.
    const x = new Float32Array(8192).map((_, i) => Math.sin((2 * Math.PI * 1000 * i) / S.sampleRate));
    const m = magnitudes(stft.forward(x));
    const p = pghi(m, S);
    const bin = Math.round((1000 * 512) / S.sampleRate);
    const expected = (2 * Math.PI * 1000 * 128) / S.sampleRate;
    const got = p[21 * m.bins + bin] - p[20 * m.bins + bin];
    const wrapped = Math.atan2(Math.sin(got - expected), Math.cos(got - expected));
    expect(Math.abs(wrapped)).toBeLessThan(0.05);
  });

  it('RtPghi answers with one frame of delay, and repeats with a seed', () => {
    const m = magnitudes(stft.forward(noise(4096, 0.3, 2)));
    const frame = (f: number) => m.data.subarray(f * m.bins, (f + 1) * m.bins);
    const rt = new RtPghi(S, { seed: 3 });
    expect(rt.push(frame(0))).toBeNull();
    const first = rt.push(frame(1));
    expect(first).toHaveLength(257);
    expect(rt.push(frame(2))).toHaveLength(257);
    expect(rt.finish()).toHaveLength(257);
    expect(rt.finish()).toBeNull();
    expect(Array.from(rtpghi(m, S, { seed: 3 }).subarray(0, 257))).toEqual(Array.from(first!));
  });

  it('silence gets phase without NaN', () => {
    const m = magnitudes(stft.forward(new Float32Array(2048)));
    expect(pghi(m, S).every(Number.isFinite)).toBe(true);
    expect(rtpghi(m, S).every(Number.isFinite)).toBe(true);
  });
});

describe('Griffin-Lim', () => {
  const target = () => magnitudes(stft.forward(tone));
  const sc = (y: Float32Array) => spectralConvergence(target(), magnitudes(stft.forward(y)))!;

  it('improves with iterations and repeats with the same seed', () => {
    const few = griffinLim(target(), tone.length, stft, { iterations: 2, seed: 1 });
    const many = griffinLim(target(), tone.length, stft, { iterations: 32, seed: 1 });
    expect(sc(many)).toBeLessThan(sc(few) - 5);
    expect(griffinLim(target(), tone.length, stft, { iterations: 32, seed: 1 })).toEqual(many);
    expect(griffinLim(target(), tone.length, stft, { iterations: 32, seed: 2 })).not.toEqual(many);
  });

  it('starting from PGHI beats starting from random phase', () => {
    const random = sc(griffinLim(target(), tone.length, stft, { iterations: 16 }));
    const warm = sc(
      griffinLim(target(), tone.length, stft, { iterations: 16, initialPhase: pghi(target(), S) }),
    );
    expect(warm).toBeLessThan(random - 2);
  });

  it('stops at the next iteration when cancelled, and reports progress', () => {
    const controller = new AbortController();
    const seen: number[] = [];
    expect(() =>
      griffinLim(target(), tone.length, stft, {
        iterations: 32,
        signal: controller.signal,
        onProgress: (done) => {
          seen.push(done);
          if (done === 3) controller.abort();
        },
      }),
    ).toThrow(/abort/i);
    expect(seen).toEqual([1, 2, 3]);
  });
});
