// Test support for ml/audio/*.test.ts: real fixture files from sox and spectral measurements
// to check them by. Not imported by production code.
import { execFileSync } from 'node:child_process';
import type { Hertz } from '../ml/units.js';

/** Runs sox (the Debian package); dither is off so fixtures are the same on every run. */
export function sox(...args: string[]): void {
  execFileSync('sox', ['-D', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * DFT magnitudes over `rate / resolution` samples from `start`, as sine amplitudes: a sine of
 * amplitude A whose frequency is a multiple of the resolution shows as A in exactly one bin.
 */
export function spectrum(x: Float32Array, rate: Hertz, start = 0, resolution: Hertz = 10): Float64Array {
  const n = rate / resolution;
  if (!Number.isInteger(n) || start + n > x.length) {
    throw new RangeError(`need ${n} samples from ${start}, have ${x.length}`);
  }
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = Math.sin((2 * Math.PI * i) / n);
  }
  const out = new Float64Array(Math.floor(n / 2) + 1);
  for (let k = 1; k < out.length; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0, phase = 0; i < n; i++, phase = (phase + k) % n) {
      re += x[start + i] * cos[phase];
      im -= x[start + i] * sin[phase];
    }
    out[k] = (2 * Math.hypot(re, im)) / n;
  }
  return out;
}

/** The frequency of the strongest bin above DC. */
export function peakHz(x: Float32Array, rate: Hertz, start = 0, resolution: Hertz = 10): Hertz {
  const s = spectrum(x, rate, start, resolution);
  let best = 1;
  for (let k = 2; k < s.length; k++) if (s[k] > s[best]) best = k;
  return best * resolution;
}

export function peak(x: Float32Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  return m;
}

export function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

export function sine(hz: Hertz, rate: Hertz, length: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
}
