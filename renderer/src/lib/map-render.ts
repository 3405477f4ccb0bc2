// The latent map's point renderers: one interface, WebGL where the browser has it, canvas 2D where it
// does not. Each owns its context's resources and frees them in dispose().
import { Canvas2dMapRenderer } from './map-canvas.js';
import type { Density } from './map-density.js';
import { GlMapRenderer } from './map-gl.js';
import type { Size, View } from './map-view.js';

export interface MapStyle {
  /** Point diameter and opacity (CSS pixels). */
  diameter: number;
  alpha: number;
  /** Whether to draw the density layer under the points. */
  density: boolean;
}

export interface MapRenderer {
  /** 'webgl2', 'webgl' or 'canvas 2d'. */
  readonly kind: string;
  /** The kind and, for WebGL, the GPU's renderer string (e.g. SwiftShader's), for diagnostics and the bench. */
  readonly name: string;
  /** The points (p1, p2) and their RGBA colours; kept until the next call. */
  setPoints(xs: Float32Array, ys: Float32Array, rgba: Uint8Array): void;
  setDensity(density: Density | null): void;
  /** Draws a frame; `size` in CSS pixels, the canvas is size × dpr. */
  draw(view: View, size: Size, dpr: number, style: MapStyle): void;
  dispose(): void;
}

/** A WebGL renderer where the canvas can have one, else canvas 2D. */
export function createMapRenderer(canvas: HTMLCanvasElement): MapRenderer {
  const gl = GlMapRenderer.create(canvas);
  if (gl) return gl;
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) throw new Error('This browser can draw neither WebGL nor a 2D canvas: the map cannot be shown.');
  return new Canvas2dMapRenderer(ctx);
}
