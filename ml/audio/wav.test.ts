import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioFileError } from './errors.js';
import { peak, peakHz, sine, sox, spectrum } from '../../test/audio-testing.js';
import { decodeWav, encodeWav, type BitDepth, type WavEncoding } from './wav.js';

// ---- Hand-built files -------------------------------------------------------------------------

const GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function bytesOf(write: (view: DataView) => void, length: number): Uint8Array {
  const out = new Uint8Array(length);
  write(new DataView(out.buffer));
  return out;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A chunk whose size field may lie; the pad byte follows odd bodies whose size is honest. */
function chunk(id: string, body: Uint8Array, declared = body.length): Uint8Array {
  const header = bytesOf((v) => v.setUint32(4, declared, true), 8);
  header.set(ascii(id), 0);
  const pad = declared === body.length && body.length % 2 === 1 ? new Uint8Array(1) : new Uint8Array(0);
  return concat(header, body, pad);
}

function riff(chunks: Uint8Array[], container = 'RIFF', form = 'WAVE'): Uint8Array {
  const body = concat(ascii(form), ...chunks);
  const header = bytesOf((v) => v.setUint32(4, body.length, true), 8);
  header.set(ascii(container), 0);
  return concat(header, body);
}

interface FmtFields {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  /** Makes a WAVE_FORMAT_EXTENSIBLE fmt; `guid` replaces the whole SubFormat GUID. */
  subTag?: number;
  guid?: number[];
}

function fmt({ tag = 1, channels = 1, rate = 8000, bits = 16, blockAlign, subTag, guid }: FmtFields = {}) {
  const extensible = subTag !== undefined || guid !== undefined;
  const align = blockAlign ?? channels * Math.ceil(bits / 8);
  return chunk(
    'fmt ',
    bytesOf(
      (v) => {
        v.setUint16(0, extensible ? 0xfffe : tag, true);
        v.setUint16(2, channels, true);
        v.setUint32(4, rate, true);
        v.setUint32(8, rate * align, true);
        v.setUint16(12, align, true);
        v.setUint16(14, bits, true);
        if (extensible) {
          v.setUint16(16, 22, true);
          v.setUint16(18, bits, true);
          v.setUint32(20, channels === 1 ? 0x4 : 0x3, true);
          const id = guid ?? [subTag ?? 1, 0, 0, 0, ...GUID_TAIL];
          id.forEach((b, i) => v.setUint8(24 + i, b));
        }
      },
      extensible ? 40 : 16,
    ),
  );
}

function int16(values: number[]): Uint8Array {
  return bytesOf((v) => values.forEach((x, i) => v.setInt16(2 * i, x, true)), 2 * values.length);
}

/** The body of the first chunk with this id in a well-formed file. */
function chunkBody(bytes: Uint8Array, id: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 12; pos + 8 <= bytes.length;) {
    const size = view.getUint32(pos + 4, true);
    if (String.fromCharCode(...bytes.subarray(pos, pos + 4)) === id)
      return bytes.subarray(pos + 8, pos + 8 + size);
    pos += 8 + size + (size % 2);
  }
  throw new Error(`no ${id} chunk`);
}

/** The fmt chunk's format tag and, for EXTENSIBLE, the tag inside its SubFormat GUID. */
function formatTags(bytes: Uint8Array): { tag: number; subTag?: number } {
  const body = chunkBody(bytes, 'fmt ');
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const tag = view.getUint16(0, true);
  return tag === 0xfffe ? { tag, subTag: view.getUint16(24, true) } : { tag };
}

function decodeError(bytes: Uint8Array, file = 'bad.wav'): AudioFileError {
  try {
    decodeWav(bytes, file);
  } catch (err) {
    expect(err).toBeInstanceOf(AudioFileError);
    const e = err as AudioFileError;
    expect(e.file).toBe(file);
    expect(e.message).toBe(`${file}: ${e.reason}`);
    return e;
  }
  throw new Error('decodeWav accepted the file');
}

// ---- Real files from sox -----------------------------------------------------------------------

interface Fixture {
  name: string;
  args: string[];
  rate: number;
  /** One per channel; sox's synth gives each channel its own tone, which checks de-interleaving. */
  tones: number[];
  encoding: WavEncoding;
  bits: number;
  extensible: boolean;
  /** How close the decoded peak must come to 0.5: about one quantisation step of the codec. */
  tolerance: number;
}

