// AIFF and AIFF-C, parsed here: npm has no maintained AIFF decoder (what is there reads tags or is
// an abandoned 0.0.x), and the format is a simple big-endian chunk table — FORM, COMM (channels,
// frames, bits, an 80-bit float rate, and for AIFF-C a compression type), SSND (an offset, then
// the frames). Read: integer PCM of 1 to 32 bits (AIFF's 'NONE' and 'twos' big-endian, 'sowt'
// little-endian), 32- and 64-bit float ('fl32', 'fl64'). Samples land as WAV's do (pcm.ts), so
// the same audio in both gives the same samples.
import type { Hertz } from '../units.js';
import { AudioFileError } from './errors.js';
import type { PcmLayout } from './pcm.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './wav.js';

export interface AiffHeader {
  sampleRate: Hertz;
  channels: number;
  bitsPerSample: number;
  /** 'pcm' or 'float', as LoadedAudio names them. */
  encoding: 'pcm' | 'float';
  aifc: boolean;
  layout: PcmLayout;
  dataOffset: number;
  frames: number;
  warnings: string[];
}

const COMPRESSION_NAMES: Record<string, string> = {
  ulaw: 'mu-law',
  ULAW: 'mu-law',
  alaw: 'A-law',
  ALAW: 'A-law',
  ima4: 'IMA ADPCM',
  MAC3: 'MACE 3:1',
  MAC6: 'MACE 6:1',
  GSM: 'GSM',
  QDMC: 'QDesign',
};

/** True when the bytes begin as an AIFF or AIFF-C file does. */
export function looksLikeAiff(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 12 &&
    ascii(bytes, 0, 4) === 'FORM' &&
    (ascii(bytes, 8, 4) === 'AIFF' || ascii(bytes, 8, 4) === 'AIFC')
  );
}

/**
 * Validates an AIFF file's chunks and format from untrusted bytes. As with parseWav, `fileSize`
 * may exceed the bytes held (a head of a file read in pieces): the sound data may then run past it.
 */
export function parseAiff(bytes: Uint8Array, file: string, fileSize = bytes.length): AiffHeader {
  const fail: (reason: string) => never = (reason) => {
    throw new AudioFileError(file, reason);
  };
  if (fileSize < 12) fail(`truncated header (${fileSize} bytes, an AIFF header needs 12)`);
  if (ascii(bytes, 0, 4) !== 'FORM') fail('not an AIFF file (no FORM header)');
  const form = ascii(bytes, 8, 4);
  if (form !== 'AIFF' && form !== 'AIFC') fail(`not an AIFF file (FORM type "${form}")`);
  const aifc = form === 'AIFC';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const warnings: string[] = [];

  let comm: { offset: number; size: number } | undefined;
  let ssnd: { offset: number; size: number } | undefined;
  let pos = 12;
  while (pos + 8 <= fileSize && !(comm && ssnd)) {
    if (pos + 8 > bytes.length) fail(`no COMM and SSND chunk in the first ${bytes.length} bytes`);
    const id = ascii(bytes, pos, 4);
    const size = view.getUint32(pos + 4, false);
    const body = pos + 8;
    const available = fileSize - body;
    if (id === 'COMM' && !comm) {
      if (size > available || body + size > bytes.length)
        fail(`truncated header: the COMM chunk declares ${size} bytes but only ${available} remain`);
      comm = { offset: body, size };
    } else if (id === 'SSND' && !ssnd) {
      if (size > available) {
        warnings.push(
          `the SSND chunk declares ${size} bytes but ${available} remain; reading to the end of the file`,
        );
        ssnd = { offset: body, size: available };
        break;
      }
      ssnd = { offset: body, size };
    }
    if (size > available) break;
    pos = body + size + (size & 1);
  }
  if (!comm) fail('no COMM chunk (the format)');
  if (!ssnd) fail('no SSND chunk (the sound data)');

  const o = comm.offset;
  if (comm.size < 18) fail(`COMM chunk too small (${comm.size} bytes, at least 18 needed)`);
  const channels = view.getInt16(o, false);
  const declaredFrames = view.getUint32(o + 2, false);
  const bits = view.getInt16(o + 6, false);
  const sampleRate = Math.round(extendedFloat(view, o + 8));
  let compression = 'NONE';
  if (aifc) {
    if (comm.size < 22) fail(`AIFF-C COMM chunk too small (${comm.size} bytes, at least 22 needed)`);
    compression = ascii(bytes, o + 18, 4);
  }
  if (channels <= 0) fail(`${channels} channels`);
  if (!(sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE))
    fail(`implausible sample rate ${sampleRate} Hz (expected ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`);

  let float = false;
  let littleEndian = false;
  let bytesPerSample: number;
  switch (compression) {
    case 'NONE':
    case 'twos':
    case 'sowt':
      if (bits < 1 || bits > 32) fail(`unsupported bit depth: ${bits}-bit PCM`);
      bytesPerSample = Math.ceil(bits / 8);
      littleEndian = compression === 'sowt';
      break;
    case 'fl32':
    case 'FL32':
      float = true;
      bytesPerSample = 4;
      break;
    case 'fl64':
    case 'FL64':
      float = true;
      bytesPerSample = 8;
      break;
    default: {
      const name = COMPRESSION_NAMES[compression.trim()];
      bytesPerSample = fail(`unsupported AIFF-C compression ${name ? `${name} ` : ''}("${compression}")`);
    }
  }

  // SSND: an offset to the first frame (for block alignment) and a block size, then the frames.
  if (ssnd.size < 8) fail('truncated: the SSND chunk ends before its header');
  const dataOffset = ssnd.offset + 8 + view.getUint32(ssnd.offset, false);
  const blockAlign = channels * bytesPerSample;
  const space = ssnd.offset + ssnd.size - dataOffset;
  let frames = Math.max(0, Math.floor(space / blockAlign));
  if (declaredFrames < frames) {
    frames = declaredFrames;
  } else if (declaredFrames > frames) {
    warnings.push(
      `COMM declares ${declaredFrames} frames but the SSND chunk holds ${frames}; reading ${frames}`,
    );
  }
  if (frames === 0) fail('no audio: the SSND chunk holds no complete sample frame');
  return {
    sampleRate,
    channels,
    bitsPerSample: float ? bytesPerSample * 8 : bits,
    encoding: float ? 'float' : 'pcm',
    aifc,
    layout: { channels, bytesPerSample, float, littleEndian, unsigned8: false },
    dataOffset,
    frames,
    warnings,
  };
}

/** An IEEE 754 80-bit extended float (big-endian), as AIFF stores its sample rate. */
function extendedFloat(view: DataView, o: number): number {
  const se = view.getUint16(o, false);
  const hi = view.getUint32(o + 2, false);
  const lo = view.getUint32(o + 6, false);
  const sign = se & 0x8000 ? -1 : 1;
  const exponent = se & 0x7fff;
  if (exponent === 0 && hi === 0 && lo === 0) return 0;
  if (exponent === 0x7fff) return Number.NaN;
  return sign * (hi * 2 ** (exponent - 16383 - 31) + lo * 2 ** (exponent - 16383 - 63));
}

function ascii(bytes: Uint8Array, pos: number, n: number): string {
  let s = '';
  for (let i = pos; i < Math.min(pos + n, bytes.length); i++) {
    const b = bytes[i];
    s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}
