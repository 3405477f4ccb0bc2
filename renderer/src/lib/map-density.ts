// What keeps a map of many points readable and fast: a density layer (a histogram of the points
// over the data's extent, each bin in the mean colour of its points, more opaque where there are
// more) drawn under the points, and an even subsample for renderers that cannot draw every point
// each frame (canvas 2D). Pure functions, unit-tested (map-density.test.ts).

export interface Density {
  /** Bins across and down; row 0 is the top (highest p2), as on screen. */
  width: number;
  height: number;
  /** RGBA per bin, not premultiplied. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  /** The data rectangle the bins cover. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Points in the fullest bin. */
  peak: number;
}

/**
 * Bins the points into at most `bins` × `bins` cells over their bounding box (square cells, so the
 * layer is not stretched). A bin's opacity grows with the logarithm of its count: one point is
 * faint, the fullest bin opaque.
 */
export function densityImage(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  rgba: ArrayLike<number>,
  bins = 256,
): Density {
  const n = xs.length;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    x0 = Math.min(x0, xs[i]);
    x1 = Math.max(x1, xs[i]);
    y0 = Math.min(y0, ys[i]);
    y1 = Math.max(y1, ys[i]);
  }
  if (x0 > x1) [x0, x1, y0, y1] = [0, 1, 0, 1];
  const cell = Math.max(x1 - x0, y1 - y0, 1e-9) / (bins - 1);
  const width = Math.max(1, Math.floor((x1 - x0) / cell) + 1);
  const height = Math.max(1, Math.floor((y1 - y0) / cell) + 1);
  // The grid is a little larger than the data (by at most a cell): centre it on the data, so the
  // extreme points lie inside their bins on both sides.
  const padX = (width * cell - (x1 - x0)) / 2;
  const padY = (height * cell - (y1 - y0)) / 2;
  x0 -= padX;
  y0 -= padY;
  x1 = x0 + width * cell;
  y1 = y0 + height * cell;
  const count = new Uint32Array(width * height);
  const sum = new Float64Array(3 * width * height);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    const c = Math.min(width - 1, Math.max(0, Math.floor((xs[i] - x0) / cell)));
    const r = Math.min(height - 1, Math.max(0, Math.floor((y1 - ys[i]) / cell)));
    const b = r * width + c;
    count[b]++;
    sum[3 * b] += rgba[4 * i];
    sum[3 * b + 1] += rgba[4 * i + 1];
    sum[3 * b + 2] += rgba[4 * i + 2];
  }
  let peak = 0;
  for (let b = 0; b < count.length; b++) peak = Math.max(peak, count[b]);
  const out = new Uint8ClampedArray(4 * width * height);
  const norm = Math.log1p(peak) || 1;
  for (let b = 0; b < count.length; b++) {
    const k = count[b];
    if (k === 0) continue;
    out[4 * b] = sum[3 * b] / k;
    out[4 * b + 1] = sum[3 * b + 1] / k;
    out[4 * b + 2] = sum[3 * b + 2] / k;
    out[4 * b + 3] = 40 + 215 * (Math.log1p(k) / norm);
  }
  return { width, height, rgba: out, x0, x1, y0, y1, peak };
}

/**
 * `count` distinct indices of `n`, evenly spread over the whole set whatever its order (a seeded
 * shuffle, so the sources, stored one after another, are all in it), ascending. All of them when
 * count ≥ n.
 */
export function subsample(n: number, count: number, seed = 1): Uint32Array {
  if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let state = seed >>> 0 || 1;
  // A partial Fisher–Yates shuffle with xorshift32: only the first `count` places are drawn.
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const j = i + (state % (n - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order.slice(0, count).sort();
}
