/**
 * WAV files read a block at a time, for inputs of any length in constant memory (`vae-studio
 * stream`): the chunk table is walked by reading chunk headers only, and the data chunk is decoded
 * block by block to mono (the mean of the channels), resampled in a stream to the model's rate.
 * It reads what decodeWav reads — PCM 8–32, float 32/64, mu-law, A-law, EXTENSIBLE wrapping one of
 * them — and refuses the rest with an AudioFileError naming the file and the reason.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Hertz } from '../units.js';
import { AudioFileError } from './errors.js';
import { naming } from './files.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, type WavEncoding } from './wav.js';

const ENCODINGS: Record<number, WavEncoding> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const TAG_EXTENSIBLE = 0xfffe;
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

export interface WavStreamInfo {
  sampleRate: Hertz;
  channels: number;
  encoding: WavEncoding;
  bitsPerSample: number;
  /** Sample frames in the data chunk. */
  frames: number;
  warnings: string[];
}

export class WavStreamReader {
  readonly file: string;
  readonly info: WavStreamInfo;
  readonly #handle: FileHandle;
  readonly #dataOffset: number;
  readonly #blockAlign: number;
  readonly #bytesPerSample: number;
  #frame = 0;

  private constructor(
    file: string,
    handle: FileHandle,
    info: WavStreamInfo,
    dataOffset: number,
    blockAlign: number,
    bytesPerSample: number,
  ) {
    this.file = file;
    this.#handle = handle;
    this.info = info;
    this.#dataOffset = dataOffset;
    this.#blockAlign = blockAlign;
    this.#bytesPerSample = bytesPerSample;
  }

  static async open(file: string): Promise<WavStreamReader> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'file not found'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : `cannot read the file (${(err as Error).message})`;
      throw new AudioFileError(file, reason, { cause: err });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new AudioFileError(file, 'not a regular file');
      return await WavStreamReader.#parse(file, handle, stat.size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  static async #parse(file: string, handle: FileHandle, length: number): Promise<WavStreamReader> {
    const fail = (reason: string): never => {
      throw new AudioFileError(file, reason);
    };
    const read = async (pos: number, size: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(size);
      const { bytesRead } = await handle.read(buffer, 0, size, pos);
      return buffer.subarray(0, bytesRead);
    };
    if (length === 0) fail('empty file');
    const head = await read(0, 12);
    const container = ascii(head, 0);
    if (container === 'RIFX' || container === 'RF64' || container === 'BW64')
      fail(`unsupported container ${container} (only little-endian RIFF WAVE files are read)`);
    if (container !== 'RIFF') fail('not a wav file (no RIFF header)');
    if (length < 12) fail(`truncated header (${length} bytes, a RIFF WAVE header needs 12)`);
    const form = ascii(head, 8);
    if (form !== 'WAVE') fail(`not a wav file (RIFF form type "${form}", expected "WAVE")`);

