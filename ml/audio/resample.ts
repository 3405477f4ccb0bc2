import type { Hertz } from '../units.js';

// A polyphase windowed-sinc resampler of our own. Why ours: the maintained high-quality resamplers
// on npm are libsamplerate and soxr compiled to WebAssembly, loaded asynchronously, and at their
// best settings slower than this; wavefile's sinc, which this replaces, ran at about 4x real time.
// This one streams (push blocks, then end), keeps the output on the exact time grid i·from/to, and
// takes each output sample's dot product in a 137-byte WebAssembly SIMD function (four lanes of
// float32; plain JavaScript where SIMD is missing) — `npm run bench` gives its speed.
//
// The filter: a Kaiser-windowed sinc, 100 dB of stopband attenuation (beta 10.06), its passband to
// 91 % of the lower Nyquist and its stopband from the lower Nyquist on, so nothing above the new
// Nyquist folds back (downsampling) and no image survives (upsampling). For a rate ratio to/from =
// L/M in lowest terms with L at most MAX_EXACT_PHASES, the L phases are tabulated exactly; beyond
// that (odd rates) 1024 phases are tabulated and interpolated linearly between neighbours.

/** Stopband attenuation in dB and the Kaiser beta for it (Kaiser's formula). */
const ATTENUATION_DB = 100;
const KAISER_BETA = 0.1102 * (ATTENUATION_DB - 8.7);
/** The transition band as a fraction of the lower of the two rates: 0.045 is 9 % of its Nyquist. */
const TRANSITION = 0.045;
const MAX_EXACT_PHASES = 2048;
const INTERPOLATED_PHASES = 1024;
/** Input is taken in blocks of at most this many samples, so the working memory stays small. */
const BLOCK = 1 << 16;

interface Kernel {
  /** Rows of `taps` coefficients: `phases` rows when exact, else `phases + 1`. */
  table: Float32Array;
  /** A multiple of 4 (the SIMD lanes). */
  taps: number;
  phases: number;
  /** One row per output phase (L rows), else `phases` steps interpolated linearly. */
  exact: boolean;
  /** The first tap reads this many input samples before the output's position: taps/2 - 1. */
  lead: number;
}

const kernels = new Map<string, Kernel>();
const KERNEL_CACHE = 8;

function kernelFor(from: number, to: number, l: number): Kernel {
  const key = `${from}:${to}`;
  const cached = kernels.get(key);
  if (cached) return cached;
  // In cycles per input sample: the transition width, and the 6 dB cutoff in its middle.
  const lower = Math.min(from, to);
  const width = (TRANSITION * lower) / from;
  const cutoff = (0.5 * lower) / from - width / 2;
  const order = (ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * width);
  const half = 2 * Math.ceil(order / 4);
  const taps = 2 * half;
  const exact = l <= MAX_EXACT_PHASES;
  const phases = exact ? l : INTERPOLATED_PHASES;
  const rows = exact ? phases : phases + 1;
  const table = new Float32Array(rows * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p < rows; p++) {
    const frac = p / phases;
    for (let i = 0; i < taps; i++) {
      // Tap i reads input sample floor(position) - (half - 1) + i, at distance tau from the position.
      const tau = frac + half - 1 - i;
      const r = tau / half;
      if (Math.abs(r) >= 1) continue;
      const x = 2 * cutoff * tau;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      table[p * taps + i] = (2 * cutoff * sinc * besselI0(KAISER_BETA * Math.sqrt(1 - r * r))) / i0Beta;
    }
  }
  const kernel: Kernel = { table, taps, phases, exact, lead: half - 1 };
  if (kernels.size >= KERNEL_CACHE) kernels.delete(kernels.keys().next().value as string);
  kernels.set(key, kernel);
  return kernel;
}

/** The modified Bessel function of the first kind, order 0 (its power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * (func (export "dot") (param $x i32) (param $h i32) (param $n i32) (result f32)), with the memory
 * exported as "mem": the sum of x[i]·h[i] over n float32s at byte offsets $x and $h, n a multiple
 * of 4, four lanes at a time (v128.load, f32x4.mul, f32x4.add), the lanes added at the end.
 */
