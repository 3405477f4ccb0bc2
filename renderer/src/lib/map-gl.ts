// The latent map drawn with WebGL: every point each frame as a round GL point, its position and
// colour in buffers uploaded once per map or colouring, the view in two uniforms, so panning
// costs one draw call. The density layer is a texture on one quad. GLSL ES 1.0, so the same
// shaders run on WebGL 1 and 2.
import type { Density } from './map-density.js';
import type { MapRenderer, MapStyle } from './map-render.js';
import { DENSITY_FROM, MAP_BACKGROUND, type Size, type View } from './map-view.js';

type GL = WebGLRenderingContext | WebGL2RenderingContext;

const POINT_VS = `
attribute vec2 a_pos;
attribute vec4 a_colour;
uniform vec2 u_centre;
uniform vec2 u_clip;
uniform float u_diameter;
varying vec4 v_colour;
void main() {
  gl_Position = vec4((a_pos - u_centre) * u_clip, 0.0, 1.0);
  gl_PointSize = u_diameter;
  v_colour = a_colour;
}`;

const POINT_FS = `
precision mediump float;
uniform float u_alpha;
varying vec4 v_colour;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  float r2 = dot(d, d);
  if (r2 > 0.25) discard;
  // A soft rim of about a pixel keeps small points round without a ragged edge.
  float rim = clamp((0.25 - r2) * 8.0, 0.0, 1.0);
  gl_FragColor = vec4(v_colour.rgb, v_colour.a * u_alpha * rim);
}`;

const DENSITY_VS = `
attribute vec2 a_corner;
uniform vec4 u_extent;
uniform vec2 u_centre;
uniform vec2 u_clip;
uniform float u_flip;
varying vec2 v_uv;
void main() {
  vec2 p = mix(u_extent.xy, u_extent.zw, a_corner);
  gl_Position = vec4((p - u_centre) * u_clip, 0.0, 1.0);
  // An image's row 0 is its top; a framebuffer's is its bottom.
  v_uv = vec2(a_corner.x, mix(a_corner.y, 1.0 - a_corner.y, u_flip));
}`;

const DENSITY_FS = `
precision mediump float;
uniform sampler2D u_image;
uniform float u_opacity;
varying vec2 v_uv;
void main() {
  // Premultiplied, so that filtering between a full bin and an empty one fades rather than darkens.
  gl_FragColor = texture2D(u_image, v_uv) * u_opacity;
}`;

interface Program {
  program: WebGLProgram;
  attrib: Record<string, number>;
  uniform: Record<string, WebGLUniformLocation | null>;
}

