import { describe, expect, it } from 'vitest';
import { densityImage, subsample } from './map-density.js';
import { syntheticMap } from './map-synthetic.js';

describe('density layer', () => {
  it('counts every point in a bin over the data, with the mean colour, more opaque where fuller', () => {
    // Three red points at (0, 0), one blue at (1, 1).
    const xs = Float32Array.of(0, 0, 0, 1);
    const ys = Float32Array.of(0, 0, 0, 1);
    const rgba = Uint8Array.of(255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255);
    const d = densityImage(xs, ys, rgba, 8);
    expect(d.peak).toBe(3);
    expect(d.x0).toBeLessThan(0);
    expect(d.x1).toBeGreaterThan(1);
    expect(d.width).toBe(8);
    expect(d.height).toBe(8);
    // (0, 0) is the bottom-left bin, (1, 1) the top-right one.
    const bottomLeft = 4 * (7 * d.width);
    const topRight = 4 * (d.width - 1);
    expect([...d.rgba.subarray(bottomLeft, bottomLeft + 4)]).toEqual([255, 0, 0, 255]);
    expect([...d.rgba.subarray(topRight, topRight + 3)]).toEqual([0, 0, 255]);
    expect(d.rgba[topRight + 3]).toBeLessThan(255);
    expect(d.rgba[topRight + 3]).toBeGreaterThan(0);
    let filled = 0;
    for (let b = 0; b < d.width * d.height; b++) if (d.rgba[4 * b + 3] > 0) filled++;
    expect(filled).toBe(2);
  });

  it('keeps square bins for a wide cloud and puts every point of a large map in a bin', () => {
    const map = syntheticMap(50_000, 5, 2);
    const rgba = new Uint8Array(4 * 50_000).fill(200);
    const d = densityImage(map.p1, map.p2, rgba, 128);
    expect((d.x1 - d.x0) / d.width).toBeCloseTo((d.y1 - d.y0) / d.height, 9);
    expect(Math.max(d.width, d.height)).toBe(128);
    const outside = map.p1.filter((x, i) => !(x > d.x0 && x < d.x1 && map.p2[i] > d.y0 && map.p2[i] < d.y1));
    expect(outside.length).toBe(0);
    let binned = 0;
    for (let b = 0; b < d.width * d.height; b++) if (d.rgba[4 * b + 3] > 0) binned++;
    expect(binned).toBeGreaterThan(100);
  });
});

describe('subsample', () => {
  it('draws distinct indices from every part of the set, ascending, the same for the same seed', () => {
    const picked = subsample(100_000, 5_000, 3);
    expect(picked.length).toBe(5_000);
    expect(new Set(picked).size).toBe(5_000);
    expect(picked.every((v, i) => i === 0 || v > picked[i - 1])).toBe(true);
    // Each tenth of the set (a map's sources come one after another) gets about a tenth of the sample.
    for (let part = 0; part < 10; part++) {
      const k = picked.filter((i) => Math.floor(i / 10_000) === part).length;
      expect(k).toBeGreaterThan(400);
      expect(k).toBeLessThan(600);
    }
    expect(subsample(100_000, 5_000, 3)).toEqual(picked);
    expect(subsample(10, 20)).toEqual(Uint32Array.from({ length: 10 }, (_, i) => i));
  });
});