const DOT_WASM =
  '0061736d0100000001080160037f7f7f017d030201000503010001070d02' +
  '03646f740000036d656d02000a5d015b02017b017f200120024102746a21' +
  '0402402002450d00034020032000fd0000002001fd000000fde601fde401' +
  '2103200041106a2100200141106a22012004490d000b0b2003fd1f002003' +
  'fd1f01922003fd1f022003fd1f0392920b';

/** What this file uses of the WebAssembly global (Node's types here do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

let dotModule: object | null | undefined;

/** The compiled SIMD dot product, or null where WebAssembly SIMD is missing. */
function simdModule(): { wasm: WasmApi; module: object } | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) return null;
  if (dotModule === undefined) {
    const bytes = Uint8Array.from(DOT_WASM.match(/../g) as string[], (h) => parseInt(h, 16));
    try {
      dotModule = wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      dotModule = null;
    }
  }
  return dotModule ? { wasm, module: dotModule } : null;
}

/**
 * Streaming band-limited resampling of mono audio: push() blocks of any length and get back the
 * output samples they complete; end() gives the rest. The whole output has round(n·to/from)
 * samples for n input samples, and its sample i lies at time i/to, on the input's time line (input
 * sample k at k/from); input before the first and after the last sample counts as silence.
 */
export class Resampler {
  readonly fromRate: Hertz;
  readonly toRate: Hertz;
  /** Which dot product runs: 'wasm-simd' or 'js' (null when the rates are equal: a copy). */
  readonly implementation: 'wasm-simd' | 'js' | null;
  readonly #kernel: Kernel | null;
  /** to/from = l/m in lowest terms. */
  readonly #l: number;
  readonly #m: number;
  /** The kernel's table, then the input buffer: in the wasm instance's memory, or a plain array. */
  readonly #mem: Float32Array;
  readonly #dot: ((x: number, h: number, n: number) => number) | null;
  /** Where the input buffer starts in #mem (a multiple of 4) and how much it holds. */
  readonly #bufOffset: number;
  readonly #bufCapacity: number;
  /** #mem[#bufOffset] is input sample #bufStart (negative: the silence before the first). */
  #bufStart: number;
  #bufLength: number;
  #inputLength = 0;
  /** The next output sample: its index, and its position's floor and remainder (n·m = k·l + phase). */
  #n = 0;
  #k = 0;
  #phase = 0;
  #ended = false;