export class GlMapRenderer implements MapRenderer {
  readonly kind: string;
  readonly name: string;
  readonly #gl: GL;
  readonly #canvas: HTMLCanvasElement;
  #points: Program | null = null;
  #density: Program | null = null;
  #position: WebGLBuffer | null = null;
  #colour: WebGLBuffer | null = null;
  #corners: WebGLBuffer | null = null;
  #texture: WebGLTexture | null = null;
  #count = 0;
  /** Bumped at every upload: a cached layer of another version is stale. */
  #version = 0;
  #cache: {
    texture: WebGLTexture;
    framebuffer: WebGLFramebuffer;
    width: number;
    height: number;
    /** The view and CSS size it was drawn at, and with what. */
    view: View;
    size: Size;
    dpr: number;
    version: number;
    diameter: number;
    alpha: number;
    density: boolean;
  } | null = null;
  /** What was uploaded, kept to upload again after a lost context comes back. */
  #data: { xs: Float32Array; ys: Float32Array; rgba: Uint8Array } | null = null;
  #image: Density | null = null;
  #lost = false;
  readonly #onLost = (e: Event) => {
    e.preventDefault();
    this.#lost = true;
  };
  readonly #onRestored = () => {
    this.#lost = false;
    this.#init();
    if (this.#data) this.setPoints(this.#data.xs, this.#data.ys, this.#data.rgba);
    this.setDensity(this.#image);
  };

  static create(canvas: HTMLCanvasElement): GlMapRenderer | null {
    const options: WebGLContextAttributes = { alpha: false, antialias: false, depth: false, stencil: false };
    const gl2 = canvas.getContext('webgl2', options);
    if (gl2) return new GlMapRenderer(canvas, gl2, 'webgl2');
    const gl1 = canvas.getContext('webgl', options);
    return gl1 ? new GlMapRenderer(canvas, gl1, 'webgl') : null;
  }

  private constructor(canvas: HTMLCanvasElement, gl: GL, kind: string) {
    this.#canvas = canvas;
    this.#gl = gl;
    this.kind = kind;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const gpu = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    this.name = `${kind === 'webgl2' ? 'WebGL 2' : 'WebGL 1'}: ${gpu}`;
    canvas.addEventListener('webglcontextlost', this.#onLost);
    canvas.addEventListener('webglcontextrestored', this.#onRestored);
    this.#init();
  }

  #init(): void {
    const gl = this.#gl;
    this.#points = link(
      gl,
      POINT_VS,
      POINT_FS,
      ['a_pos', 'a_colour'],
      ['u_centre', 'u_clip', 'u_diameter', 'u_alpha'],
    );
    this.#density = link(
      gl,
      DENSITY_VS,
      DENSITY_FS,
      ['a_corner'],
      ['u_extent', 'u_centre', 'u_clip', 'u_flip', 'u_image', 'u_opacity'],
    );
    this.#position = gl.createBuffer();
    this.#colour = gl.createBuffer();
    this.#corners = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#corners);
    gl.bufferData(gl.ARRAY_BUFFER, Float32Array.of(0, 0, 1, 0, 0, 1, 1, 1), gl.STATIC_DRAW);
    this.#texture = null;
    this.#cache = null;
    this.#count = 0;
    this.#version++;
  }

  setPoints(xs: Float32Array, ys: Float32Array, rgba: Uint8Array): void {
    this.#data = { xs, ys, rgba };
    if (this.#lost) return;
    const gl = this.#gl;
    const n = Math.min(xs.length, ys.length, rgba.length / 4);
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      xy[2 * i] = xs[i];
      xy[2 * i + 1] = ys[i];
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#position);
    gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#colour);
    gl.bufferData(gl.ARRAY_BUFFER, rgba.subarray(0, 4 * n), gl.STATIC_DRAW);
    this.#count = n;
    this.#version++;
  }

  setDensity(density: Density | null): void {
    this.#image = density;
    if (this.#lost) return;
    this.#version++;
    const gl = this.#gl;
    if (this.#texture) gl.deleteTexture(this.#texture);
    this.#texture = null;
    if (!density) return;
    this.#texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, this.#texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    const bytes = new Uint8Array(density.rgba.buffer, density.rgba.byteOffset, density.rgba.byteLength);
    gl.texImage2D(
      gl.TEXTURE_2D,
      0,
      gl.RGBA,
      density.width,
      density.height,
      0,
      gl.RGBA,
      gl.UNSIGNED_BYTE,
      bytes,
    );
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  }

  draw(view: View, size: Size, dpr: number, style: MapStyle): void {
    if (this.#lost || !this.#points || !this.#density) return;
    const gl = this.#gl;
    const width = Math.max(1, Math.round(size.width * dpr));
    const height = Math.max(1, Math.round(size.height * dpr));
    if (this.#canvas.width !== width) this.#canvas.width = width;
    if (this.#canvas.height !== height) this.#canvas.height = height;
    if (this.#count < DENSITY_FROM) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      this.#render(view, size, dpr, style, width, height);
      return;
    }
    // Many points: draw them once into a layer twice the view's size at this scale, then move that
    // layer while panning; draw them again when the view leaves it or anything else changes.
    const c = this.#cache;
    const valid =
      c &&
      c.version === this.#version &&
      c.view.scale === view.scale &&
      c.dpr === dpr &&
      c.diameter === style.diameter &&
      c.alpha === style.alpha &&
      c.density === style.density &&
      Math.abs(view.cx - c.view.cx) * view.scale <= (c.size.width - size.width) / 2 &&
      Math.abs(view.cy - c.view.cy) * view.scale <= (c.size.height - size.height) / 2;
    if (!valid) this.#fill(view, size, dpr, style);
    const layer = this.#cache!;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(0, 0, width, height);
    gl.disable(gl.BLEND);
    // Whole device pixels: the layer is copied, not resampled (NEAREST), so points stay sharp.
    const snap = (v: number) => Math.round(v * view.scale * dpr) / (view.scale * dpr);
    const halfW = layer.size.width / 2 / view.scale;
    const halfH = layer.size.height / 2 / view.scale;
    const x0 = layer.view.cx - halfW;
    const y0 = layer.view.cy - halfH;
    const shiftX = snap(view.cx - layer.view.cx) - (view.cx - layer.view.cx);
    const shiftY = snap(view.cy - layer.view.cy) - (view.cy - layer.view.cy);
    this.#quad(
      layer.texture,
      [x0 - shiftX, y0 - shiftY, x0 + 2 * halfW - shiftX, y0 + 2 * halfH - shiftY],
      view,
      size,
      1,
      false,
    );
  }

  /** Draws density and points at the view into whatever framebuffer is bound, `width` × `height` device pixels. */
  #render(view: View, size: Size, dpr: number, style: MapStyle, width: number, height: number): void {
    const gl = this.#gl;
    gl.viewport(0, 0, width, height);
    const [r, g, b] = MAP_BACKGROUND;
    gl.clearColor(r / 255, g / 255, b / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    if (style.density && this.#texture && this.#image) {
      const im = this.#image;
      this.#quad(this.#texture, [im.x0, im.y0, im.x1, im.y1], view, size, 0.85, true);
    }
    // Data units to clip space: scale pixels per unit over half the canvas; p2 points up in both.
    const p = this.#points!;
    gl.useProgram(p.program);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.uniform2f(p.uniform.u_centre, view.cx, view.cy);
    gl.uniform2f(p.uniform.u_clip, (2 * view.scale) / size.width, (2 * view.scale) / size.height);
    gl.uniform1f(p.uniform.u_diameter, style.diameter * dpr);
    gl.uniform1f(p.uniform.u_alpha, style.alpha);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#position);
    gl.enableVertexAttribArray(p.attrib.a_pos);
    gl.vertexAttribPointer(p.attrib.a_pos, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#colour);
    gl.enableVertexAttribArray(p.attrib.a_colour);
    gl.vertexAttribPointer(p.attrib.a_colour, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.drawArrays(gl.POINTS, 0, this.#count);
    gl.disableVertexAttribArray(p.attrib.a_pos);
    gl.disableVertexAttribArray(p.attrib.a_colour);
  }

  /** A texture over a data rectangle [x0, y0, x1, y1], premultiplied; `image`: row 0 at the top. */
  #quad(
    texture: WebGLTexture,
    rect: number[],
    view: View,
    size: Size,
    opacity: number,
    image: boolean,
  ): void {
    const gl = this.#gl;
    const d = this.#density!;
    gl.useProgram(d.program);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.uniform1i(d.uniform.u_image, 0);
    gl.uniform1f(d.uniform.u_opacity, opacity);
    gl.uniform1f(d.uniform.u_flip, image ? 1 : 0);
    gl.uniform4f(d.uniform.u_extent, rect[0], rect[1], rect[2], rect[3]);
    gl.uniform2f(d.uniform.u_centre, view.cx, view.cy);
    gl.uniform2f(d.uniform.u_clip, (2 * view.scale) / size.width, (2 * view.scale) / size.height);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#corners);
    gl.enableVertexAttribArray(d.attrib.a_corner);
    gl.vertexAttribPointer(d.attrib.a_corner, 2, gl.FLOAT, false, 0, 0);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.disableVertexAttribArray(d.attrib.a_corner);
  }

  /** (Re)draws the cached layer: twice the view's size (within the GPU's limits), centred on the view. */
  #fill(view: View, size: Size, dpr: number, style: MapStyle): void {
    const gl = this.#gl;
    const limit = Math.min(
      gl.getParameter(gl.MAX_TEXTURE_SIZE) as number,
      ...(gl.getParameter(gl.MAX_VIEWPORT_DIMS) as Int32Array),
    );
    // A whole number of pixels on each side, so the layer's pixels line up with the canvas's.
    const margin = (extent: number) =>
      Math.max(0, Math.floor(Math.min(extent / 2, (limit / dpr - extent) / 2)));
    const cssW = size.width + 2 * margin(size.width);
    const cssH = size.height + 2 * margin(size.height);
    const width = Math.round(cssW * dpr);
    const height = Math.round(cssH * dpr);
    let c = this.#cache;
    if (!c || c.width !== width || c.height !== height) {
      this.#dropCache();
      const texture = gl.createTexture()!;
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      const framebuffer = gl.createFramebuffer()!;
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
      c = {
        texture,
        framebuffer,
        width,
        height,
        view,
        size: { width: cssW, height: cssH },
        dpr,
        version: -1,
        diameter: 0,
        alpha: 0,
        density: false,
      };
      this.#cache = c;
    }
    gl.bindFramebuffer(gl.FRAMEBUFFER, c.framebuffer);
    const cacheSize = { width: cssW, height: cssH };
    this.#render(view, cacheSize, dpr, style, width, height);
    Object.assign(c, { view, size: cacheSize, dpr, version: this.#version, ...style });
  }

  #dropCache(): void {
    const c = this.#cache;
    this.#cache = null;
    if (!c || this.#gl.isContextLost()) return;
    this.#gl.deleteFramebuffer(c.framebuffer);
    this.#gl.deleteTexture(c.texture);
  }

  dispose(): void {
    this.#canvas.removeEventListener('webglcontextlost', this.#onLost);
    this.#canvas.removeEventListener('webglcontextrestored', this.#onRestored);
    const gl = this.#gl;
    if (!gl.isContextLost()) {
      for (const buffer of [this.#position, this.#colour, this.#corners]) gl.deleteBuffer(buffer);
      if (this.#texture) gl.deleteTexture(this.#texture);
      this.#dropCache();
      for (const p of [this.#points, this.#density]) if (p) gl.deleteProgram(p.program);
      // The context itself goes with the canvas; losing it now frees its GPU memory at once.
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
    this.#points = this.#density = null;
    this.#data = this.#image = null;
  }
}

function link(gl: GL, vs: string, fs: string, attribs: string[], uniforms: string[]): Program {
  const compile = (type: number, source: string) => {
    const shader = gl.createShader(type)!;
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS) && !gl.isContextLost())
      throw new Error(`map shader: ${gl.getShaderInfoLog(shader)}`);
    return shader;
  };
  const program = gl.createProgram()!;
  const v = compile(gl.VERTEX_SHADER, vs);
  const f = compile(gl.FRAGMENT_SHADER, fs);
  gl.attachShader(program, v);
  gl.attachShader(program, f);
  gl.linkProgram(program);
  gl.deleteShader(v);
  gl.deleteShader(f);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS) && !gl.isContextLost())
    throw new Error(`map shaders: ${gl.getProgramInfoLog(program)}`);
  return {
    program,
    attrib: Object.fromEntries(attribs.map((a) => [a, gl.getAttribLocation(program, a)])),
    uniform: Object.fromEntries(uniforms.map((u) => [u, gl.getUniformLocation(program, u)])),
  };
}
