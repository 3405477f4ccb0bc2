import { describe, expect, it } from 'vitest';
import { harmonicTone, noise, sine } from '../../test/signals.js';
import {
  METRIC,
  type MetricFrames,
  compareFrames,
  dbSpectra,
  flux,
  generationMetrics,
  knnRadii,
  loudness,
  metricFrames,
} from './generation.js';

const RATE = 22050;
const seconds = (s: number) => Math.round(s * RATE);

/** A sine gliding exponentially from f0 to f1: every frame different from the others. */
function glide(f0: number, f1: number, length: number, amplitude = 0.3): Float32Array {
  const x = new Float32Array(length);
  let phase = 0;
  for (let i = 0; i < length; i++) {
    phase += (2 * Math.PI * f0 * (f1 / f0) ** (i / length)) / RATE;
    x[i] = amplitude * Math.sin(phase);
  }
  return x;
}

/** x switched on for `on` samples and off for `off`, repeatedly. */
const gated = (x: Float32Array, on: number, off: number) => x.map((v, i) => (i % (on + off) < on ? v : 0));
const gain = (x: Float32Array, db: number) => x.map((v) => v * 10 ** (db / 20));
const plus = (a: Float32Array, b: Float32Array) => a.map((v, i) => v + b[i]);

/** Tonal material: harmonic tones, a glide and a chord in bursts. */
const TONAL = [
  harmonicTone(220, RATE, seconds(1.5)),
  glide(300, 1200, seconds(1.5)),
  gated(plus(sine(330, RATE, seconds(1.5), 0.2), sine(1320, RATE, seconds(1.5), 0.1)), 4410, 2205),
];
/** The tonal material and bursts of noise. */
const MATERIAL = [...TONAL, gated(noise(seconds(1.5), 0.2, 7), 3000, 3000)];

/** Metric frames whose 256 values all equal one number each (distance = 16 × the difference). */
function flatFrames(values: number[], file: number[] = values.map(() => 0), index?: number[]): MetricFrames {
  const data = new Float32Array(values.length * METRIC.bins);
  values.forEach((v, i) => data.fill(v, i * METRIC.bins, (i + 1) * METRIC.bins));
  return {
    count: values.length,
    data,
    file: Int32Array.from(file),
    index: Int32Array.from(index ?? values.map((_, i) => i)),
  };
}

describe('frames', () => {
  it('are in dB against the material peak, floored at −80, every 4th frame within 50 dB of it', async () => {
    // Half a second of silence, then a tone; then the same tone 60 dB down in a second file.
    const x = new Float32Array(seconds(1));
    x.set(sine((23 * RATE) / 512, RATE, seconds(0.5), 0.5), seconds(0.5));
    const spectra = await dbSpectra([x, gain(x, -60)]);
    const all = spectra.files[0];
    expect(Math.max(...all)).toBeCloseTo(0, 4);
    expect(Math.min(...all)).toBe(METRIC.floorDb);
    // A sine centred on bin 23: its peak |X| is amplitude × the window's sum / 2.
    expect(spectra.peak).toBeCloseTo((0.5 * 255.5) / 2, 0);

    const frames = metricFrames(spectra);
    // Every 4th frame from about where the tone starts (frame f is centred on sample 128·f) to the end:
    // none from the silence, none from the file 60 dB down.
    const last = Math.floor(x.length / 128 / 4);
    const first = frames.index[0];
    expect(first * 512).toBeGreaterThan(seconds(0.5) - 256 - 512);
    expect(first * 512).toBeLessThanOrEqual(seconds(0.5) + 256);
    expect(Array.from(frames.index)).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    expect(frames.file.every((f) => f === 0)).toBe(true);
    expect(frames.data.subarray(0, 256)).toEqual(all.subarray(first * 4 * 256, (first * 4 + 1) * 256));
  });

  it('of generated sounds use the material peak', async () => {
    const material = await dbSpectra(TONAL);
    const louder = await dbSpectra(
      TONAL.map((x) => gain(x, 6)),
      material.peak,
    );
    expect(Math.max(...louder.files[0])).toBeCloseTo(6 + Math.max(...material.files[0]), 3);
  });
});

