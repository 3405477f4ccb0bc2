import wavefile from 'wavefile';
import type { Hertz } from '../units.js';
import { AudioFileError } from './errors.js';
import { pcmWarnings, readPcm, type PcmLayout } from './pcm.js';

const { WaveFile } = wavefile;

export type WavEncoding = 'pcm' | 'float' | 'mulaw' | 'alaw';

export interface DecodedWav {
  /** One array per channel, in file order. Integer formats land in [-1, 1); float data is kept as stored. */
  channels: Float32Array[];
  sampleRate: Hertz;
  encoding: WavEncoding;
  /** As the header states it (for PCM, the container size). */
  bitsPerSample: number;
  /** The header was WAVE_FORMAT_EXTENSIBLE. */
  extensible: boolean;
  /** Damage that was repaired rather than refused. */
  warnings: string[];
}

export type BitDepth = '16' | '24' | '32f';

/** Rates outside this range are a corrupt header, not a recording. */
export const MIN_SAMPLE_RATE: Hertz = 1000;
export const MAX_SAMPLE_RATE: Hertz = 768_000;

const TAG_PCM = 0x0001;
const TAG_FLOAT = 0x0003;
const TAG_ALAW = 0x0006;
const TAG_MULAW = 0x0007;
const TAG_EXTENSIBLE = 0xfffe;

const ENCODINGS: Record<number, WavEncoding> = {
  [TAG_PCM]: 'pcm',
  [TAG_FLOAT]: 'float',
  [TAG_ALAW]: 'alaw',
  [TAG_MULAW]: 'mulaw',
};

/** Codecs people meet in practice, so the refusal can say more than a number. */
const CODEC_NAMES: Record<number, string> = {
  0x0002: 'ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG audio',
  0x0055: 'MP3',
  0x00ff: 'AAC',
  0x0161: 'WMA',
  0x2000: 'AC-3',
  0xf1ac: 'FLAC',
};

/** Bytes 4..15 of every KSDATAFORMAT_SUBTYPE GUID that wraps a plain format tag. */
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const CHUNK_HEADER = 8;
const MIN_FMT_SIZE = 16;
const EXTENSIBLE_FMT_SIZE = 40;

interface Format {
  tag: number;
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  bytesPerSample: number;
  extensible: boolean;
}

interface Span {
  offset: number;
  size: number;
}

/** A WAV file's validated header: where its frames are and how to read them. */
export interface WavHeader {
  sampleRate: Hertz;
  encoding: WavEncoding;
  bitsPerSample: number;
  extensible: boolean;
  channels: number;
  /** How readPcm reads the frames (pcm and float only; A-law and mu-law go through wavefile). */
  layout: PcmLayout;
  /** The first frame's byte offset and the number of whole frames. */
  dataOffset: number;
  frames: number;
  blockAlign: number;
  warnings: string[];
}

/**
 * Validates a WAV file's chunk table and format from untrusted bytes. The bytes need to reach only
 * past the data chunk's header when `partial` is set (a file read in pieces): the data chunk is
 * then taken at its declared size, or to `fileSize`.
 */
export function parseWav(bytes: Uint8Array, file: string, fileSize = bytes.length): WavHeader {
  const fail = (reason: string): never => {
    throw new AudioFileError(file, reason);
  };
  const warnings: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { fmtChunk, dataChunk } = findChunks(bytes, view, warnings, fail, fileSize);
  const format = parseFormat(bytes, view, fmtChunk, fail);

  const frames = Math.floor(dataChunk.size / format.blockAlign);
  const leftover = dataChunk.size % format.blockAlign;
  if (frames === 0) fail('no audio: the data chunk holds no complete sample frame');
  if (leftover > 0) {
    warnings.push(`dropped a trailing partial sample frame (${leftover} of ${format.blockAlign} bytes)`);
  }
  return {
    sampleRate: format.sampleRate,
    encoding: format.encoding,
    bitsPerSample: format.bitsPerSample,
    extensible: format.extensible,
    channels: format.channels,
    layout: {
      channels: format.channels,
      bytesPerSample: format.bytesPerSample,
      float: format.encoding === 'float',
      littleEndian: true,
      unsigned8: true,
    },
    dataOffset: dataChunk.offset,
    frames,
    blockAlign: format.blockAlign,
    warnings,
  };
}

/**
 * Decodes a WAV file from untrusted bytes. The chunk table and format are validated here first;
 * PCM and float data are read directly (pcm.ts), A-law and mu-law by wavefile from a canonical
 * copy, because wavefile trusts sizes it should not (a streaming writer's data size of 0xFFFFFFFF)
 * and misreads some valid headers (EXTENSIBLE float as integers).
 */
