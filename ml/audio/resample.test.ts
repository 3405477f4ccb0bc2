import { describe, expect, it } from 'vitest';
import { resample } from './resample.js';
import { db, peakHz, rms, sine, spectrum } from '../../test/audio-testing.js';

describe('resample', () => {
  it('keeps a 5 kHz sine at 5 kHz and its amplitude, 44.1 -> 22.05 kHz', () => {
    const y = resample(sine(5000, 44100, 44100), 44100, 22050);
    expect(y).toHaveLength(22050);
    expect(peakHz(y, 22050, 4410)).toBe(5000);
    expect(spectrum(y, 22050, 4410)[500]).toBeCloseTo(0.5, 3);
  });

  it.each([11600, 15000])('leaves less than -60 dB of a %i Hz sine, above the new Nyquist', (hz) => {
    const y = resample(sine(hz, 44100, 44100), 44100, 22050);
    // Everything that is left is aliasing; the ends, where the filters start up, are skipped.
    const aliased = rms(y.subarray(1000, y.length - 1000)) / (0.5 / Math.SQRT2);
    expect(db(aliased)).toBeLessThan(-60);
  });

  it('keeps a 5 kHz sine when upsampling 16 -> 22.05 kHz, with no image at 11 kHz', () => {
    const y = resample(sine(5000, 16000, 16000), 16000, 22050);
    expect(y).toHaveLength(22050);
    const s = spectrum(y, 22050, 4410);
    expect(peakHz(y, 22050, 4410)).toBe(5000);
    expect(s[500]).toBeCloseTo(0.5, 3);
    expect(db(s[1100] / 0.5)).toBeLessThan(-60);
  });

  it.each([
    [44100, 22050],
    [48000, 22050],
    [96000, 22050],
    [8000, 22050],
  ])('keeps samples on the new time grid to the end of the file, %i -> %i Hz', (from, to) => {
    // A drift of one input sample would put the last periods of this 300 Hz sine off by
    // 2π·300/from radians, an error of several percent of its amplitude.
    const y = resample(sine(300, from, 3 * from), from, to);
    const ideal = sine(300, to, y.length);
    let worst = 0;
    for (let i = to; i < y.length - to / 10; i++) worst = Math.max(worst, Math.abs(y[i] - ideal[i]));
    expect(worst).toBeLessThan(0.002);
  });

  it.each([
    [1001, 44100, 22050, 501],
    [1000, 48000, 22050, 459],
    [777, 8000, 22050, 2142],
    [1, 44100, 22050, 1],
    [0, 44100, 22050, 0],
  ])('gives round(length·to/from) samples: %i at %i -> %i Hz is %i', (length, from, to, expected) => {
    expect(expected).toBe(Math.round((length * to) / from));
    expect(resample(sine(440, from, length), from, to)).toHaveLength(expected);
  });

  it('returns a copy at the same rate', () => {
    const x = sine(440, 22050, 1000);
    const y = resample(x, 22050, 22050);
    expect(y).toEqual(x);
    y[0] = 1;
    expect(x[0]).toBe(0);
  });

  it('refuses rates that are not positive whole numbers', () => {
    expect(() => resample(new Float32Array(10), 0, 22050)).toThrow(RangeError);
    expect(() => resample(new Float32Array(10), 44100, 22050.5)).toThrow(/toRate/);
  });
});
