import { describe, expect, it } from 'vitest';
import { initialView, nearest, pan, rampColours, toData, toScreen, zoomAt } from './map-view.js';

const size = { width: 600, height: 400 };

describe('map view', () => {
  it('maps data to the screen and back, with p2 pointing up', () => {
    const view = { cx: 1, cy: -2, scale: 50 };
    expect(toScreen(view, size, 1, -2)).toEqual([300, 200]);
    expect(toScreen(view, size, 2, -1)).toEqual([350, 150]);
    const [x, y] = toScreen(view, size, 0.3, 0.7);
    const [p1, p2] = toData(view, size, x, y);
    expect(p1).toBeCloseTo(0.3, 10);
    expect(p2).toBeCloseTo(0.7, 10);
  });

  it('shows ±2.5 standard deviations at first', () => {
    const view = initialView([2, 1], size);
    expect(toScreen(view, size, 5, 0)[0]).toBeCloseTo(600, 6);
  });

  it('zooms about the pointer: the point under it stays put', () => {
    const view = { cx: 0, cy: 0, scale: 40 };
    const before = toData(view, size, 450, 120);
    const zoomed = zoomAt(view, size, 450, 120, 2);
    expect(zoomed.scale).toBe(80);
    const after = toData(zoomed, size, 450, 120);
    expect(after[0]).toBeCloseTo(before[0], 10);
    expect(after[1]).toBeCloseTo(before[1], 10);
  });

  it('pans with the drag', () => {
    const moved = pan({ cx: 0, cy: 0, scale: 10 }, 20, -10);
    expect(toScreen(moved, size, 0, 0)).toEqual([320, 190]);
  });

  it('finds the nearest point within a radius', () => {
    const xs = Float32Array.of(0, 1, 5);
    const ys = Float32Array.of(0, 1, 5);
    expect(nearest(xs, ys, 0.9, 0.8)).toBe(1);
    expect(nearest(xs, ys, 3, 3, 0.5)).toBe(-1);
  });

  it('colours a ramp from low to high values', () => {
    const c = rampColours(Float32Array.of(0, 5, 10));
    expect(c[0]).not.toBe(c[2]);
    expect(new Set(c).size).toBe(3);
  });
});