export function decodeWav(bytes: Uint8Array, file: string): DecodedWav {
  const header = parseWav(bytes, file);
  const warnings = [...header.warnings];
  let channels: Float32Array[];
  if (header.encoding === 'pcm' || header.encoding === 'float') {
    const stats = { nonFinite: 0, floatPeak: 0 };
    channels = readPcm(bytes, header.dataOffset, header.frames, header.layout, stats);
    warnings.push(...pcmWarnings(stats));
  } else {
    const data = bytes.subarray(header.dataOffset, header.dataOffset + header.frames * header.blockAlign);
    let planes: Float64Array[];
    try {
      planes = readCompanded(header, data);
    } catch (err) {
      throw new AudioFileError(file, `could not decode the samples (${String(err)})`, { cause: err });
    }
    // wavefile expands A-law and mu-law to 16-bit integers.
    channels = planes.map((plane) => Float32Array.from(plane, (v) => v / 32768));
  }
  return {
    channels,
    sampleRate: header.sampleRate,
    encoding: header.encoding,
    bitsPerSample: header.bitsPerSample,
    extensible: header.extensible,
    warnings,
  };
}

function findChunks(
  bytes: Uint8Array,
  view: DataView,
  warnings: string[],
  fail: (reason: string) => never,
  fileSize: number,
): { fmtChunk: Span; dataChunk: Span } {
  const length = fileSize;
  if (length === 0) fail('empty file');
  const container = fourcc(bytes, 0);
  if (container === 'RIFX' || container === 'RF64' || container === 'BW64') {
    fail(`unsupported container ${container} (only little-endian RIFF WAVE files are read)`);
  }
  if (container !== 'RIFF') {
    if (length < 4 && 'RIFF'.startsWith(container)) fail(`truncated header (${length} bytes)`);
    fail('not a wav file (no RIFF header)');
  }
  if (length < 12) fail(`truncated header (${length} bytes, a RIFF WAVE header needs 12)`);
  const form = fourcc(bytes, 8);
  if (form !== 'WAVE') fail(`not a wav file (RIFF form type "${form}", expected "WAVE")`);

  // The RIFF size field is ignored: streaming writers leave it at 0 or 0xFFFFFFFF, and walking
  // the chunks to the real end of the file needs nothing from it.
  let fmtChunk: Span | undefined;
  let dataChunk: Span | undefined;
  let truncated = false;
  let pos = 12;
  while (pos < length) {
    if (pos + CHUNK_HEADER > length) {
      truncated = true;
      break;
    }
    // Only a head of the file is here (it is read in pieces): chunks past it are not looked at.
    if (pos + CHUNK_HEADER > bytes.length) fail(`no fmt and data chunk in the first ${bytes.length} bytes`);
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + CHUNK_HEADER;
    const available = length - body;
    if (id === 'fmt ' && !fmtChunk) {
      if (size > available) {
        fail(`truncated header: the fmt chunk declares ${size} bytes but only ${available} remain`);
      }
      if (body + size > bytes.length) fail(`the fmt chunk lies beyond the first ${bytes.length} bytes`);
      fmtChunk = { offset: body, size };
    } else if (id === 'data' && !dataChunk) {
      if (size > available || (size === 0 && available > 0 && !startsChunk(bytes, view, body))) {
        warnings.push(
          `the data chunk declares ${size} bytes but ${available} remain; reading to the end of the file`,
        );
        dataChunk = { offset: body, size: available };
        break;
      }
      dataChunk = { offset: body, size };
    }
    if (fmtChunk && dataChunk) break;
    if (size > available) {
      truncated = true;
      break;
    }
    pos = body + size + (size & 1);
  }
  if (!fmtChunk) fail(truncated ? 'truncated: the file ends before a fmt chunk' : 'no fmt chunk');
  if (!dataChunk) fail(truncated ? 'truncated: the file ends before a data chunk' : 'no data chunk');
  return { fmtChunk, dataChunk };
}

/**
 * A data size of 0 is either an empty chunk or a streaming writer that never came back to fill
 * it in. Only in the first case does a well-formed chunk header follow; audio bytes forming four
 * printable characters and a size that fits the file is unlikely enough to tell them apart.
 */
function startsChunk(bytes: Uint8Array, view: DataView, pos: number): boolean {
  if (pos + CHUNK_HEADER > bytes.length) return false;
  for (let i = pos; i < pos + 4; i++) {
    if (bytes[i] < 0x20 || bytes[i] > 0x7e) return false;
  }
  return view.getUint32(pos + 4, true) <= bytes.length - pos - CHUNK_HEADER;
}

