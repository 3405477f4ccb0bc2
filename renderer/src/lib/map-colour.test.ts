import { describe, expect, it } from 'vitest';
import { categoryRgb, colourMap, quantileRange, rampRgb } from './map-colour.js';

const map = {
  sources: ['a.wav', 'b.wav', 'gone.wav'],
  source: Uint16Array.of(0, 0, 1, 1, 1, 2),
  missing: ['gone.wav'],
  loudness: Float32Array.of(1, 2, 3, 4, 5, 6),
  centroidHz: Float32Array.of(100, 200, 400, 800, 1600, 3200),
  flatness: Float32Array.of(0, 0.1, 0.2, 0.3, 0.4, NaN),
};
const lightness = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe('map colours and legends', () => {
  it('ramps from dark to light, monotonically, and clamps', () => {
    let last = -1;
    for (let t = 0; t <= 1; t += 0.05) {
      const l = lightness(rampRgb(t));
      expect(l).toBeGreaterThan(last);
      last = l;
    }
    expect(rampRgb(-3)).toEqual(rampRgb(0));
    expect(rampRgb(7)).toEqual(rampRgb(1));
  });

  it('gives each of the first ten sources its own colour', () => {
    const keys = new Set(Array.from({ length: 10 }, (_, i) => categoryRgb(i).join()));
    expect(keys.size).toBe(10);
    expect(categoryRgb(11)).toHaveLength(3);
  });

  it('takes quantiles of the finite values only', () => {
    expect(quantileRange(Float32Array.of(NaN, 5, 1, 3), 0, 1)).toEqual([1, 5]);
    expect(quantileRange(Float32Array.of(NaN))).toEqual([0, 1]);
  });

  it('colours by source with a legend naming each source (renamed ones by their new name), its colour and count', () => {
    const { rgba, legend } = colourMap(map, 'source', { 'b.wav': 'Bells' });
    expect(legend.kind).toBe('sources');
    if (legend.kind !== 'sources') return;
    expect(legend.entries.map((e) => [e.name, e.count, e.missing])).toEqual([
      ['a.wav', 2, false],
      ['Bells', 3, false],
      ['gone.wav', 1, true],
    ]);
    // The legend's colour is the points' colour.
    const [r, g, b] = rgba.subarray(8, 11);
    expect(legend.entries[1].colour).toBe(`rgb(${r} ${g} ${b})`);
    expect(rgba[3]).toBe(255);
  });

  it('dims every source but the one in focus', () => {
    const { rgba } = colourMap(map, 'source', {}, 1);
    expect([rgba[3], rgba[7], rgba[11], rgba[23]]).toEqual([40, 40, 255, 40]);
  });

  it('colours a descriptor along the ramp with a colour bar whose ticks lie on it', () => {
    const { rgba, legend } = colourMap(map, 'centroidHz');
    expect(legend.kind).toBe('ramp');
    if (legend.kind !== 'ramp') return;
    expect(legend.unit).toBe('Hz');
    expect(legend.lo).toBe(100);
    expect(legend.hi).toBe(3200);
    expect(legend.gradient).toMatch(/^linear-gradient\(to right, rgb\(68 1 84\) 0\.0%/);
    expect(legend.ticks.length).toBeGreaterThanOrEqual(2);
    for (const t of legend.ticks) expect(t.at).toBeCloseTo((t.value - 100) / 3100, 10);
    // Brighter sounds, lighter colours.
    expect(lightness([...rgba.subarray(20, 23)])).toBeGreaterThan(lightness([...rgba.subarray(0, 3)]));
    // A missing value gets a colour, not garbage.
    const flat = colourMap(map, 'flatness').rgba;
    expect([...flat.subarray(20, 24)].every(Number.isFinite)).toBe(true);
  });
});
