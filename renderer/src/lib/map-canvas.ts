// The latent map drawn with a 2D canvas, where WebGL is unavailable. A 2D canvas pays per point
// drawn, so with many points it draws the density layer (an image, scaled by the view) and an even
// subsample of the points on it; points are batched by colour (one fill per colour).
import { subsample, type Density } from './map-density.js';
import type { MapRenderer, MapStyle } from './map-render.js';
import { MAP_BACKGROUND, toScreen, type Size, type View } from './map-view.js';

/** Points a frame at most: about 8 ms of fills on a slow machine. */
export const CANVAS_POINT_BUDGET = 12_000;

export class Canvas2dMapRenderer implements MapRenderer {
  readonly kind = 'canvas 2d';
  readonly name = 'canvas 2D (no WebGL)';
  readonly #ctx: CanvasRenderingContext2D;
  #xs: Float32Array = new Float32Array(0);
  #ys: Float32Array = new Float32Array(0);
  /** Points to draw, grouped by colour: the colour's CSS and the points' indices. */
  #groups: { css: string; alpha: number; indices: Uint32Array }[] = [];
  #image: { canvas: HTMLCanvasElement; density: Density } | null = null;

  constructor(ctx: CanvasRenderingContext2D) {
    this.#ctx = ctx;
  }

  setPoints(xs: Float32Array, ys: Float32Array, rgba: Uint8Array): void {
    this.#xs = xs;
    this.#ys = ys;
    const chosen = subsample(xs.length, CANVAS_POINT_BUDGET);
    const byColour = new Map<number, number[]>();
    for (const i of chosen) {
      const key = (rgba[4 * i] << 24) | (rgba[4 * i + 1] << 16) | (rgba[4 * i + 2] << 8) | rgba[4 * i + 3];
      let list = byColour.get(key);
      if (!list) byColour.set(key, (list = []));
      list.push(i);
    }
    this.#groups = [...byColour].map(([key, list]) => ({
      css: `rgb(${(key >>> 24) & 255} ${(key >>> 16) & 255} ${(key >>> 8) & 255})`,
      alpha: (key & 255) / 255,
      indices: Uint32Array.from(list),
    }));
  }

  setDensity(density: Density | null): void {
    if (!density) {
      this.#image = null;
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = density.width;
    canvas.height = density.height;
    const ctx = canvas.getContext('2d')!;
    ctx.putImageData(new ImageData(density.rgba, density.width, density.height), 0, 0);
    this.#image = { canvas, density };
  }

  draw(view: View, size: Size, dpr: number, style: MapStyle): void {
    const ctx = this.#ctx;
    const canvas = ctx.canvas;
    const width = Math.max(1, Math.round(size.width * dpr));
    const height = Math.max(1, Math.round(size.height * dpr));
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 1;
    ctx.fillStyle = `rgb(${MAP_BACKGROUND.join(' ')})`;
    ctx.fillRect(0, 0, size.width, size.height);
    if (style.density && this.#image) {
      const { canvas: image, density: d } = this.#image;
      const [x, y] = toScreen(view, size, d.x0, d.y1);
      ctx.globalAlpha = 0.85;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(image, x, y, (d.x1 - d.x0) * view.scale, (d.y1 - d.y0) * view.scale);
    }
    const r = style.diameter / 2;
    const w = style.diameter;
    for (const group of this.#groups) {
      ctx.globalAlpha = style.alpha * group.alpha;
      ctx.fillStyle = group.css;
      ctx.beginPath();
      for (const i of group.indices) {
        const [x, y] = toScreen(view, size, this.#xs[i], this.#ys[i]);
        if (x < -w || y < -w || x > size.width + w || y > size.height + w) continue;
        ctx.rect(x - r, y - r, w, w);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  dispose(): void {
    this.#groups = [];
    this.#image = null;
    this.#xs = this.#ys = new Float32Array(0);
  }
}
