// The latent map's geometry: data coordinates (p1, p2) to canvas pixels and back, zoom and pan,
// nearest point, and colours. Pure functions, unit-tested (map-view.test.ts).
export interface View {
  /** Data coordinates at the canvas centre. */
  cx: number;
  cy: number;
  /** Pixels per data unit. */
  scale: number;
}

export interface Size {
  width: number;
  height: number;
}

/** A view that shows ±2.5 standard deviations along each axis. */
export function initialView(std: [number, number], size: Size): View {
  const scale = Math.min(
    size.width / (5 * Math.max(std[0], 1e-6)),
    size.height / (5 * Math.max(std[1], 1e-6)),
  );
  return { cx: 0, cy: 0, scale };
}

export function toScreen(view: View, size: Size, p1: number, p2: number): [number, number] {
  return [size.width / 2 + (p1 - view.cx) * view.scale, size.height / 2 - (p2 - view.cy) * view.scale];
}

export function toData(view: View, size: Size, x: number, y: number): [number, number] {
  return [view.cx + (x - size.width / 2) / view.scale, view.cy - (y - size.height / 2) / view.scale];
}

/** Zooms by `factor` keeping the data point under (x, y) where it is on screen. */
export function zoomAt(view: View, size: Size, x: number, y: number, factor: number): View {
  const [px, py] = toData(view, size, x, y);
  const scale = Math.min(1e6, Math.max(1e-3, view.scale * factor));
  return { scale, cx: px - (x - size.width / 2) / scale, cy: py + (y - size.height / 2) / scale };
}

export function pan(view: View, dx: number, dy: number): View {
  return { ...view, cx: view.cx - dx / view.scale, cy: view.cy + dy / view.scale };
}

/** The index of the point nearest to (p1, p2), or -1 if none lies within `radius` data units. */
export function nearest(
  xs: Float32Array,
  ys: Float32Array,
  p1: number,
  p2: number,
  radius = Infinity,
): number {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] - p1) ** 2 + (ys[i] - p2) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** Colours for values: a perceptually ordered ramp from dark blue to yellow, scaled to the 2nd–98th percentiles. */
export function rampColours(values: Float32Array): string[] {
  const sorted = Float32Array.from(values).sort();
  const lo = sorted[Math.round(0.02 * (sorted.length - 1))] ?? 0;
  const hi = sorted[Math.round(0.98 * (sorted.length - 1))] ?? 1;
  const span = hi - lo || 1;
  return Array.from(values, (v) => {
    const t = Math.min(1, Math.max(0, (v - lo) / span));
    return `hsl(${Math.round(250 - 200 * t)} 80% ${Math.round(35 + 30 * t)}%)`;
  });
}

/** Distinct colours for categories (sources). */
export function categoryColour(index: number): string {
  return `hsl(${Math.round((index * 137.508) % 360)} 70% 60%)`;
}