    const warnings: string[] = [];
    let fmt: Uint8Array | null = null;
    let data: { offset: number; size: number } | null = null;
    let pos = 12;
    while (pos + 8 <= length && !(fmt && data)) {
      const header = await read(pos, 8);
      const id = ascii(header, 0);
      const size = new DataView(header.buffer).getUint32(4, true);
      const body = pos + 8;
      const available = length - body;
      if (id === 'fmt ' && !fmt) {
        if (size > available)
          fail(`truncated header: the fmt chunk declares ${size} bytes but only ${available} remain`);
        fmt = await read(body, Math.min(size, 64));
        if (size < 16) fail(`fmt chunk too small (${size} bytes, at least 16 needed)`);
      } else if (id === 'data' && !data) {
        if (size > available || (size === 0 && available > 0)) {
          warnings.push(
            `the data chunk declares ${size} bytes but ${available} remain; reading to the end of the file`,
          );
          data = { offset: body, size: available };
          break;
        }
        data = { offset: body, size };
      }
      if (size > available) break;
      pos = body + size + (size & 1);
    }
    if (!fmt) fail('no fmt chunk');
    if (!data) fail('no data chunk');
    const view = new DataView(fmt!.buffer, fmt!.byteOffset, fmt!.byteLength);
    const headerTag = view.getUint16(0, true);
    const channels = view.getUint16(2, true);
    const sampleRate = view.getUint32(4, true);
    const blockAlign = view.getUint16(12, true);
    const bitsPerSample = view.getUint16(14, true);
    if (channels === 0) fail('zero channels');
    if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE)
      fail(`implausible sample rate ${sampleRate} Hz (expected ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`);
    let tag = headerTag;
    if (headerTag === TAG_EXTENSIBLE) {
      if (fmt!.length < 40) fail(`extensible fmt chunk too small (${fmt!.length} bytes, 40 needed)`);
      const wraps = view.getUint16(26, true) === 0 && SUBTYPE_GUID_TAIL.every((b, i) => fmt![28 + i] === b);
      if (!wraps) fail('unsupported codec (extensible sub-format)');
      tag = view.getUint16(24, true);
    }
    const encoding = ENCODINGS[tag];
    if (!encoding) fail(`unsupported codec (format tag 0x${tag.toString(16).padStart(4, '0')})`);
    const bitsOk =
      encoding === 'pcm'
        ? bitsPerSample >= 1 && bitsPerSample <= 32
        : encoding === 'float'
          ? bitsPerSample === 32 || bitsPerSample === 64
          : bitsPerSample === 8;
    if (!bitsOk) fail(`unsupported bit depth: ${bitsPerSample}-bit ${encoding}`);
    const bytesPerSample = Math.ceil(bitsPerSample / 8);
    if (blockAlign !== channels * bytesPerSample)
      fail(
        `block alignment ${blockAlign} is inconsistent with ${channels} channel(s) of ${bytesPerSample} byte(s) per sample`,
      );
    const frames = Math.floor(data!.size / blockAlign);
    if (frames === 0) fail('no audio: the data chunk holds no complete sample frame');
    const info = { sampleRate, channels, encoding: encoding!, bitsPerSample, frames, warnings };
    return new WavStreamReader(file, handle, info, data!.offset, blockAlign, bytesPerSample);
  }

  /** The next `maxFrames` sample frames (fewer at the end, none after it), mixed to mono. */
  async read(maxFrames: number): Promise<Float32Array> {
    const count = Math.min(maxFrames, this.info.frames - this.#frame);
    if (count <= 0) return new Float32Array(0);
    const bytes = new Uint8Array(count * this.#blockAlign);
    const { bytesRead } = await this.#handle.read(
      bytes,
      0,
      bytes.length,
      this.#dataOffset + this.#frame * this.#blockAlign,
    );
    const frames = Math.floor(bytesRead / this.#blockAlign);
    if (frames < count) throw new AudioFileError(this.file, 'the file shrank while it was being read');
    this.#frame += frames;
    return this.#decode(bytes, frames);
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }

  #decode(bytes: Uint8Array, frames: number): Float32Array {
    const { channels, encoding } = this.info;
    const b = this.#bytesPerSample;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(frames);
    const scale = 1 / channels;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) {
        const at = f * this.#blockAlign + c * b;
        let v: number;
        if (encoding === 'float') {
          v = b === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
          if (!Number.isFinite(v)) v = 0;
        } else if (encoding === 'mulaw') v = muLaw(bytes[at]) / 32768;
        else if (encoding === 'alaw') v = aLaw(bytes[at]) / 32768;
        else if (b === 1) v = (bytes[at] - 128) / 128;
        else if (b === 2) v = view.getInt16(at, true) / 32768;
        else if (b === 3)
          v = (((bytes[at + 2] << 24) | (bytes[at + 1] << 16) | (bytes[at] << 8)) >> 8) / 8388608;
        else v = view.getInt32(at, true) / 2147483648;
        sum += v;
      }
      out[f] = channels === 1 ? sum : sum * scale;
    }
    return out;
  }
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** G.711 mu-law to a 16-bit value. */
function muLaw(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** G.711 A-law to a 16-bit value. */
function aLaw(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = exponent === 0 ? t + 8 : ((t + 0x108) << (exponent - 1)) >>> 0;
  return a & 0x80 ? t : -t;
}

/**
 * Band-limited resampling in a stream: a Blackman-windowed sinc (32 zero crossings each side of
 * the narrower band), its phases tabled for the rates' ratio, DC gain exactly 1. Output sample i
 * lies at time i/toRate on the input's time line, like resample()'s, and a stream of L input
 * samples gives round(L·to/from) output samples in all.
 */
export class StreamResampler {
  readonly #from: number;
  readonly #to: number;
  readonly #half: number;
  /** Taps per phase, and the phases: one per output position within a period of the ratio. */
  readonly #taps: number;
  readonly #table: Float32Array;
  readonly #step: number;
  readonly #phases: number;
  #buffer = new Float32Array(0);
  /** Absolute index of #buffer[0]. */
  #start = 0;
  #length = 0;
  #pushed = 0;
  #next = 0;

  constructor(fromRate: Hertz, toRate: Hertz) {
    const g = gcd(fromRate, toRate);
    this.#from = fromRate / g;
    this.#to = toRate / g;
    if (this.#to > 8192) throw new RangeError(`cannot table a ${fromRate} → ${toRate} Hz ratio`);
    const fc = Math.min(1, toRate / fromRate);
    this.#half = Math.ceil(32 / fc);
    this.#taps = 2 * this.#half;
    this.#phases = this.#to;
    this.#step = this.#from;
    this.#table = new Float32Array(this.#phases * this.#taps);
    for (let p = 0; p < this.#phases; p++) {
      const frac = ((p * this.#from) % this.#to) / this.#to;
      let sum = 0;
      for (let k = 0; k < this.#taps; k++) {
        const u = frac - (k - this.#half + 1); // t − j, j = floor(t) − half + 1 + k
        const x = fc * u;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = u / this.#half;
        const w =
          Math.abs(r) >= 1 ? 0 : 0.42 + 0.5 * Math.cos(Math.PI * r) + 0.08 * Math.cos(2 * Math.PI * r);
        const v = sinc * w;
        this.#table[p * this.#taps + k] = v;
        sum += v;
      }
      for (let k = 0; k < this.#taps; k++) this.#table[p * this.#taps + k] /= sum;
    }
  }

  push(x: Float32Array): Float32Array {
    this.#append(x);
    this.#pushed += x.length;
    return this.#produce(false);
  }

  finish(): Float32Array {
    return this.#produce(true);
  }

  #produce(last: boolean): Float32Array {
    const total = Math.round((this.#pushed * this.#to) / this.#from);
    const out: number[] = [];
    for (;;) {
      const i = this.#next;
      if (last ? i >= total : false) break;
      const whole = Math.floor((i * this.#step) / this.#to);
      const first = whole - this.#half + 1;
      if (!last && first + this.#taps > this.#pushed) break;
      const p = i % this.#phases;
      let y = 0;
      const o = p * this.#taps;
      for (let k = 0; k < this.#taps; k++) {
        const j = first + k - this.#start;
        if (j >= 0 && j < this.#length) y += this.#buffer[j] * this.#table[o + k];
      }
      out.push(y);
      this.#next++;
    }
    // Keep what the next output still reads.
    const keepFrom = Math.floor((this.#next * this.#step) / this.#to) - this.#half + 1;
    const drop = Math.max(0, Math.min(this.#length, keepFrom - this.#start));
    if (drop > 0) {
      this.#buffer.copyWithin(0, drop, this.#length);
      this.#length -= drop;
      this.#start += drop;
    }
    return Float32Array.from(out);
  }

  #append(x: Float32Array): void {
    if (this.#length + x.length > this.#buffer.length) {
      const grown = new Float32Array(Math.max(this.#length + x.length, 2 * this.#buffer.length, 1024));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(x, this.#length);
    this.#length += x.length;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * A 16-bit mono WAV written a block at a time into a temporary file beside `path`, flushed and
 * renamed over it by close(); abandon() removes it. Samples are clipped and rounded as encodeWav's.
 */
export class WavStreamWriter {
  readonly path: string;
  readonly #temp: string;
  readonly #handle: FileHandle;
  readonly #sampleRate: number;
  #samples = 0;

  private constructor(path: string, temp: string, handle: FileHandle, sampleRate: number) {
    this.path = path;
    this.#temp = temp;
    this.#handle = handle;
    this.#sampleRate = sampleRate;
  }

  static async create(path: string, sampleRate: Hertz): Promise<WavStreamWriter> {
    const temp = join(
      dirname(path),
      `.${basename(path).slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx');
    } catch (err) {
      throw naming(err, path);
    }
    const writer = new WavStreamWriter(path, temp, handle, sampleRate);
    await writer.#write(writer.#header(), 0);
    return writer;
  }

  get samples(): number {
    return this.#samples;
  }

  async write(samples: Float32Array): Promise<void> {
    if (samples.length === 0) return;
    const bytes = new Uint8Array(2 * samples.length);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i];
      const clipped = Number.isNaN(x) ? 0 : Math.min(1, Math.max(-1, x));
      view.setInt16(2 * i, Math.min(32767, Math.round(clipped * 32768)), true);
    }
    await this.#write(bytes, 44 + 2 * this.#samples);
    this.#samples += samples.length;
  }

  /** Writes the sizes into the header, flushes, and renames the file into place. */
  async close(): Promise<void> {
    try {
      await this.#write(this.#header(), 0);
      await this.#handle.sync();
      await this.#handle.close();
      await rename(this.#temp, this.path);
    } catch (err) {
      await this.abandon();
      throw naming(err, this.path);
    }
  }

  async abandon(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
    await rm(this.#temp, { force: true }).catch(() => undefined);
  }

  async #write(bytes: Uint8Array, position: number): Promise<void> {
    try {
      await this.#handle.write(bytes, 0, bytes.length, position);
    } catch (err) {
      throw naming(err, this.path);
    }
  }

  #header(): Uint8Array {
    const out = new Uint8Array(44);
    const view = new DataView(out.buffer);
    const data = 2 * this.#samples;
    out.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
    view.setUint32(4, 36 + data, true);
    out.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8); // WAVEfmt
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true);
    view.setUint16(22, 1, true);
    view.setUint32(24, this.#sampleRate, true);
    view.setUint32(28, 2 * this.#sampleRate, true);
    view.setUint16(32, 2, true);
    view.setUint16(34, 16, true);
    out.set([0x64, 0x61, 0x74, 0x61], 36); // data
    view.setUint32(40, data, true);
    return out;
  }
}
