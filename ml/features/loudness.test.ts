import { describe, expect, it } from 'vitest';
import { loudnessDb, matchLoudness } from './loudness.js';

const sine = (seconds: number, amp: number, hz = 440, rate = 22050) =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate),
  );

describe('loudness', () => {
  it('is the RMS in dBFS of a steady tone', () => {
    // A sine of amplitude 0.5 has an RMS of 0.5/√2: −9.03 dBFS.
    expect(loudnessDb(sine(1, 0.5))).toBeCloseTo(-9.03, 1);
  });

  it('ignores pauses and passages far below the loudest block', () => {
    const tone = sine(1, 0.5);
    const withSilence = new Float32Array(tone.length * 3);
    withSilence.set(tone, tone.length);
    const withHum = withSilence.map((v, i) => (v === 0 ? 0.001 * Math.sin(i) : v));
    // Within 0.2 dB: the blocks where the tone starts and stops are partly silent.
    expect(Math.abs(loudnessDb(withSilence) - loudnessDb(tone))).toBeLessThan(0.2);
    expect(Math.abs(loudnessDb(withHum) - loudnessDb(tone))).toBeLessThan(0.2);
    // 20 dB down is within the gate: it counts.
    const twoLevels = new Float32Array([...sine(1, 0.5), ...sine(1, 0.05)]);
    expect(loudnessDb(twoLevels)).toBeLessThan(loudnessDb(tone) - 2);
  });

  it('pools files: each gated on its own', () => {
    const loud = sine(1, 0.5);
    const quiet = sine(1, 0.005); // 40 dB down: its own file, so it counts
    expect(loudnessDb([loud, quiet])).toBeCloseTo(loudnessDb(loud) - 3.01, 1);
    expect(loudnessDb(new Float32Array(1000))).toBe(-Infinity);
  });

  it('matches a target loudness without pushing peaks past −1 dBFS', () => {
    const x = sine(1, 0.01);
    matchLoudness(x, -20);
    expect(loudnessDb(x)).toBeCloseTo(-20, 2);
    const y = sine(1, 0.01);
    matchLoudness(y, 0); // would need a peak of 1.41
    expect(Math.max(...y)).toBeCloseTo(10 ** (-1 / 20), 3);
    const silent = new Float32Array(100);
    expect(matchLoudness(silent, -20)).toBe(1);
  });
});
