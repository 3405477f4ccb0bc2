import { describe, expect, it } from 'vitest';
import { HALF_WIDTH, SincKernel } from './sinc-kernel.js';

/** A sine at `f` Hz read at `outRate` from `inRate`: its gain, and the level of its image (dB). */
function response(f: number, inRate: number, outRate: number): { gainDb: number; imageDb: number } {
  const kernel = new SincKernel(inRate, outRate);
  const input = new Float32Array(1200 + Math.ceil((4096 * inRate) / outRate));
  for (let i = 0; i < input.length; i++) input[i] = Math.sin((2 * Math.PI * f * i) / inRate);
  const m = 4096;
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) y[i] = kernel.read(input, 0, 1000 + (i * inRate) / outRate);
  const level = (g: number) => {
    let re = 0;
    let im = 0;
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / m);
      re += w * y[i] * Math.cos((2 * Math.PI * g * i) / outRate);
      im += w * y[i] * Math.sin((2 * Math.PI * g * i) / outRate);
      sum += w;
    }
    return 20 * Math.log10((2 * Math.hypot(re, im)) / sum + 1e-12);
  };
  return { gainDb: level(f), imageDb: level(inRate - f) };
}

describe('SincKernel', () => {
  it('reads a 22.05 kHz stream at 44.1 and 48 kHz flat to 9.5 kHz, −0.3 dB at 10 kHz', () => {
    for (const out of [44100, 48000]) {
      for (const f of [100, 1000, 5000, 9000, 9500])
        expect(Math.abs(response(f, 22050, out).gainDb)).toBeLessThan(0.01);
      expect(response(10000, 22050, out).gainDb).toBeGreaterThan(-0.35);
    }
  });

  it('keeps the images of upsampling out of the band above 11.5 kHz (more than 75 dB down)', () => {
    for (const out of [44100, 48000])
      for (const f of [1000, 5000, 9000, 10000, 10300, 10550]) {
        const image = 22050 - f;
        expect(image).toBeGreaterThanOrEqual(11500);
        expect(response(f, 22050, out).imageDb, `${f} Hz at ${out}`).toBeLessThan(-75);
      }
  });

  it('has unity gain at DC for every position, and reads a slow signal at whole positions as its samples', () => {
    const kernel = new SincKernel(22050, 48000);
    const ones = new Float32Array(200).fill(1);
    for (let pos = 50; pos < 52; pos += 0.013) expect(kernel.read(ones, 0, pos)).toBeCloseTo(1, 5);
    expect(kernel.half).toBe(HALF_WIDTH);
    const slow = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i * 0.05));
    expect(kernel.read(slow, 0, 100)).toBeCloseTo(slow[100], 3);
    // The buffer's first element may be any input index.
    expect(kernel.read(slow.subarray(40), 40, 100)).toBe(kernel.read(slow, 0, 100));
  });

  it('narrows to the output Nyquist when downsampling', () => {
    const kernel = new SincKernel(48000, 22050);
    expect(kernel.half).toBeGreaterThan(HALF_WIDTH);
    // 15 kHz is above 22.05 kHz's Nyquist: it must not come through as an alias.
    const { gainDb } = response(15000, 48000, 22050);
    expect(gainDb).toBeLessThan(-60);
  });
});