function parseFormat(
  bytes: Uint8Array,
  view: DataView,
  chunk: Span,
  fail: (reason: string) => never,
): Format {
  const o = chunk.offset;
  if (chunk.size < MIN_FMT_SIZE) {
    fail(`fmt chunk too small (${chunk.size} bytes, at least ${MIN_FMT_SIZE} needed)`);
  }
  const headerTag = view.getUint16(o, true);
  const channels = view.getUint16(o + 2, true);
  const sampleRate = view.getUint32(o + 4, true);
  const blockAlign = view.getUint16(o + 12, true);
  const bitsPerSample = view.getUint16(o + 14, true);

  if (channels === 0) fail('zero channels');
  if (sampleRate === 0) fail('zero sample rate');
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    fail(`implausible sample rate ${sampleRate} Hz (expected ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`);
  }

  const extensible = headerTag === TAG_EXTENSIBLE;
  let tag = headerTag;
  if (extensible) {
    if (chunk.size < EXTENSIBLE_FMT_SIZE) {
      fail(`extensible fmt chunk too small (${chunk.size} bytes, ${EXTENSIBLE_FMT_SIZE} needed)`);
    }
    const guid = bytes.subarray(o + 24, o + 40);
    const wrapsTag =
      view.getUint16(o + 26, true) === 0 && SUBTYPE_GUID_TAIL.every((b, i) => guid[i + 4] === b);
    if (!wrapsTag) fail(`unsupported codec (extensible sub-format ${guidString(view, o + 24)})`);
    tag = view.getUint16(o + 24, true);
  }
  const encoding = ENCODINGS[tag];
  if (!encoding) {
    const name = CODEC_NAMES[tag];
    const where = extensible ? 'extensible sub-format' : 'format tag';
    fail(`unsupported codec ${name ? `${name} ` : ''}(${where} 0x${tag.toString(16).padStart(4, '0')})`);
  }
  const bitsOk =
    encoding === 'pcm'
      ? bitsPerSample >= 1 && bitsPerSample <= 32
      : encoding === 'float'
        ? bitsPerSample === 32 || bitsPerSample === 64
        : bitsPerSample === 8;
  if (!bitsOk) fail(`unsupported bit depth: ${bitsPerSample}-bit ${encoding}`);
  const bytesPerSample = Math.ceil(bitsPerSample / 8);
  if (blockAlign !== channels * bytesPerSample) {
    fail(
      `block alignment ${blockAlign} is inconsistent with ${channels} channel(s) of ${bytesPerSample} byte(s) per sample`,
    );
  }
  return { tag, encoding, channels, sampleRate, blockAlign, bitsPerSample, bytesPerSample, extensible };
}

/**
 * A-law or mu-law through wavefile, from a canonical file (a plain fmt with the basic tag, then
 * exactly the validated frames) so that nothing it would misread or over-trust is left in front of it.
 */
function readCompanded(header: WavHeader, data: Uint8Array): Float64Array[] {
  const wav = new WaveFile(canonicalWav(header, data));
  if (header.encoding === 'alaw') wav.fromALaw();
  if (header.encoding === 'mulaw') wav.fromMuLaw();
  // Typed as one array, but wavefile returns one per channel when there is more than one.
  const samples = wav.getSamples(false, Float64Array) as Float64Array | Float64Array[];
  return Array.isArray(samples) ? samples : [samples];
}

function canonicalWav(header: WavHeader, data: Uint8Array): Uint8Array {
  const headerSize = 44;
  const out = new Uint8Array(headerSize + data.length);
  const view = new DataView(out.buffer);
  writeFourcc(out, 0, 'RIFF');
  view.setUint32(4, out.length - 8, true);
  writeFourcc(out, 8, 'WAVE');
  writeFourcc(out, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, header.encoding === 'alaw' ? TAG_ALAW : TAG_MULAW, true);
  view.setUint16(22, header.channels, true);
  view.setUint32(24, header.sampleRate, true);
  view.setUint32(28, header.sampleRate * header.blockAlign, true);
  view.setUint16(32, header.blockAlign, true);
  view.setUint16(34, 8, true);
  writeFourcc(out, 36, 'data');
  view.setUint32(40, data.length, true);
  out.set(data, headerSize);
  return out;
}

/**
 * Encodes mono audio. Samples are clipped to [-1, 1] for every depth, so a file plays the same
 * whichever depth is chosen; NaN becomes silence. Integers are v·2^(n-1), clamped, the inverse of
 * decodeWav's scaling, so values on the integer grid round-trip exactly.
 */
export function encodeWav(samples: Float32Array, sampleRate: Hertz, bitDepth: BitDepth): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new RangeError(
      `sample rate must be an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz, got ${sampleRate}`,
    );
  }
  const out = new Float64Array(samples.length);
  const full = bitDepth === '32f' ? 1 : 2 ** (Number(bitDepth) - 1);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    const clipped = Number.isNaN(x) ? 0 : Math.min(1, Math.max(-1, x));
    out[i] = bitDepth === '32f' ? clipped : Math.min(full - 1, Math.round(clipped * full));
  }
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, bitDepth, out);
  return wav.toBuffer();
}

function fourcc(bytes: Uint8Array, pos: number): string {
  let s = '';
  for (let i = pos; i < Math.min(pos + 4, bytes.length); i++) {
    const b = bytes[i];
    s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

function writeFourcc(out: Uint8Array, pos: number, id: string): void {
  for (let i = 0; i < 4; i++) out[pos + i] = id.charCodeAt(i);
}

function guidString(view: DataView, o: number): string {
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
  const tail = Array.from({ length: 8 }, (_, i) => hex(view.getUint8(o + 8 + i), 2));
  return (
    `{${hex(view.getUint32(o, true), 8)}-${hex(view.getUint16(o + 4, true), 4)}-` +
    `${hex(view.getUint16(o + 6, true), 4)}-${tail.slice(0, 2).join('')}-${tail.slice(2).join('')}}`
  );
}
