import { beforeAll, describe, expect, it } from 'vitest';
import { noise, rmsDb } from '../../test/signals.js';
import { analyze } from '../features/analyze.js';
import { DEFAULT_FRAME_SETTINGS as S } from '../features/settings.js';
import { createRealFft } from './fft.js';
import { Stft, magnitudes } from './stft.js';

let stft: Stft;
beforeAll(async () => {
  stft = new Stft(await createRealFft(S.windowSize), S);
});

describe('Stft', () => {
  it('uses the window meyda analyses with: magnitudes agree bin for bin', () => {
    const x = noise(5000, 0.5, 11);
    const ours = magnitudes(stft.forward(x));
    const theirs = analyze(x, S).amplitude;
    expect(ours.frames).toBe(1 + Math.floor(5000 / 128));
    for (let f = 0; f < ours.frames; f++) {
      for (let k = 0; k < S.bins; k++) {
        expect(ours.data[f * ours.bins + k]).toBeCloseTo(theirs[f * S.bins + k], 3);
      }
    }
  });

  it('inverts its own transform to the sample, at the input length', () => {
    for (const length of [512, 4000, 4097]) {
      const x = noise(length, 0.8, length);
      const y = stft.inverse(stft.forward(x), length);
      expect(y.length).toBe(length);
      expect(rmsDb(x, y) - rmsDb(x)).toBeLessThan(-100);
    }
  });

  it('keeps an impulse where it was (no shift)', () => {
    const x = new Float32Array(3000);
    x[1234] = 1;
    const y = stft.inverse(stft.forward(x), x.length);
    let peak = 0;
    for (let i = 1; i < y.length; i++) if (Math.abs(y[i]) > Math.abs(y[peak])) peak = i;
    expect(peak).toBe(1234);
    expect(y[1234]).toBeCloseTo(1, 4);
  });

  it('refuses a spectrogram that does not fit the length', () => {
    const spec = stft.forward(new Float32Array(1000));
    expect(() => stft.inverse(spec, 2000)).toThrow(/cannot make 2000 samples/);
  });
});
