// The latent map drawn with WebGL: every point each frame as a round GL point, its position and
// colour in buffers uploaded once per map or colouring, the view in two uniforms, so panning
// costs one draw call. The density layer is a texture on one quad. GLSL ES 1.0, so the same
// shaders run on WebGL 1 and 2.
import type { Density } from './map-density.js';
import type { MapRenderer, MapStyle } from './map-render.js';
import { MAP_BACKGROUND, type Size, type View } from './map-view.js';

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
varying vec2 v_uv;
void main() {
  vec2 p = mix(u_extent.xy, u_extent.zw, a_corner);
  gl_Position = vec4((p - u_centre) * u_clip, 0.0, 1.0);
  v_uv = vec2(a_corner.x, 1.0 - a_corner.y);
}`;

const DENSITY_FS = `
precision mediump float;
uniform sampler2D u_image;
uniform float u_opacity;
varying vec2 v_uv;
void main() {
  vec4 c = texture2D(u_image, v_uv);
  gl_FragColor = vec4(c.rgb, c.a * u_opacity);
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
      ['u_extent', 'u_centre', 'u_clip', 'u_image', 'u_opacity'],
    );
    this.#position = gl.createBuffer();
    this.#colour = gl.createBuffer();
    this.#corners = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#corners);
    gl.bufferData(gl.ARRAY_BUFFER, Float32Array.of(0, 0, 1, 0, 0, 1, 1, 1), gl.STATIC_DRAW);
    this.#texture = null;
    this.#count = 0;
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
  }

  setDensity(density: Density | null): void {
    this.#image = density;
    if (this.#lost) return;
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
    gl.viewport(0, 0, width, height);
    const [r, g, b] = MAP_BACKGROUND;
    gl.clearColor(r / 255, g / 255, b / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    // Data units to clip space: scale pixels per unit over half the canvas; p2 points up in both.
    const clip = [(2 * view.scale) / size.width, (2 * view.scale) / size.height];

    if (style.density && this.#texture && this.#image) {
      const d = this.#density;
      const im = this.#image;
      gl.useProgram(d.program);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, this.#texture);
      gl.uniform1i(d.uniform.u_image, 0);
      gl.uniform1f(d.uniform.u_opacity, 0.85);
      gl.uniform4f(d.uniform.u_extent, im.x0, im.y0, im.x1, im.y1);
      gl.uniform2f(d.uniform.u_centre, view.cx, view.cy);
      gl.uniform2f(d.uniform.u_clip, clip[0], clip[1]);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.#corners);
      gl.enableVertexAttribArray(d.attrib.a_corner);
      gl.vertexAttribPointer(d.attrib.a_corner, 2, gl.FLOAT, false, 0, 0);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
      gl.disableVertexAttribArray(d.attrib.a_corner);
    }

    const p = this.#points;
    gl.useProgram(p.program);
    gl.uniform2f(p.uniform.u_centre, view.cx, view.cy);
    gl.uniform2f(p.uniform.u_clip, clip[0], clip[1]);
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

  dispose(): void {
    this.#canvas.removeEventListener('webglcontextlost', this.#onLost);
    this.#canvas.removeEventListener('webglcontextrestored', this.#onRestored);
    const gl = this.#gl;
    if (!gl.isContextLost()) {
      for (const buffer of [this.#position, this.#colour, this.#corners]) gl.deleteBuffer(buffer);
      if (this.#texture) gl.deleteTexture(this.#texture);
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
