// Every audio format the studio reads, decoded in the engine, in pieces: WAV and AIFF by our own
// parsers (wav.ts, aiff.ts, pcm.ts), FLAC, Ogg Vorbis and MP3 by maintained WebAssembly decoders
// that need no system library (@wasm-audio-decoders/flac and /ogg-vorbis: libFLAC and libvorbis;
// mpg123-decoder: libmpg123, with gapless decoding, so the encoder's delay and padding named in the
// LAME/Xing header are removed). The format is told by the bytes, not the name. A file is read
// and decoded a piece at a time (`decodeFile`), so only what the caller keeps of it stays in
// memory; `decodeBytes` does the same for bytes already held.
import { open } from 'node:fs/promises';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import { MPEGDecoder } from 'mpg123-decoder';
import type { Hertz } from '../units.js';
import { looksLikeAiff, parseAiff } from './aiff.js';
import { AudioFileError } from './errors.js';
import { pcmWarnings, readPcm, type PcmLayout } from './pcm.js';
import { decodeWav, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, parseWav } from './wav.js';

export type AudioFormat = 'wav' | 'aiff' | 'flac' | 'ogg' | 'mp3';

/** The file names the studio offers to read (folders are listed by these), lower case. */
export const AUDIO_EXTENSIONS = ['.wav', '.wave', '.aif', '.aiff', '.aifc', '.flac', '.ogg', '.oga', '.mp3'];

/** Whether a file name has one of AUDIO_EXTENSIONS. */
export function isAudioFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && AUDIO_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/** What decoding learnt about a file. */
export interface AudioInfo {
  format: AudioFormat;
  sampleRate: Hertz;
  channels: number;
  /** 'pcm', 'float', 'mulaw', 'alaw' (WAV, AIFF), 'flac', 'vorbis' or 'mp3'. */
  encoding: string;
  /** Bits per sample as stored; 0 for the lossy formats, which have none. */
  bitsPerSample: number;
  /** Damage that was repaired rather than refused. */
  warnings: string[];
}

/** Takes each decoded piece: one array per channel, at the file's own rate. */
export type PcmSink = (channels: Float32Array[], info: AudioInfo) => void;

/** How much of a file is read at once. */
const READ_BYTES = 1 << 20;
/** Frames of WAV or AIFF converted at once. */
const PCM_FRAMES = 1 << 16;
/** A WAV or AIFF header (every chunk before the audio) must lie in this many bytes. */
const HEAD_BYTES = 1 << 20;

const FORMAT_NAMES: Record<AudioFormat, string> = {
  wav: 'WAV',
  aiff: 'AIFF',
  flac: 'FLAC',
  ogg: 'Ogg Vorbis',
  mp3: 'MP3',
};

/**
 * The format the bytes' beginning shows, else the one the name's extension claims (whose own
 * checks then say what is wrong), else null.
 */
export function sniffFormat(head: Uint8Array, name: string): AudioFormat | null {
  const tag = (o: number) => String.fromCharCode(...head.subarray(o, o + 4));
  if (tag(0) === 'RIFF' || tag(0) === 'RIFX' || tag(0) === 'RF64' || tag(0) === 'BW64') return 'wav';
  if (looksLikeAiff(head)) return 'aiff';
  if (tag(0) === 'fLaC') return 'flac';
  if (tag(0) === 'OggS') return 'ogg';
  if (tag(0).startsWith('ID3')) {
    // An ID3v2 tag: MP3 usually, though FLAC files sometimes carry one too.
    const after = id3End(head);
    if (head.length >= after + 4 && tag(after) === 'fLaC') return 'flac';
    return 'mp3';
  }
  if (head.length >= 4 && mpegHeader(head, 0)) return 'mp3';
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot).toLowerCase() : '';
  if (ext === '.wav' || ext === '.wave') return 'wav';
  if (ext === '.aif' || ext === '.aiff' || ext === '.aifc') return 'aiff';
  if (ext === '.flac') return 'flac';
  if (ext === '.ogg' || ext === '.oga') return 'ogg';
  if (ext === '.mp3') return 'mp3';
  return null;
}