const mono = (
  name: string,
  args: string[],
  encoding: WavEncoding,
  bits: number,
  extensible: boolean,
  tolerance: number,
  rate = 44100,
): Fixture => ({ name, args, rate, tones: [1000], encoding, bits, extensible, tolerance });

const FIXTURES: Fixture[] = [
  mono('8-bit unsigned', ['-b', '8', '-e', 'unsigned-integer'], 'pcm', 8, false, 1 / 128),
  mono('16-bit', ['-b', '16'], 'pcm', 16, false, 2 ** -15),
  mono('24-bit', ['-b', '24'], 'pcm', 24, true, 2 ** -22),
  mono('24-bit, plain header', ['-t', 'wavpcm', '-b', '24'], 'pcm', 24, false, 2 ** -22),
  mono('32-bit integer', ['-b', '32', '-e', 'signed-integer'], 'pcm', 32, true, 2 ** -22),
  mono('32-bit float', ['-e', 'floating-point', '-b', '32'], 'float', 32, false, 1e-6),
  mono('64-bit float', ['-e', 'floating-point', '-b', '64'], 'float', 64, false, 1e-6),
  mono('mu-law', ['-e', 'mu-law'], 'mulaw', 8, false, 0.02),
  mono('A-law', ['-e', 'a-law'], 'alaw', 8, false, 0.02),
  mono('16-bit at 8 kHz', ['-b', '16'], 'pcm', 16, false, 2 ** -15, 8000),
  mono('16-bit at 48 kHz', ['-b', '16'], 'pcm', 16, false, 2 ** -15, 48000),
  mono('16-bit at 96 kHz', ['-b', '16'], 'pcm', 16, false, 2 ** -15, 96000),
  {
    name: 'stereo 16-bit',
    args: ['-b', '16'],
    rate: 44100,
    tones: [1000, 2000],
    encoding: 'pcm',
    bits: 16,
    extensible: false,
    tolerance: 2 ** -15,
  },
  {
    name: '6-channel 16-bit',
    args: ['-b', '16'],
    rate: 48000,
    tones: [1000, 1500, 2000, 2500, 3000, 3500],
    encoding: 'pcm',
    bits: 16,
    extensible: true,
    tolerance: 2 ** -15,
  },
  {
    name: '3-channel 8-bit unsigned',
    args: ['-b', '8', '-e', 'unsigned-integer'],
    rate: 22050,
    tones: [1000, 2000, 3000],
    encoding: 'pcm',
    bits: 8,
    extensible: true,
    tolerance: 1 / 128,
  },
  {
    name: '6-channel 32-bit float',
    args: ['-e', 'floating-point', '-b', '32'],
    rate: 44100,
    tones: [1000, 1500, 2000, 2500, 3000, 3500],
    encoding: 'float',
    bits: 32,
    extensible: false,
    tolerance: 1e-6,
  },
];