describe('k-NN balls', () => {
  it('reach the k-th nearest other frame of the same set', () => {
    const frames = flatFrames([0, 1, 3, 6, 10]);
    expect(Array.from(knnRadii(frames, 2))).toEqual([3, 2, 3, 4, 7].map((d) => d * 16));
    expect(Array.from(knnRadii(frames, 1))).toEqual([1, 1, 2, 3, 4].map((d) => d * 16));
    // Fewer frames than k + 1: the farthest other frame.
    expect(Array.from(knnRadii(flatFrames([0, 2]), 5))).toEqual([32, 32]);
  });

  it('make precision and recall as Kynkäänniemi et al. define them (closed balls)', () => {
    // k = 2: the real radii are 2, 1, 1, 2, 2, 1, 1, 2 (× 16).
    const real = flatFrames([0, 1, 2, 3, 10, 11, 12, 13]);
    // 5 is on the edge of 3's ball, 7 in no ball, 8.5 inside 10's.
    const generated = flatFrames([5, 7, 8.5]);
    const { precision, recall } = compareFrames(real, generated, { k: 2 });
    expect(precision).toBeCloseTo(2 / 3, 10);
    // The generated radii are 3.5, 2, 3.5: 5's ball holds real 2 and 3, 7's none, 8.5's 10, 11 and 12
    // (on its edge).
    expect(recall).toBeCloseTo(5 / 8, 10);
  });
});

describe('novelty', () => {
  it('compares against the nearest real frame outside a frame’s own neighbourhood', () => {
    const generated = flatFrames([1]);
    const novelty = (file: number[], index: number[]) =>
      compareFrames(flatFrames([0, 0, 2], file, index), generated).novelty;
    // Two equal frames 8 metric frames apart in one file are neighbours: the nearest real frame
    // outside is 2 away, the generated frame 1 away.
    expect(novelty([0, 0, 1], [0, 8, 0])).toBeCloseTo(0.5, 10);
    // 9 apart, or in different files, they are not: the real frames' median distance becomes 0.
    expect(novelty([0, 0, 1], [0, 9, 0])).toBe(Infinity);
    expect(novelty([0, 1, 2], [0, 0, 0])).toBe(Infinity);
  });

  it('is well above 0 for the material plus a little noise, 0 for the material itself', async () => {
    const replay = await generationMetrics(MATERIAL, MATERIAL);
    expect(replay.novelty).toBe(0);
    const noisy = await generationMetrics(
      MATERIAL,
      MATERIAL.map((x, i) => plus(x, noise(x.length, 0.003, 100 + i))),
    );
    expect(noisy.novelty).toBeGreaterThan(0.5);
  });
});

describe('generation metrics on known signals', () => {
  it('the material against itself: precision = recall = 1, novelty 0, same loudness and flux', async () => {
    const m = await generationMetrics(MATERIAL, MATERIAL);
    expect(m.precision).toBe(1);
    expect(m.recall).toBe(1);
    expect(m.novelty).toBe(0);
    expect(m.loudness.difference).toBe(0);
    expect(m.flux.ratio).toBe(1);
    expect(m.frames.generated).toBe(m.frames.material);
    expect(m.frames.material).toBeGreaterThan(200);
  });

  it('a copy 20 dB quieter: loudness −20 dB and lower precision', async () => {
    const m = await generationMetrics(
      MATERIAL,
      MATERIAL.map((x) => gain(x, -20)),
    );
    expect(m.loudness.difference).toBeCloseTo(-20, 1);
    expect(Math.abs(m.loudness.difference + 20)).toBeLessThan(0.1);
    expect(m.precision).toBeLessThan(0.75);
  });

  it('white noise against tonal material: precision ≈ 0', async () => {
    const m = await generationMetrics(TONAL, [noise(seconds(3), 0.3, 3)]);
    expect(m.frames.generated).toBeGreaterThan(100);
    expect(m.precision).toBeLessThan(0.02);
    expect(m.recall).toBeLessThan(0.02);
  });

  it('half of the material: recall about ½, precision stays high', async () => {
    // Four instruments apart in pitch, all the same length; the generated set replays two of them.
    const material = [110, 175, 277, 440].map((f) => harmonicTone(f, RATE, seconds(1.5)));
    const m = await generationMetrics(material, material.slice(0, 2));
    expect(m.precision).toBeGreaterThan(0.95);
    expect(m.recall).toBeGreaterThan(0.4);
    expect(m.recall).toBeLessThan(0.6);
  });
});

