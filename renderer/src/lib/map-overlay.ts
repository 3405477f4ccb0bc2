// What is drawn over the latent map's points: grid and tick labels, axis titles, the grid export's box, the
// played stretch, snapshots, the edited point, the sound being played, the hovered frame and the
// live audition's place. A 2D canvas redrawn with the points in the same animation frame, so the
// two never disagree while panning; an SVG overlay re-laid out per frame cost more than the
// 200,000 points themselves in software rendering.
import { GRID_SPAN } from '../../../common/api.js';
import { formatTick, niceTicks } from './map-ticks.js';
import { toScreen, visibleExtent, type Size, type View } from './map-view.js';

export interface OverlayItems {
  /** Standard deviations along the two axes (the grid export's box; the axis titles). */
  std: [number, number];
  cursor: [number, number];
  snapshots: { name: string; p1: number; p2: number }[];
  /** The stretch being played, in time order (data coordinates), and the sound being played. */
  trail: [number, number][];
  playing: { p1: number; p2: number; label: string } | null;
  hover: [number, number] | null;
  /** The live audition's place, in CSS pixels. */
  live: [number, number] | null;
}

const FONT = '11px system-ui, sans-serif';
const BG = '#11131a';
const WARN = '#ffc861';
const ACCENT = '#6cb8ff';

/** The axes' tick values and their labels for a view. */
export function axisTicks(
  view: View,
  size: Size,
): { x: { value: number; label: string }[]; y: { value: number; label: string }[] } {
  const e = visibleExtent(view, size);
  const x = niceTicks(e.x0, e.x1, Math.max(2, Math.round(size.width / 110)));
  const y = niceTicks(e.y0, e.y1, Math.max(2, Math.round(size.height / 80)));
  return {
    x: x.values.map((value) => ({ value, label: formatTick(value, x.step) })),
    y: y.values.map((value) => ({ value, label: formatTick(value, y.step) })),
  };
}

/**
 * Draws the overlay, keeping what depends only on the view (grid, ticks, titles, the export's box)
 * as an image until the view changes, so that a frame where only the marks move (the pointer in
 * live mode, the hovered frame) draws one image and a few shapes.
 */
export class MapOverlay {
  #frame: HTMLCanvasElement | null = null;
  #key = '';
  #texts: string[] = [];

  /** Draws on `ctx`; returns the texts drawn (for tests and diagnostics). */
  draw(ctx: CanvasRenderingContext2D, view: View, size: Size, dpr: number, items: OverlayItems): string[] {
    const key = [view.cx, view.cy, view.scale, size.width, size.height, dpr, ...items.std].join();
    this.#frame ??= document.createElement('canvas');
    if (key !== this.#key) {
      this.#texts = drawFrame(this.#frame.getContext('2d')!, view, size, dpr, items.std);
      this.#key = key;
    }
    fit(ctx.canvas, size, dpr);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.drawImage(this.#frame, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const texts = [...this.#texts];
    drawMarks(ctx, view, size, items, texts);
    return texts;
  }

  dispose(): void {
    this.#frame = null;
    this.#key = '';
  }
}

const TITLE = '12px system-ui, sans-serif';

function fit(canvas: HTMLCanvasElement, size: Size, dpr: number): void {
  const width = Math.max(1, Math.round(size.width * dpr));
  const height = Math.max(1, Math.round(size.height * dpr));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
}

/** Text with a dark outline, so it reads over points; recorded in `texts`. */
function labeller(ctx: CanvasRenderingContext2D, texts: string[]) {
  return (
    text: string,
    x: number,
    y: number,
    colour: string,
    align: CanvasTextAlign = 'left',
    font = FONT,
  ) => {
    ctx.font = font;
    ctx.textAlign = align;
    ctx.lineWidth = 3;
    ctx.strokeStyle = BG;
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour;
    ctx.fillText(text, x, y);
    texts.push(text);
  };
}

/** What depends on the view only: grid, tick labels, axis titles, the grid export's box. */
function drawFrame(
  ctx: CanvasRenderingContext2D,
  view: View,
  size: Size,
  dpr: number,
  std: [number, number],
): string[] {
  fit(ctx.canvas, size, dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size.width, size.height);
  const texts: string[] = [];
  const at = (p1: number, p2: number) => toScreen(view, size, p1, p2);
  const label = labeller(ctx, texts);

  // Grid, the axes through the data mean, tick labels along the bottom and left edges.
  const ticks = axisTicks(view, size);
  ctx.lineWidth = 1;
  for (const t of ticks.x) {
    const x = Math.round(at(t.value, 0)[0]) + 0.5;
    ctx.strokeStyle = t.value === 0 ? 'rgb(255 255 255 / 0.22)' : 'rgb(255 255 255 / 0.06)';
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, size.height);
    ctx.stroke();
  }
  for (const t of ticks.y) {
    const y = Math.round(at(0, t.value)[1]) + 0.5;
    ctx.strokeStyle = t.value === 0 ? 'rgb(255 255 255 / 0.22)' : 'rgb(255 255 255 / 0.06)';
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(size.width, y);
    ctx.stroke();
  }
  for (const t of ticks.x) label(t.label, at(t.value, 0)[0], size.height - 6, '#8a93a6', 'center');
  for (const t of ticks.y) {
    const y = at(0, t.value)[1] - 3;
    // Not under the axis title in the top-left corner, nor over the x labels at the bottom.
    if (y > 30 && y < size.height - 20) label(t.label, 6, y, '#8a93a6');
  }
  label(`axis 1 → (σ ${std[0].toFixed(2)})`, size.width - 8, size.height - 20, '#c4cad6', 'right', TITLE);
  label(`↑ axis 2 (σ ${std[1].toFixed(2)})`, 8, 16, '#c4cad6', 'left', TITLE);

