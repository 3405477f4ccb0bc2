// The latent map drawn with a 2D canvas, where WebGL is unavailable. A 2D canvas pays per point
// drawn, so with many points it draws the density layer (an image, scaled by the view) and an even
// subsample of the points on it, into a layer that panning moves; points are batched by colour
// (one fill per colour).
import { subsample, type Density } from './map-density.js';
import type { MapRenderer, MapStyle } from './map-render.js';
import { DENSITY_FROM, MAP_BACKGROUND, toScreen, type Size, type View } from './map-view.js';

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
  /** Bumped at every upload: a layer of another version is stale. */
  #version = 0;
  #layer: {
    canvas: HTMLCanvasElement;
    view: View;
    size: Size;
    dpr: number;
    version: number;
    diameter: number;
    alpha: number;
    density: boolean;
  } | null = null;

  constructor(ctx: CanvasRenderingContext2D) {
    this.#ctx = ctx;
  }

  setPoints(xs: Float32Array, ys: Float32Array, rgba: Uint8Array): void {
    this.#version++;
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
    this.#version++;
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
    if (this.#xs.length < DENSITY_FROM) {
      this.#render(ctx, view, size, dpr, style);
      return;
    }
    // Many points: drawn once into a layer twice the view's size, which panning moves (as map-gl.ts).
    const l = this.#layer;
    const valid =
      l &&
      l.version === this.#version &&
      l.view.scale === view.scale &&
      l.dpr === dpr &&
      l.diameter === style.diameter &&
      l.alpha === style.alpha &&
      l.density === style.density &&
      Math.abs(view.cx - l.view.cx) * view.scale <= (l.size.width - size.width) / 2 &&
      Math.abs(view.cy - l.view.cy) * view.scale <= (l.size.height - size.height) / 2;
    if (!valid) {
      const layerSize = { width: 2 * size.width, height: 2 * size.height };
      const image = l?.canvas ?? document.createElement('canvas');
      image.width = Math.round(layerSize.width * dpr);
      image.height = Math.round(layerSize.height * dpr);
      this.#render(image.getContext('2d', { alpha: false })!, view, layerSize, dpr, style);
      this.#layer = { canvas: image, view, size: layerSize, dpr, version: this.#version, ...style };
    }
    const layer = this.#layer!;
    const [x, y] = toScreen(view, size, layer.view.cx, layer.view.cy);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.drawImage(
      layer.canvas,
      Math.round((x - layer.size.width / 2) * dpr),
      Math.round((y - layer.size.height / 2) * dpr),
    );
  }

  /** Background, density and points at the view, on a context of `size` × dpr pixels. */
  #render(ctx: CanvasRenderingContext2D, view: View, size: Size, dpr: number, style: MapStyle): void {
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
    this.#layer = null;
    this.#xs = this.#ys = new Float32Array(0);
  }
}
