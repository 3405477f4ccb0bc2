// The latent map's geometry: data coordinates (p1, p2) to canvas pixels and back, the fit-to-data
// view, zoom and pan, and how big points are drawn. Pure functions, unit-tested (map-view.test.ts).
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

/** What is being heard, marked on the map: a training frame (and the stretch around it) or a point of the plane. */
export type MapPlaying =
  | { kind: 'frame'; index: number; label?: string }
  | { kind: 'point'; p1: number; p2: number; label?: string };

/** The map's background (RGB), under the points and the density layer. */
export const MAP_BACKGROUND: [number, number, number] = [17, 19, 26];

/** Pixels kept free around the data in the fitted view (tick labels sit there). */
export const FIT_MARGIN_PX = 28;

/**
 * The view that shows every point: centred on the data mean (the plane's origin, where the axes
 * cross, so the middle of the map is the average sound), scaled so that the point farthest from
 * it along either axis still lies `margin` pixels inside the edge. One scale for both axes:
 * distances on the map are distances in the plane.
 */
export function fitView(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  size: Size,
  margin = FIT_MARGIN_PX,
): View {
  let ax = 0;
  let ay = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = Math.abs(xs[i]);
    const y = Math.abs(ys[i]);
    if (x > ax && Number.isFinite(x)) ax = x;
    if (y > ay && Number.isFinite(y)) ay = y;
  }
  const w = Math.max(1, size.width / 2 - margin);
  const h = Math.max(1, size.height / 2 - margin);
  const scale = Math.min(w / Math.max(ax, 1e-6), h / Math.max(ay, 1e-6));
  return { cx: 0, cy: 0, scale: Math.min(1e6, scale) };
}

export function toScreen(view: View, size: Size, p1: number, p2: number): [number, number] {
  return [size.width / 2 + (p1 - view.cx) * view.scale, size.height / 2 - (p2 - view.cy) * view.scale];
}

export function toData(view: View, size: Size, x: number, y: number): [number, number] {
  return [view.cx + (x - size.width / 2) / view.scale, view.cy - (y - size.height / 2) / view.scale];
}

/** The data rectangle the view shows. */
export function visibleExtent(view: View, size: Size): { x0: number; x1: number; y0: number; y1: number } {
  const [x0, y1] = toData(view, size, 0, 0);
  const [x1, y0] = toData(view, size, size.width, size.height);
  return { x0, x1, y0, y1 };
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

/** From this many points on, a density layer is drawn under them and the points get small and faint. */
export const DENSITY_FROM = 20_000;

/**
 * How points are drawn: their diameter in CSS pixels and opacity, by how many there are and how far
 * the view is zoomed in from the fitted one (zooming in spreads them out, so they may grow).
 */
export function pointStyle(count: number, zoom: number): { diameter: number; alpha: number } {
  const base = count > 100_000 ? 2 : count > DENSITY_FROM ? 2.5 : count > 5_000 ? 3.5 : 5;
  const alpha = count > 100_000 ? 0.45 : count > DENSITY_FROM ? 0.6 : 0.9;
  const grow = Math.min(3, Math.max(1, Math.sqrt(zoom)));
  return { diameter: Math.min(9, base * grow), alpha: Math.min(0.95, alpha * Math.sqrt(grow)) };
}