/** Decodes a whole file held in memory, piece by piece into `sink`. */
export async function decodeBytes(bytes: Uint8Array, file: string, sink: PcmSink): Promise<AudioInfo> {
  if (bytes.length === 0) throw new AudioFileError(file, 'empty file');
  const format = formatOf(bytes, file);
  if (format === 'wav' || format === 'aiff') {
    const read = async (offset: number, length: number) => bytes.subarray(offset, offset + length);
    return readUncompressed(format, bytes, bytes.length, file, read, sink);
  }
  async function* pieces() {
    for (let at = 0; at < bytes.length; at += READ_BYTES) yield bytes.subarray(at, at + READ_BYTES);
  }
  return decodeCompressed(format, file, sink, pieces());
}

/** Reads and decodes a file a piece at a time into `sink`; `file` names it in errors. */
export async function decodeFile(path: string, file: string, sink: PcmSink): Promise<AudioInfo> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new AudioFileError(file, readFailure(err), { cause: err });
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new AudioFileError(file, 'is a folder, not a file');
    const size = stat.size;
    if (size === 0) throw new AudioFileError(file, 'empty file');
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let got = 0;
      while (got < buffer.length) {
        const { bytesRead } = await handle.read(buffer, got, buffer.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === buffer.length ? buffer : buffer.subarray(0, got);
    };
    let head: Uint8Array;
    try {
      head = await read(0, HEAD_BYTES);
    } catch (err) {
      throw new AudioFileError(file, readFailure(err), { cause: err });
    }
    const format = formatOf(head, file);
    if (format === 'wav' || format === 'aiff')
      return await readUncompressed(format, head, size, file, read, sink);
    async function* pieces() {
      for (let at = 0; at < size; at += READ_BYTES) {
        const piece = await read(at, READ_BYTES);
        if (piece.length === 0) break;
        yield piece;
      }
    }
    return await decodeCompressed(format, file, sink, pieces());
  } catch (err) {
    if (err instanceof AudioFileError) throw err;
    if ((err as NodeJS.ErrnoException).code) throw new AudioFileError(file, readFailure(err), { cause: err });
    throw err;
  } finally {
    await handle.close();
  }
}

function formatOf(head: Uint8Array, file: string): AudioFormat {
  const format = sniffFormat(head, file);
  if (format) return format;
  throw new AudioFileError(
    file,
    'not an audio file the studio reads (WAV, AIFF, FLAC, Ogg Vorbis or MP3): its first bytes are none of theirs',
  );
}

async function readUncompressed(
  format: 'wav' | 'aiff',
  head: Uint8Array,
  size: number,
  file: string,
  read: (offset: number, length: number) => Promise<Uint8Array>,
  sink: PcmSink,
): Promise<AudioInfo> {
  let layout: PcmLayout;
  let info: AudioInfo;
  let dataOffset: number;
  let frames: number;
  if (format === 'wav') {
    const header = parseWav(head, file, size);
    if (header.encoding === 'alaw' || header.encoding === 'mulaw') {
      // Companded WAV is small (8 bits) and rare: decoded whole, through wavefile.
      const bytes = head.length === size ? head : await read(0, size);
      const wav = decodeWav(bytes, file);
      const whole: AudioInfo = {
        format,
        sampleRate: wav.sampleRate,
        channels: wav.channels.length,
        encoding: wav.encoding,
        bitsPerSample: wav.bitsPerSample,
        warnings: wav.warnings,
      };
      sink(wav.channels, whole);
      return whole;
    }
    ({ layout, dataOffset, frames } = header);
    info = {
      format,
      sampleRate: header.sampleRate,
      channels: header.channels,
      encoding: header.encoding,
      bitsPerSample: header.bitsPerSample,
      warnings: [...header.warnings],
    };
  } else {
    const header = parseAiff(head, file, size);
    ({ layout, dataOffset, frames } = header);
    info = {
      format,
      sampleRate: header.sampleRate,
      channels: header.channels,
      encoding: header.encoding,
      bitsPerSample: header.bitsPerSample,
      warnings: [...header.warnings],
    };
  }
  const frameBytes = layout.channels * layout.bytesPerSample;
  const stats = { nonFinite: 0, floatPeak: 0 };
  for (let done = 0; done < frames;) {
    const n = Math.min(PCM_FRAMES, frames - done);
    const piece = await read(dataOffset + done * frameBytes, n * frameBytes);
    const whole = Math.floor(piece.length / frameBytes);
    if (whole > 0) sink(readPcm(piece, 0, whole, layout, stats), info);
    done += whole;
    if (whole < n) {
      // The file shrank while it was read: keep what came.
      info.warnings.push(`the file ended early: read ${done} of ${frames} sample frames`);
      break;
    }
  }
  info.warnings.push(...pcmWarnings(stats));
  return info;
}

interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

interface WasmDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): Promise<Decoded> | Decoded;
  flush?(): Promise<Decoded>;
  free(): void;
}

/**
 * The decoders write their complaints to console.error as they decode (synchronously, inside the
 * call): kept here instead, to become one clear error naming the file.
 */
async function quietly(call: () => Promise<Decoded> | Decoded, said: string[]): Promise<Decoded> {
  const { error, warn } = console;
  console.error = (...args: unknown[]) => said.push(args.map(String).join(' '));
  console.warn = console.error;
  let pending: Promise<Decoded> | Decoded;
  try {
    pending = call();
  } finally {
    console.error = error;
    console.warn = warn;
  }
  return pending;
}

async function decodeCompressed(
  format: 'flac' | 'ogg' | 'mp3',
  file: string,
  sink: PcmSink,
  pieces: AsyncIterable<Uint8Array>,
): Promise<AudioInfo> {
  const name = FORMAT_NAMES[format];
  const decoder: WasmDecoder =
    format === 'flac' ? new FLACDecoder() : format === 'ogg' ? new OggVorbisDecoder() : new MPEGDecoder();
  const info: AudioInfo = {
    format,
    sampleRate: 0,
    channels: 0,
    encoding: format === 'flac' ? 'flac' : format === 'ogg' ? 'vorbis' : 'mp3',
    bitsPerSample: 0,
    warnings: [],
  };
  const said: string[] = [];
  let frames = 0;
  let first = true;
  /** The sample frames a FLAC header declares (null: unknown). */
  let declared: number | null = null;
  const take = (decoded: Decoded) => {
    const errors = [...said, ...decoded.errors.map((e) => e.message)];
    said.length = 0;
    if (errors.length > 0) {
      const where = frames > 0 ? ` after ${frames} sample frames` : '';
      throw new AudioFileError(file, `damaged ${name} data${where} (${errors[0]})`);
    }
    if (decoded.samplesDecoded === 0) return;
    if (info.sampleRate === 0) {
      const rate = decoded.sampleRate;
      if (!(rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE))
        throw new AudioFileError(
          file,
          `implausible sample rate ${rate} Hz (expected ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`,
        );
      info.sampleRate = rate;
      if (info.channels === 0) info.channels = decoded.channelData.length;
      if (format === 'flac') info.bitsPerSample = (decoded as Decoded & { bitDepth?: number }).bitDepth ?? 0;
    } else if (decoded.sampleRate !== info.sampleRate) {
      throw new AudioFileError(
        file,
        `the sample rate changes inside the file (${info.sampleRate} Hz, then ${decoded.sampleRate} Hz); not supported`,
      );
    }
    const channels = decoded.channelData.map((c) =>
      c.length === decoded.samplesDecoded ? c : c.subarray(0, decoded.samplesDecoded),
    );
    if (format === 'flac' && info.bitsPerSample > 0) toWavScale(channels, info.bitsPerSample);
    // mpg123-decoder always gives two channels: a mono file's twice over.
    sink(info.channels === 1 && channels.length > 1 ? [channels[0]] : channels, info);
    frames += decoded.samplesDecoded;
  };
  try {
    await decoder.ready;
    for await (const piece of pieces) {
      if (first && format === 'mp3') {
        const channels = mp3Channels(piece);
        if (channels === null)
          throw new AudioFileError(file, 'not an MP3 file: no MPEG audio frame header found');
        info.channels = channels;
      }
      if (first && format === 'flac') declared = flacTotalFrames(piece);
      first = false;
      take(await quietly(() => decoder.decode(piece), said));
    }
    if (decoder.flush) take(await quietly(() => (decoder.flush as () => Promise<Decoded>)(), said));
  } catch (err) {
    if (err instanceof AudioFileError) throw err;
    throw new AudioFileError(
      file,
      `damaged ${name} data (${err instanceof Error ? err.message : String(err)})`,
      {
        cause: err,
      },
    );
  } finally {
    decoder.free();
  }
  if (frames === 0) throw new AudioFileError(file, `no audio: no ${name} frames could be decoded`);
  // The FLAC parser skips a frame it cannot make sense of: the count is what tells.
  if (declared !== null && frames !== declared)
    throw new AudioFileError(
      file,
      `damaged or cut short FLAC data: ${frames} of the ${declared} sample frames its header declares could be decoded`,
    );
  return info;
}

