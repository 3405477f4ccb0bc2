import { expect, it } from 'vitest';
import { noise, sine } from '../../test/signals.js';
import { analyze, peakAmplitude } from './analyze.js';
import { DEFAULT_FRAME_SETTINGS as S } from './settings.js';

const binHz = S.sampleRate / S.windowSize;

it('puts a sine in its bin at the amplitude the window predicts', () => {
  // Bin-centred at bin 40, amplitude 0.5: |X| = A·Σw/2, and the symmetric Hann sums to (N−1)/2.
  const a = analyze(sine(40 * binHz, S.sampleRate, 8192, 0.5), S);
  expect(a.frames).toBe(1 + 8192 / 128);
  const f = 30; // a frame well inside the signal
  const frame = a.amplitude.subarray(f * S.bins, (f + 1) * S.bins);
  const peakBin = frame.indexOf(Math.max(...frame));
  expect(peakBin).toBe(40);
  expect(frame[40]).toBeCloseTo((0.5 * 255.5) / 2, 1);
  // Far from the sine the Hann sidelobes are more than 80 dB down.
  expect(20 * Math.log10(frame[120] / frame[40])).toBeLessThan(-80);
});

it('phase follows the sine: one hop advances bin 40 by 2π·40·128/512', () => {
  const a = analyze(sine(40 * binHz, S.sampleRate, 8192, 0.5), S, { phase: true });
  const p = a.phase!;
  const step = (p[31 * S.bins + 40] - p[30 * S.bins + 40] + 4 * Math.PI) % (2 * Math.PI);
  expect(step).toBeCloseTo(((2 * Math.PI * 40 * 128) / 512) % (2 * Math.PI), 3);
});

it('describes frames: centroid in Hz, flatness, rms and loudness', () => {
  const tone = analyze(sine(2000, S.sampleRate, 8192, 0.5), S, { descriptors: true }).descriptors!;
  const hiss = analyze(noise(8192, 0.5, 5), S, { descriptors: true }).descriptors!;
  const quiet = analyze(new Float32Array(8192), S, { descriptors: true }).descriptors!;
  expect(tone.centroidHz[30]).toBeGreaterThan(1900);
  expect(tone.centroidHz[30]).toBeLessThan(2100);
  expect(hiss.centroidHz[30]).toBeGreaterThan(4500); // white noise: about a quarter of the rate
  expect(tone.flatness[30]).toBeLessThan(0.1);
  expect(hiss.flatness[30]).toBeGreaterThan(0.5);
  expect(hiss.loudness[30]).toBeGreaterThan(tone.loudness[30] * 0.5);
  expect(quiet.rms[30]).toBe(0);
  expect(quiet.centroidHz[30]).toBe(0);
  expect(tone.rms[30]).toBeGreaterThan(0.1);
});

it('finds the peak amplitude used as the round-trip reference', () => {
  expect(peakAmplitude(Float32Array.of(0.1, 3, 2))).toBe(3);
});
