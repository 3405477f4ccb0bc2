// Every format against a reference, on a real recording (espeak-ng speech, test/fixtures.ts) made
// into 48 kHz stereo and then into each format with sox and lame at test time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sox } from '../../test/audio-testing.js';
import { speechFixture } from '../../test/fixtures.js';
import { decodeBytes, decodeFile, isAudioFileName, sniffFormat, type AudioInfo } from './decoders.js';
import { AudioFileError } from './errors.js';
import { decodeAudio, loadAudioFile } from './load.js';

let dir: string;
const at = (name: string) => join(dir, name);
const bytesOf = (name: string) => new Uint8Array(readFileSync(at(name)));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-formats-'));
  // Left: the speech; right: the speech at -6 dB, inverted, so the channels differ.
  const source = speechFixture(0).path;
  sox(source, '-r', '48000', '-c', '2', '-b', '16', at('st16.wav'), 'trim', '0', '3', 'remix', '1', '1v-0.5');
  sox(at('st16.wav'), '-b', '24', at('st24.wav'), 'vol', '0.9');
  sox(at('st16.wav'), at('st16.flac'));
  sox(at('st24.wav'), at('st24.flac'));
  sox(at('st16.wav'), at('st16.aiff'));
  sox(at('st24.wav'), at('st24.aiff'));
  sox(at('st16.wav'), '-e', 'floating-point', '-b', '32', at('stf.wav'));
  sox(at('st16.wav'), '-e', 'floating-point', '-b', '32', at('stf.aifc'));
  sox(at('st16.wav'), '-C', '5', at('st.ogg'));
  sox(at('st.ogg'), '-e', 'floating-point', '-b', '32', at('st-ogg-sox.wav'));
  sox(source, '-r', '44100', '-c', '1', '-b', '16', at('mono44.wav'), 'trim', '0', '3');
  lame(at('st16.wav'), at('st.mp3'));
  lame(at('mono44.wav'), at('mono.mp3'));
  lame('--decode', at('st.mp3'), at('st-mp3-lame.wav'));
  lame('--decode', at('mono.mp3'), at('mono-mp3-lame.wav'));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lame(...args: string[]): void {
  execFileSync('lame', ['--quiet', ...args]);
}

/** Every channel of a file at its own rate, read from bytes and, to check they agree, from disk. */
async function channelsOf(name: string): Promise<{ channels: Float32Array[]; info: AudioInfo }> {
  const collect = () => {
    const pieces: Float32Array[][] = [];
    return {
      pieces,
      sink: (c: Float32Array[]) => pieces.push(c.map((x) => x.slice())),
      join: () =>
        pieces[0].map((_, ch) => {
          const out = new Float32Array(pieces.reduce((n, p) => n + p[ch].length, 0));
          let o = 0;
          for (const p of pieces) {
            out.set(p[ch], o);
            o += p[ch].length;
          }
          return out;
        }),
    };
  };
  const fromBytes = collect();
  const info = await decodeBytes(bytesOf(name), name, fromBytes.sink);
  const fromDisk = collect();
  const infoDisk = await decodeFile(at(name), name, fromDisk.sink);
  const channels = fromBytes.join();
  expect(infoDisk).toEqual(info);
  expect(mismatches(fromDisk.join(), channels)).toBe(0);
  return { channels, info };
}

/** How many samples differ (every sample of a channel that is missing or extra counts). */
function mismatches(a: Float32Array[], b: Float32Array[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (let c = 0; c < a.length; c++) {
    n += Math.abs(a[c].length - b[c].length);
    for (let i = 0; i < Math.min(a[c].length, b[c].length); i++) if (a[c][i] !== b[c][i]) n++;
  }
  return n;
}

function worstDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  for (let c = 0; c < a.length; c++) {
    for (let i = 0; i < a[c].length; i++) worst = Math.max(worst, Math.abs(a[c][i] - b[c][i]));
  }
  return worst;
}

describe('lossless formats', () => {
  it.each([
    ['st16.flac', 'st16.wav', 16],
    ['st24.flac', 'st24.wav', 24],
    ['st16.aiff', 'st16.wav', 16],
    ['st24.aiff', 'st24.wav', 24],
    ['stf.aifc', 'stf.wav', 32],
  ])('%s decodes sample-identical to %s', async (name, wav, bits) => {
    const got = await channelsOf(name);
    const want = await channelsOf(wav);
    expect(got.info).toMatchObject({ sampleRate: 48000, channels: 2, bitsPerSample: bits, warnings: [] });
    expect(got.channels[0].length).toBe(want.channels[0].length);
    expect(got.channels[0].length).toBe(144_000);
    expect(mismatches(got.channels, want.channels)).toBe(0);
  });
});

