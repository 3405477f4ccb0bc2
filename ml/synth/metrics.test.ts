import { expect, it } from 'vitest';
import { logSpectralDistance, spectralConvergence } from './metrics.js';

const plane = (data: number[]) => ({ frames: data.length / 2, bins: 2, data: Float32Array.from(data) });

it('spectral convergence is the relative error in dB', () => {
  const target = plane([1, 2, 3, 4]);
  expect(spectralConvergence(target, plane([0.5, 1, 1.5, 2]))).toBeCloseTo(20 * Math.log10(0.5), 4);
  expect(spectralConvergence(target, plane([1, 2, 3, 4]))!).toBeLessThan(-200);
  expect(spectralConvergence(plane([0, 0]), plane([1, 1]))).toBeNull();
});

it('log-spectral distance of a spectrum twice as loud is 6.02 dB', () => {
  expect(logSpectralDistance(plane([1, 2, 3, 4]), plane([2, 4, 6, 8]))).toBeCloseTo(6.0206, 3);
  expect(logSpectralDistance(plane([0, 0]), plane([1, 1]))).toBeNull();
});

it('refuses spectrograms of different widths', () => {
  expect(() => spectralConvergence(plane([1, 2]), { frames: 1, bins: 1, data: Float32Array.of(1) })).toThrow(
    /bins/,
  );
});
