import { describe, expect, it } from 'vitest';
import { resample, Resampler } from './resample.js';
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

  it.each([
    [48000, 22050, 10000],
    [44101, 22050, 5000],
    [22050, 44100, 5000],
  ])('%i -> %i Hz keeps a %i Hz sine at its amplitude', (from, to, hz) => {
    // 44101 Hz has no small ratio to 22050: its phases are interpolated from a finer table.
    const y = resample(sine(hz, from, from), from, to);
    const s = spectrum(y, to, to / 10);
    expect(peakHz(y, to, to / 10)).toBe(hz);
    // 10 kHz is just inside the passband (91 % of the new Nyquist, 10,033 Hz).
    expect(s[Math.round(hz / 10)]).toBeCloseTo(0.5, 3);
  });

  it.each([
    [48000, 11200],
    [44101, 11600],
    [96000, 30000],
  ])('%i -> 22050 Hz leaves less than -90 dB of a %i Hz sine', (from, hz) => {
    const y = resample(sine(hz, from, from), from, 22050);
    const aliased = rms(y.subarray(1000, y.length - 1000)) / (0.5 / Math.SQRT2);
    expect(db(aliased)).toBeLessThan(-90);
  });

  it('streams: blocks of any size give the one-shot result, sample for sample', () => {
    const x = sine(440, 48000, 150_000);
    for (let i = 0; i < x.length; i++) x[i] += 0.1 * Math.sin(i * 0.37);
    const whole = resample(x, 48000, 22050);
    for (const size of [1, 7, 1000, 65536, 70_001]) {
      const r = new Resampler(48000, 22050);
      const out = new Float32Array(whole.length + 1);
      let n = 0;
      const take = (y: Float32Array) => {
        out.set(y, n);
        n += y.length;
      };
      for (let at = 0; at < x.length; at += size) take(r.push(x.subarray(at, at + size)));
      take(r.end());
      expect(n, `blocks of ${size}`).toBe(whole.length);
      expect(
        out.subarray(0, n).every((v, i) => v === whole[i]),
        `blocks of ${size}`,
      ).toBe(true);
    }
  });

  it('runs its dot products in WebAssembly SIMD here, and refuses to be used after end', () => {
    const r = new Resampler(48000, 22050);
    expect(r.implementation).toBe('wasm-simd');
    r.end();
    expect(() => r.push(new Float32Array(1))).toThrow(/after end/);
    expect(new Resampler(22050, 22050).implementation).toBeNull();
  });

  it('gives the same samples from its plain JavaScript fallback, to float32 rounding', () => {
    const x = sine(3000, 44101, 20_000);
    const js = new Resampler(44101, 22050, { simd: false });
    expect(js.implementation).toBe('js');
    const a = resample(x, 44101, 22050);
    const b = Float32Array.from([...js.push(x), ...js.end()]);
    expect(b).toHaveLength(a.length);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-6);
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