  /** `simd: false` runs the plain JavaScript dot product (the fallback), for tests and benches. */
  constructor(fromRate: Hertz, toRate: Hertz, options: { simd?: boolean } = {}) {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.#l = toRate / g;
    this.#m = fromRate / g;
    const kernel = fromRate === toRate ? null : kernelFor(fromRate, toRate, this.#l);
    this.#kernel = kernel;
    const tableLength = kernel?.table.length ?? 0;
    const taps = kernel?.taps ?? 0;
    // What stays after producing is under `taps` samples; a block, or end()'s taps + 1 zeros, joins it.
    this.#bufCapacity = 2 * taps + 4 + BLOCK;
    this.#bufOffset = tableLength;
    const floats = tableLength + this.#bufCapacity;
    const simd = kernel && options.simd !== false ? simdModule() : null;
    if (simd) {
      const instance = new simd.wasm.Instance(simd.module);
      const memory = instance.exports.mem as WasmMemory;
      const pages = Math.ceil((floats * 4) / 65536);
      if (pages > memory.buffer.byteLength / 65536) memory.grow(pages - memory.buffer.byteLength / 65536);
      this.#mem = new Float32Array(memory.buffer, 0, floats);
      this.#dot = instance.exports.dot as (x: number, h: number, n: number) => number;
      this.implementation = 'wasm-simd';
    } else {
      this.#mem = new Float32Array(floats);
      this.#dot = null;
      this.implementation = kernel ? 'js' : null;
    }
    if (kernel) this.#mem.set(kernel.table);
    this.#bufStart = -(kernel?.lead ?? 0);
    this.#bufLength = kernel?.lead ?? 0;
  }

  /** The output samples that `input` completes (possibly none). */
  push(input: Float32Array): Float32Array {
    if (this.#ended) throw new Error('Resampler: push after end');
    if (!this.#kernel) {
      this.#inputLength += input.length;
      return input.slice();
    }
    const parts: Float32Array[] = [];
    for (let at = 0; at < input.length; at += BLOCK) {
      const block = input.subarray(at, at + BLOCK);
      this.#append(block);
      this.#inputLength += block.length;
      parts.push(this.#produce(Number.POSITIVE_INFINITY));
    }
    return concat(parts);
  }

  /** The rest of the output, with silence after the last input sample; the stream is then over. */
  end(): Float32Array {
    if (this.#ended) throw new Error('Resampler: end called twice');
    this.#ended = true;
    if (!this.#kernel) return new Float32Array(0);
    const total = Math.round((this.#inputLength * this.#l) / this.#m);
    this.#append(new Float32Array(this.#kernel.taps + 1));
    return this.#produce(total);
  }

  #append(input: Float32Array): void {
    const kernel = this.#kernel as Kernel;
    const mem = this.#mem;
    const o = this.#bufOffset;
    // Drop what no output to come reads: everything before the next output's first tap.
    const keepFrom = this.#k - kernel.lead;
    const drop = Math.min(Math.max(0, keepFrom - this.#bufStart), this.#bufLength);
    if (drop > 0) {
      mem.copyWithin(o, o + drop, o + this.#bufLength);
      this.#bufLength -= drop;
      this.#bufStart += drop;
    }
    if (this.#bufLength + input.length > this.#bufCapacity) throw new Error('Resampler: buffer overrun');
    mem.set(input, o + this.#bufLength);
    this.#bufLength += input.length;
  }

  /** Every output sample whose taps are all in the buffer, up to output index `limit`. */
  #produce(limit: number): Float32Array {
    const { taps, exact, phases, lead } = this.#kernel as Kernel;
    const mem = this.#mem;
    const dotWasm = this.#dot;
    const l = this.#l;
    const m = this.#m;
    const bufEnd = this.#bufStart + this.#bufLength;
    // Output n reads input k - lead .. k - lead + taps - 1 (k = floor(n·m/l)): it can be made
    // once k <= lastK.
    const lastK = bufEnd - taps + lead;
    const available = lastK < 0 ? 0 : Math.floor(((lastK + 1) * l - 1) / m) + 1 - this.#n;
    const count = Math.max(0, Math.min(available, limit - this.#n));
    const out = new Float32Array(count);
    // Index in #mem of input sample k - lead, for k = 0.
    const base = this.#bufOffset - lead - this.#bufStart;
    let k = this.#k;
    let phase = this.#phase;
    for (let j = 0; j < count; j++) {
      const x = base + k;
      let row: number;
      let a = 0;
      if (exact) {
        row = phase;
      } else {
        const pos = (phase / l) * phases;
        row = Math.floor(pos);
        a = pos - row;
      }
      let y = dotWasm ? dotWasm(4 * x, 4 * row * taps, taps) : dot(mem, x, row * taps, taps);
      if (a > 0) {
        const next = dotWasm
          ? dotWasm(4 * x, 4 * (row + 1) * taps, taps)
          : dot(mem, x, (row + 1) * taps, taps);
        y += a * (next - y);
      }
      out[j] = y;
      phase += m;
      if (phase >= l) {
        k += Math.floor(phase / l);
        phase %= l;
      }
    }
    this.#k = k;
    this.#phase = phase;
    this.#n += count;
    return out;
  }
}

function dot(mem: Float32Array, xi: number, hi: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let i = 0; i < n; i += 4) {
    a0 += mem[xi + i] * mem[hi + i];
    a1 += mem[xi + i + 1] * mem[hi + i + 1];
    a2 += mem[xi + i + 2] * mem[hi + i + 2];
    a3 += mem[xi + i + 3] * mem[hi + i + 3];
  }
  return a0 + a1 + (a2 + a3);
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Band-limited resampling of mono audio. The result has round(length·to/from) samples and its
 * sample i lies at time i/toRate, on the same time line as the input's sample i at i/fromRate.
 */
export function resample(x: Float32Array, fromRate: Hertz, toRate: Hertz): Float32Array {
  const r = new Resampler(fromRate, toRate);
  if (fromRate === toRate) return x.slice();
  const head = r.push(x);
  const tail = r.end();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

function checkRate(name: string, rate: Hertz): void {
  if (!Number.isInteger(rate) || rate < 1) {
    throw new RangeError(`${name} must be a positive whole number of hertz, got ${rate}`);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
