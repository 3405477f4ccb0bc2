import { describe, expect, it } from 'vitest';
import { noise } from '../../test/signals.js';
import { createRealFft, type FftImplementation } from './fft.js';

/** The direct DFT, in double precision: the reference both implementations must match. */
function dft(x: Float32Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1);
  const im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    for (let t = 0; t < n; t++) {
      re[k] += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im[k] -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
  }
  return { re, im };
}

describe.each<FftImplementation>(['fft.js', 'pffft'])('%s real FFT', (impl) => {
  it('matches the direct DFT in the packed layout; the inverse gives size·x', async () => {
    const fft = await createRealFft(512, impl);
    expect(fft.implementation.startsWith(impl)).toBe(true);
    const x = noise(512, 1, 7);
    fft.time.set(x);
    fft.forward();
    const { re, im } = dft(x);
    const s = fft.spectrum;
    expect(s[0]).toBeCloseTo(re[0], 3);
    expect(s[1]).toBeCloseTo(re[256], 3);
    for (let k = 1; k < 256; k++) {
      expect(s[2 * k]).toBeCloseTo(re[k], 3);
      expect(s[2 * k + 1]).toBeCloseTo(im[k], 3);
    }
    fft.inverse();
    for (let t = 0; t < 512; t++) expect(fft.time[t] / 512).toBeCloseTo(x[t], 5);
    fft.dispose();
  });

  it('refuses a size that is not a power of two', async () => {
    await expect(createRealFft(500, impl)).rejects.toThrow(/power of two/);
  });
});