describe('loudness', () => {
  // Ten periods in each 512-sample block: every block's mean square is exactly a² / 2.
  const tone = (amplitude: number, blocks = 43) => sine((10 * RATE) / 512, RATE, blocks * 512, amplitude);
  const level = (amplitude: number) => 20 * Math.log10(amplitude / Math.SQRT2);
  const join = (...parts: Float32Array[]) => {
    const x = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (x.set(p, o), o + p.length), 0);
    return x;
  };

  it('is the RMS in dBFS: a full-scale sine is −3.01', () => {
    expect(loudness(tone(1))).toBeCloseTo(-3.0103, 3);
    expect(loudness(sine(440, RATE, seconds(1)))).toBeCloseTo(-3.0103, 2);
  });

  it('counts the blocks within 30 dB of the loudest block only', () => {
    expect(loudness(join(tone(0.5), tone(0.005)))).toBeCloseTo(level(0.5), 3);
    // 20 dB down: counted, at a hundredth of the power.
    expect(loudness(join(tone(0.5), tone(0.05)))).toBeCloseTo(level(0.5) + 10 * Math.log10(1.01 / 2), 3);
    // Silence does not count either.
    expect(loudness(join(tone(0.5), new Float32Array(43 * 512)))).toBeCloseTo(level(0.5), 3);
  });

  it('of a set pools the blocks of its files, each gated against its own loudest block', () => {
    // The quiet file's blocks count (40 dB under the other file, but not under its own loudest).
    expect(loudness([tone(0.5), tone(0.005)])).toBeCloseTo(level(0.5) + 10 * Math.log10(1.0001 / 2), 3);
    // Pooled by block: a file three times as long weighs three times as much.
    expect(loudness([tone(0.5, 129), tone(0.05)])).toBeCloseTo(level(0.5) + 10 * Math.log10(3.01 / 4), 3);
  });

  it('is 20 dB lower for a copy 20 dB quieter', () => {
    const set = [harmonicTone(220, RATE, seconds(1)), noise(seconds(0.7), 0.2)];
    expect(loudness(set.map((x) => gain(x, -20))) - loudness(set)).toBeCloseTo(-20, 3);
  });
});

describe('flux', () => {
  it('of a steady tone is ≈ 0 dB; of tones alternating frame by frame, large', async () => {
    const steady = flux(await dbSpectra([sine(440, RATE, seconds(2), 0.5)]));
    // Each metric frame (centred on 512·m, 512 long) sees one tone only, the next frame the other.
    const alternating = new Float32Array(seconds(2));
    for (let i = 0; i < alternating.length; i++) {
      const f = Math.floor((i + 256) / 512) % 2 ? 440 : 1760;
      alternating[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / RATE);
    }
    const moving = flux(await dbSpectra([alternating]));
    expect(steady).toBeLessThan(1);
    expect(moving).toBeGreaterThan(10);
  });

  it('leaves out pairs of silent frames', async () => {
    // Tone bursts in silence: with the silent pairs the median would be 0.
    const bursts = gated(sine(440, RATE, seconds(2), 0.5), 1024, 3072);
    expect(flux(await dbSpectra([bursts]))).toBeGreaterThan(10);
  });
});