describe('lossy formats', () => {
  it('Ogg Vorbis matches sox (libvorbisfile) to its 16 bits, at equal length', async () => {
    const got = await channelsOf('st.ogg');
    const want = await channelsOf('st-ogg-sox.wav');
    expect(got.info).toMatchObject({ format: 'ogg', encoding: 'vorbis', sampleRate: 48000, channels: 2 });
    expect(got.channels[0].length).toBe(want.channels[0].length);
    // sox reads Vorbis through ov_read's 16-bit words: ours is that, but for rounding to them
    // (half a step, and a hair more where the decoders' float arithmetic differs).
    expect(worstDifference(got.channels, want.channels)).toBeLessThan(1 / 32768);
  });

  it.each([
    ['st.mp3', 'st-mp3-lame.wav', 'st16.wav', 48000, 2],
    ['mono.mp3', 'mono-mp3-lame.wav', 'mono44.wav', 44100, 1],
  ])(
    '%s matches lame --decode at equal length, the encoder delay removed',
    async (name, reference, original, rate, channels) => {
      const got = await channelsOf(name);
      const want = await channelsOf(reference);
      const source = await channelsOf(original);
      expect(got.info).toMatchObject({ format: 'mp3', encoding: 'mp3', sampleRate: rate, channels });
      // lame's decoder and ours both drop the delay and padding its header names: the original length.
      expect(got.channels[0].length).toBe(want.channels[0].length);
      expect(got.channels[0].length).toBe(source.channels[0].length);
      // lame writes 16 bits: within rounding to them, and for two decoders' arithmetic, of each other.
      expect(worstDifference(got.channels, want.channels)).toBeLessThan(4 / 32768);
    },
  );
});

describe('reading every format', () => {
  it.each(['st16.flac', 'st16.aiff', 'st.ogg', 'st.mp3'])(
    'loadAudioFile and decodeAudio read %s alike, mixed down at 22050 Hz',
    async (name) => {
      const fromDisk = await loadAudioFile(at(name));
      const fromBytes = await decodeAudio(bytesOf(name), at(name));
      expect({ ...fromBytes, samples: null }).toEqual({ ...fromDisk, samples: null });
      expect(mismatches([fromBytes.samples], [fromDisk.samples])).toBe(0);
      expect(fromDisk).toMatchObject({ sampleRate: 22050, sourceRate: 48000, channels: 2, silent: false });
      expect(fromDisk.samples.length).toBe(Math.round((fromDisk.durationSeconds * 22050) / 1));
    },
  );

  it('tells the format by the bytes, not the name', async () => {
    writeFileSync(at('really-flac.wav'), readFileSync(at('st16.flac')));
    const audio = await loadAudioFile(at('really-flac.wav'));
    expect(audio.format).toBe('flac');
    expect(sniffFormat(bytesOf('st.mp3'), 'x')).toBe('mp3');
    expect(sniffFormat(bytesOf('st.ogg'), 'x')).toBe('ogg');
    expect(sniffFormat(bytesOf('st16.aiff'), 'x')).toBe('aiff');
    expect(sniffFormat(new Uint8Array([1, 2, 3, 4]), 'x.txt')).toBeNull();
  });

  it('names the formats folders are listed by', () => {
    for (const name of ['a.wav', 'B.FLAC', 'c.aif', 'd.aiff', 'e.ogg', 'f.mp3', 'g.aifc'])
      expect(isAudioFileName(name)).toBe(true);
    for (const name of ['a.txt', 'flac', 'b.m4a', '.wav.bak']) expect(isAudioFileName(name)).toBe(false);
  });
});

describe('broken files', () => {
  const cases: [string, string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['flac', 'st16.flac', (b) => b.subarray(0, 30), /: (truncated|no audio|damaged FLAC)/],
    ['flac', 'st16.flac', (b) => b.subarray(0, b.length - 5000), /: damaged or cut short FLAC data/],
    ['flac', 'st16.flac', (b) => scramble(b, 8000), /: damaged or cut short FLAC data: \d+ of the 144000/],
    ['aiff', 'st16.aiff', (b) => b.subarray(0, 30), /: (truncated|no COMM|COMM chunk too small)/],
    ['aiff', 'st16.aiff', (b) => b.subarray(0, 12), /: no COMM chunk/],
    ['ogg', 'st.ogg', (b) => b.subarray(0, 60), /: (no audio|damaged Ogg Vorbis)/],
    ['ogg', 'st.ogg', (b) => scramble(b, 6000), /: damaged Ogg Vorbis data/],
    [
      'mp3',
      'st.mp3',
      (b) => Uint8Array.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 10, ...b.subarray(4000, 4100).fill(7)]),
      /: not an MP3 file|no audio/,
    ],
    ['mp3', 'st.mp3', (b) => scramble(b, 3000), /: damaged MP3 data/],
  ];
  it.each(cases)(
    'refuses a damaged %s (%s) with a reason naming the file',
    async (_, name, damage, reason) => {
      const file = `broken-${name}`;
      writeFileSync(at(file), damage(bytesOf(name)));
      const err = await loadAudioFile(at(file)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AudioFileError);
      expect((err as AudioFileError).file).toBe(at(file));
      expect((err as Error).message).toMatch(
        new RegExp(`^${at(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${reason.source}`),
      );
    },
  );
});

/** The bytes with a stretch in their middle overwritten by a pattern. */
function scramble(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice();
  const start = Math.floor(out.length / 2);
  for (let i = 0; i < length; i++) out[start + i] = (i * 151 + 17) & 0xff;
  return out;
}