let dir: string;
const files = new Map<string, Uint8Array>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-wav-'));
  FIXTURES.forEach((f, i) => {
    const path = join(dir, `${i}.wav`);
    const synth = f.tones.flatMap((hz) => ['sine', String(hz)]);
    // Rate and channels go on the null input: on the output alone, sox would synthesise at its
    // default 48 kHz and resample, which rings.
    sox(
      '-r',
      String(f.rate),
      '-c',
      String(f.tones.length),
      '-n',
      ...f.args,
      path,
      'synth',
      '0.5',
      ...synth,
      'vol',
      '0.5',
    );
    files.set(f.name, new Uint8Array(readFileSync(path)));
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectTones(channels: Float32Array[], rate: number, tones: number[], tolerance: number) {
  expect(channels).toHaveLength(tones.length);
  channels.forEach((channel, c) => {
    const hz = tones[c];
    expect(channel).toHaveLength(rate / 2);
    expect(peakHz(channel, rate)).toBe(hz);
    expect(Math.abs(spectrum(channel, rate)[hz / 10] - 0.5)).toBeLessThanOrEqual(tolerance);
    // Samples can straddle the crest: by up to half a sampling interval, π·hz/rate radians.
    const straddle = 0.5 * (1 - Math.cos((Math.PI * hz) / rate));
    expect(peak(channel)).toBeLessThanOrEqual(0.5 + tolerance);
    expect(peak(channel)).toBeGreaterThanOrEqual(0.5 - straddle - tolerance);
  });
}

describe('decodeWav on files written by sox', () => {
  it.each(FIXTURES)('$name', (f) => {
    const bytes = files.get(f.name)!;
    // The header really is the kind this case claims to exercise.
    expect(formatTags(bytes).tag === 0xfffe).toBe(f.extensible);
    const wav = decodeWav(bytes, `${f.name}.wav`);
    expect(wav).toMatchObject({ sampleRate: f.rate, encoding: f.encoding, bitsPerSample: f.bits });
    expect(wav.extensible).toBe(f.extensible);
    expect(wav.warnings).toEqual([]);
    expectTones(wav.channels, f.rate, f.tones, f.tolerance);
  });

  it('decodes EXTENSIBLE float, which sox never writes, from the same samples', () => {
    for (const [name, bits] of [
      ['32-bit float', 32],
      ['64-bit float', 64],
    ] as const) {
      const plain = files.get(name)!;
      expect(formatTags(plain)).toEqual({ tag: 3 });
      const bytes = riff([fmt({ rate: 44100, bits, subTag: 3 }), chunk('data', chunkBody(plain, 'data'))]);
      expect(formatTags(bytes)).toEqual({ tag: 0xfffe, subTag: 3 });
      const wav = decodeWav(bytes, 'ext-float.wav');
      expect(wav).toMatchObject({ encoding: 'float', bitsPerSample: bits, extensible: true, warnings: [] });
      expect(wav.channels[0]).toEqual(decodeWav(plain, 'plain.wav').channels[0]);
      expectTones(wav.channels, 44100, [1000], 1e-6);
    }
  });

  it('decodes EXTENSIBLE mu-law and A-law like their plain forms', () => {
    for (const [name, code] of [
      ['mu-law', 7],
      ['A-law', 6],
    ] as const) {
      const plain = files.get(name)!;
      const bytes = riff([
        fmt({ rate: 44100, bits: 8, subTag: code }),
        chunk('data', chunkBody(plain, 'data')),
      ]);
      const wav = decodeWav(bytes, 'ext.wav');
      expect(wav.extensible).toBe(true);
      expect(wav.channels[0]).toEqual(decodeWav(plain, 'plain.wav').channels[0]);
    }
  });
});

describe('decodeWav refuses malformed files, naming file and reason', () => {
  const data = chunk('data', int16([0, 1000, -1000, 0]));

  it.each<[string, () => Uint8Array, RegExp]>([
    ['an empty file', () => new Uint8Array(0), /^empty file$/],
    ['two bytes of a RIFF header', () => ascii('RI'), /^truncated header/],
    ['a header cut before the form type', () => ascii('RIFF\x04\0\0\0WA'), /^truncated header \(10 bytes/],
    ['a text file', () => ascii('hello, this is not audio at all'), /^not a wav file \(no RIFF header\)$/],
    ['a big-endian RIFX file', () => riff([fmt(), data], 'RIFX'), /^unsupported container RIFX/],
    ['an RF64 file', () => riff([fmt(), data], 'RF64'), /^unsupported container RF64/],
    ['an AVI file', () => riff([data], 'RIFF', 'AVI '), /^not a wav file \(RIFF form type "AVI "/],
    ['no fmt chunk', () => riff([chunk('LIST', ascii('INFO')), data]), /^no fmt chunk$/],
    ['no data chunk', () => riff([fmt(), chunk('LIST', ascii('INFO'))]), /^no data chunk$/],
    [
      'a file ending inside a chunk header',
      () => concat(riff([fmt()]), ascii('da')),
      /^truncated: .*data chunk/,
    ],
    ['a file ending before the fmt chunk', () => concat(riff([]), ascii('fmt ')), /^truncated: .*fmt chunk/],
    [
      'a fmt chunk cut short',
      () => riff([fmt()]).subarray(0, 30),
      /^truncated header: the fmt chunk declares 16/,
    ],
    [
      'a 14-byte fmt chunk',
      () => riff([chunk('fmt ', new Uint8Array(14)), data]),
      /^fmt chunk too small \(14/,
    ],
    ['zero channels', () => riff([fmt({ channels: 0, blockAlign: 2 }), data]), /^zero channels$/],
    ['a zero sample rate', () => riff([fmt({ rate: 0 }), data]), /^zero sample rate$/],
    ['a 999 Hz sample rate', () => riff([fmt({ rate: 999 }), data]), /^implausible sample rate 999 Hz/],
    ['a 1 MHz sample rate', () => riff([fmt({ rate: 1_000_000 }), data]), /^implausible sample rate 1000000/],
    [
      'a block alignment that disagrees',
      () => riff([fmt({ channels: 2, blockAlign: 3 }), data]),
      /^block alignment 3 is inconsistent with 2 channel\(s\) of 2 byte\(s\)/,
    ],
    [
      'ADPCM',
      () => riff([fmt({ tag: 2, bits: 4, blockAlign: 256 }), data]),
      /^unsupported codec ADPCM \(format tag 0x0002\)$/,
    ],
    ['MP3', () => riff([fmt({ tag: 0x55 }), data]), /^unsupported codec MP3 \(format tag 0x0055\)$/],
    [
      'an unnamed codec',
      () => riff([fmt({ tag: 0x1234 }), data]),
      /^unsupported codec \(format tag 0x1234\)$/,
    ],
    [
      'EXTENSIBLE wrapping ADPCM',
      () => riff([fmt({ subTag: 2 }), data]),
      /^unsupported codec ADPCM \(extensible sub-format 0x0002\)$/,
    ],
    [
      // Ambisonic B-format: a PCM code in the first bytes but not the KSDATAFORMAT tail.
      'EXTENSIBLE with a foreign GUID',
      () =>
        riff([
          fmt({ guid: [1, 0, 0, 0, 0x21, 0x07, 0xd3, 0x11, 0x86, 0x44, 0xc8, 0xc1, 0xca, 0, 0, 0] }),
          data,
        ]),
      /^unsupported codec \(extensible sub-format \{00000001-0721-11d3-8644-c8c1ca000000\}\)$/,
    ],
    [
      'EXTENSIBLE with a short fmt chunk',
      () => riff([chunk('fmt ', fmt({ subTag: 1 }).subarray(8, 26)), data]),
      /^extensible fmt chunk too small \(18 bytes, 40 needed\)$/,
    ],
    ['16-bit float', () => riff([fmt({ tag: 3, bits: 16 }), data]), /^unsupported bit depth: 16-bit float$/],
    ['16-bit mu-law', () => riff([fmt({ tag: 7, bits: 16 }), data]), /^unsupported bit depth: 16-bit mulaw$/],
    ['an empty data chunk', () => riff([fmt(), chunk('data', new Uint8Array(0))]), /^no audio/],
    [
      'an empty data chunk before another chunk',
      () => riff([fmt(), chunk('data', new Uint8Array(0)), chunk('LIST', ascii('INFO'))]),
      /^no audio/,
    ],
    [
      'less than one sample frame',
      () => riff([fmt({ channels: 2 }), chunk('data', int16([5]))]),
      /^no audio/,
    ],
  ])('%s', (_, make, reason) => {
    expect(decodeError(make()).reason).toMatch(reason);
  });

  it('names the file in the message', () => {
    expect(() => decodeWav(new Uint8Array(0), '/music/take 3.wav')).toThrow('/music/take 3.wav: empty file');
  });
});

describe('decodeWav repairs what it can, with a warning', () => {
  const values = Array.from({ length: 500 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));
  const body = int16(values);
  const expected = Float32Array.from(values, (v) => v / 32768);

  it.each([
    ['0xFFFFFFFF', 0xffffffff],
    ['0', 0],
    ['larger than the file', 5000],
  ])('reads a data chunk whose size is %s to the end of the file', (_, declared) => {
    const wav = decodeWav(riff([fmt(), chunk('data', body, declared)]), 'stream.wav');
    expect(wav.channels[0]).toEqual(expected);
    expect(wav.warnings).toEqual([
      `the data chunk declares ${declared} bytes but 1000 remain; reading to the end of the file`,
    ]);
  });

  it('drops a trailing partial frame', () => {
    const cut = riff([fmt({ channels: 2 }), chunk('data', body.subarray(0, 999))]);
    const wav = decodeWav(cut, 'cut.wav');
    expect(wav.channels.map((c) => c.length)).toEqual([249, 249]);
    expect(wav.channels[0][248]).toBe(expected[496]);
    expect(wav.channels[1][248]).toBe(expected[497]);
    expect(wav.warnings).toEqual(['dropped a trailing partial sample frame (3 of 4 bytes)']);
  });

  it('drops a partial frame when the file ends before the declared size', () => {
    const wav = decodeWav(riff([fmt(), chunk('data', body, 2000)]).subarray(0, 44 + 501), 'cut.wav');
    expect(wav.channels[0]).toEqual(expected.subarray(0, 250));
    expect(wav.warnings).toHaveLength(2);
    expect(wav.warnings[1]).toMatch(/partial sample frame \(1 of 2 bytes\)/);
  });

  it('finds chunks in any order and skips odd-sized ones by their pad byte', () => {
    const bytes = riff([
      chunk('LIST', ascii('odd')),
      chunk('data', body),
      chunk('JUNK', new Uint8Array(7)),
      fmt(),
    ]);
    const wav = decodeWav(bytes, 'order.wav');
    expect(wav.channels[0]).toEqual(expected);
    expect(wav.warnings).toEqual([]);
  });

  it('reads a buffer that is a view into a larger one', () => {
    const file = riff([fmt(), chunk('data', body)]);
    const host = new Uint8Array(file.length + 13);
    host.set(file, 13);
    expect(decodeWav(host.subarray(13), 'view.wav').channels[0]).toEqual(expected);
  });

  it('replaces non-finite float samples by 0', () => {
    const floats = bytesOf(
      (v) => [0.25, NaN, Infinity, -Infinity, -0.5].forEach((x, i) => v.setFloat32(4 * i, x, true)),
      20,
    );
    const wav = decodeWav(riff([fmt({ tag: 3, bits: 32 }), chunk('data', floats)]), 'nan.wav');
    expect(Array.from(wav.channels[0])).toEqual([0.25, 0, 0, 0, -0.5]);
    expect(wav.warnings).toEqual(['3 non-finite sample(s) (NaN or infinity) replaced by 0']);
  });

  it('keeps float samples beyond full scale', () => {
    const floats = bytesOf((v) => [0.5, 2, -1.5].forEach((x, i) => v.setFloat64(8 * i, x, true)), 24);
    const wav = decodeWav(riff([fmt({ tag: 3, bits: 64 }), chunk('data', floats)]), 'hot.wav');
    expect(Array.from(wav.channels[0])).toEqual([0.5, 2, -1.5]);
    expect(wav.warnings).toEqual(['float samples exceed full scale (peak 2.00)']);
  });
});

describe('encodeWav', () => {
  const signal = Float32Array.from({ length: 4410 }, (_, i) => 0.9 * Math.sin(i / 3) * Math.cos(i / 50));
  const cases: [BitDepth, number, number, number][] = [
    // depth, format tag, bits, largest round-trip error (half a quantisation step)
    ['16', 1, 16, 2 ** -16],
    ['24', 1, 24, 2 ** -24],
    ['32f', 3, 32, 0],
  ];

  it.each(cases)('round-trips %s-bit audio within half a step', (depth, tag, bits, error) => {
    const bytes = encodeWav(signal, 44100, depth);
    expect(formatTags(bytes)).toEqual({ tag });
    const wav = decodeWav(bytes, 'out.wav');
    expect(wav).toMatchObject({ sampleRate: 44100, bitsPerSample: bits, extensible: false, warnings: [] });
    expect(wav.channels).toHaveLength(1);
    const decoded = wav.channels[0];
    expect(decoded).toHaveLength(signal.length);
    let worst = 0;
    for (let i = 0; i < signal.length; i++) worst = Math.max(worst, Math.abs(decoded[i] - signal[i]));
    expect(worst).toBeLessThanOrEqual(error);
    if (depth !== '32f') expect(worst).toBeGreaterThan(0);
  });

  it.each(cases)('clips %s-bit audio to full scale without wrapping; NaN becomes 0', (depth, _tag, bits) => {
    const top = depth === '32f' ? 1 : 1 - 2 ** -(bits - 1);
    const input = Float32Array.from([1.5, -1.5, 1, -1, NaN, Infinity, -Infinity, 0.25]);
    const decoded = decodeWav(encodeWav(input, 22050, depth), 'clip.wav').channels[0];
    expect(Array.from(decoded)).toEqual([top, -1, top, -1, 0, top, -1, 0.25]);
  });

  it('writes a spectrum that survives the trip', () => {
    const wav = decodeWav(encodeWav(sine(1000, 22050, 2205), 22050, '16'), 'tone.wav');
    expect(spectrum(wav.channels[0], 22050)[100]).toBeCloseTo(0.5, 4);
  });

  it('refuses a sample rate outside the range a file may declare', () => {
    expect(() => encodeWav(signal, 500, '16')).toThrow(RangeError);
    expect(() => encodeWav(signal, 44100.5, '16')).toThrow(RangeError);
  });
});
