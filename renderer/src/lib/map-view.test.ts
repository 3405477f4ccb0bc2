import { describe, expect, it } from 'vitest';
import {
  FIT_MARGIN_PX,
  fitView,
  pan,
  pointStyle,
  toData,
  toScreen,
  visibleExtent,
  zoomAt,
} from './map-view.js';

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

  it('fits every point inside the margin, centred on the origin, one scale for both axes', () => {
    // Lopsided data: far to the right, a little below; an outlier at (−7, 0.5).
    const xs = Float32Array.of(-7, 0, 3, 9.5, 2);
    const ys = Float32Array.of(0.5, -4, 1, 0, 2.5);
    const view = fitView(xs, ys, size);
    expect(view.cx).toBe(0);
    expect(view.cy).toBe(0);
    for (let i = 0; i < xs.length; i++) {
      const [x, y] = toScreen(view, size, xs[i], ys[i]);
      expect(x).toBeGreaterThanOrEqual(FIT_MARGIN_PX - 1e-6);
      expect(x).toBeLessThanOrEqual(size.width - FIT_MARGIN_PX + 1e-6);
      expect(y).toBeGreaterThanOrEqual(FIT_MARGIN_PX - 1e-6);
      expect(y).toBeLessThanOrEqual(size.height - FIT_MARGIN_PX + 1e-6);
    }
    // The farthest point along x touches the margin: nothing wasted.
    expect(toScreen(view, size, 9.5, 0)[0]).toBeCloseTo(size.width - FIT_MARGIN_PX, 6);
    // Tall data is limited by the height instead.
    const tall = fitView(Float32Array.of(1), Float32Array.of(-10), size);
    expect(toScreen(tall, size, 0, -10)[1]).toBeCloseTo(size.height - FIT_MARGIN_PX, 6);
  });

  it('ignores non-finite coordinates and survives an empty map', () => {
    const view = fitView(Float32Array.of(NaN, 2, Infinity), Float32Array.of(0, 1, 0), size);
    expect(toScreen(view, size, 2, 0)[0]).toBeCloseTo(size.width - FIT_MARGIN_PX, 6);
    expect(Number.isFinite(fitView(new Float32Array(0), new Float32Array(0), size).scale)).toBe(true);
  });

  it('reports the data rectangle on screen', () => {
    const e = visibleExtent({ cx: 1, cy: 2, scale: 100 }, size);
    expect(e).toEqual({ x0: -2, x1: 4, y0: 0, y1: 4 });
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

  it('draws many points small and faint, and lets them grow when zoomed in', () => {
    const few = pointStyle(1_000, 1);
    const lots = pointStyle(200_000, 1);
    expect(lots.diameter).toBeLessThan(few.diameter);
    expect(lots.alpha).toBeLessThan(few.alpha);
    expect(pointStyle(200_000, 16).diameter).toBeGreaterThan(lots.diameter);
    expect(pointStyle(200_000, 1e6).diameter).toBeLessThanOrEqual(9);
    expect(pointStyle(200_000, 0.01)).toEqual(lots);
  });
});