  // The box a grid export spans.
  const [bx0, by0] = at(-GRID_SPAN * std[0], GRID_SPAN * std[1]);
  const [bx1, by1] = at(GRID_SPAN * std[0], -GRID_SPAN * std[1]);
  ctx.setLineDash([4, 4]);
  ctx.strokeStyle = 'rgb(255 255 255 / 0.3)';
  ctx.strokeRect(Math.round(bx0) + 0.5, Math.round(by0) + 0.5, Math.round(bx1 - bx0), Math.round(by1 - by0));
  ctx.setLineDash([]);
  label(
    `±${GRID_SPAN}σ: the grid export’s span`,
    bx0 + 4,
    by0 - 4,
    'rgb(255 255 255 / 0.5)',
    'left',
    '10px system-ui, sans-serif',
  );

  return texts;
}

/** The marks: hovered frame, played stretch and sound, snapshots, live place, the edited point. */
function drawMarks(
  ctx: CanvasRenderingContext2D,
  view: View,
  size: Size,
  items: OverlayItems,
  texts: string[],
): void {
  const at = (p1: number, p2: number) => toScreen(view, size, p1, p2);
  const label = labeller(ctx, texts);
  if (items.hover) {
    const [x, y] = at(...items.hover);
    ring(ctx, x, y, 6, '#ffffff', 1.5);
  }
  if (items.trail.length > 1) {
    ctx.strokeStyle = WARN;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    items.trail.forEach(([p1, p2], k) => (k ? ctx.lineTo(...at(p1, p2)) : ctx.moveTo(...at(p1, p2))));
    ctx.stroke();
  }
  if (items.playing) {
    const [x, y] = at(items.playing.p1, items.playing.p2);
    ring(ctx, x, y, 10, WARN, 2);
    ctx.fillStyle = WARN;
    ctx.beginPath();
    ctx.arc(x, y, 4, 0, 2 * Math.PI);
    ctx.fill();
    label(`▶ ${items.playing.label}`, x + 13, y + 17, WARN, 'left', TITLE);
  }
  for (const s of items.snapshots) {
    const [x, y] = at(s.p1, s.p2);
    ctx.beginPath();
    ctx.moveTo(x, y - 7);
    ctx.lineTo(x + 7, y);
    ctx.lineTo(x, y + 7);
    ctx.lineTo(x - 7, y);
    ctx.closePath();
    ctx.fillStyle = '#ff8fd8';
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = BG;
    ctx.stroke();
    label(s.name, x + 10, y + 4, '#ffc2ec', 'left', TITLE);
  }
  if (items.live) {
    ctx.setLineDash([3, 3]);
    ring(ctx, items.live[0], items.live[1], 10, ACCENT, 2);
    ctx.setLineDash([]);
  }
  // The edited point: a crosshair with a gap, white on a dark outline.
  const [kx, ky] = at(...items.cursor);
  for (const [colour, w] of [
    [BG, 4],
    ['#ffffff', 2],
  ] as const) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = w;
    ctx.beginPath();
    ctx.arc(kx, ky, 7, 0, 2 * Math.PI);
    ctx.moveTo(kx - 12, ky);
    ctx.lineTo(kx - 4, ky);
    ctx.moveTo(kx + 4, ky);
    ctx.lineTo(kx + 12, ky);
    ctx.moveTo(kx, ky - 12);
    ctx.lineTo(kx, ky - 4);
    ctx.moveTo(kx, ky + 4);
    ctx.lineTo(kx, ky + 12);
    ctx.stroke();
  }
}

function ring(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  r: number,
  colour: string,
  width: number,
): void {
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.stroke();
}