/**
 * The FLAC decoder divides its integers by 2^(n-1) - 1; WAV's and AIFF's are divided by 2^(n-1)
 * (pcm.ts). Its floats are turned back into the integers (float32 holds them to a quarter of a
 * step at 24 bits) and divided as WAV's, so FLAC gives exactly the samples of the same WAV.
 */
function toWavScale(channels: Float32Array[], bits: number): void {
  const full = 2 ** (bits - 1);
  const theirs = full - 1;
  for (const c of channels) {
    for (let i = 0; i < c.length; i++) c[i] = Math.round(c[i] * theirs) / full;
  }
}

/** STREAMINFO's total sample frames, past 'fLaC' (or an ID3v2 tag first); null when unknown (0). */
function flacTotalFrames(b: Uint8Array): number | null {
  let pos = 0;
  if (b.length >= 10 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) pos = id3End(b);
  // 'fLaC', a 4-byte block header, then STREAMINFO: the total is its bits 108..143.
  const o = pos + 8;
  if (b.length < o + 18 || (b[pos + 4] & 0x7f) !== 0) return null;
  const total =
    (b[o + 13] & 0x0f) * 2 ** 32 +
    ((b[o + 14] << 24) >>> 0) +
    (b[o + 15] << 16) +
    (b[o + 16] << 8) +
    b[o + 17];
  return total > 0 ? total : null;
}

/** Where an ID3v2 tag at the start ends (its size is four 7-bit bytes; a footer adds 10). */
function id3End(b: Uint8Array): number {
  return (
    10 +
    (((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f)) +
    (b[5] & 0x10 ? 10 : 0)
  );
}

/** The channel count of the first MPEG audio frame (past an ID3v2 tag), or null if there is none. */
function mp3Channels(bytes: Uint8Array): number | null {
  let pos = 0;
  if (bytes.length >= 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    pos = id3End(bytes);
  }
  // A header must be found soon after the tag; junk before the first frame is skipped, as decoders do.
  const end = Math.min(bytes.length - 4, pos + 65536);
  for (let i = pos; i <= end; i++) {
    // Channel mode 3 is single channel.
    if (mpegHeader(bytes, i)) return bytes[i + 3] >> 6 === 3 ? 1 : 2;
  }
  return null;
}

/** A plausible MPEG audio frame header at `i`: sync, a known version and layer, a valid bitrate and rate. */
function mpegHeader(b: Uint8Array, i: number): boolean {
  if (i + 4 > b.length) return false;
  if (b[i] !== 0xff || (b[i + 1] & 0xe0) !== 0xe0) return false;
  const version = (b[i + 1] >> 3) & 3;
  const layer = (b[i + 1] >> 1) & 3;
  const bitrate = b[i + 2] >> 4;
  const rate = (b[i + 2] >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 0 && bitrate !== 15 && rate !== 3;
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read the file (${err instanceof Error ? err.message : String(err)})`;
  }
}
