import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioFileError } from './errors.js';
import { resample } from './resample.js';
import { decodeWav, encodeWav } from './wav.js';
import { StreamResampler, WavStreamReader, WavStreamWriter } from './wav-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'vae-wav-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tone(length: number, rate: number, seed = 1): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++)
    x[i] =
      0.4 * Math.sin((2 * Math.PI * 440 * i) / rate + seed) + 0.2 * Math.sin((2 * Math.PI * 2900 * i) / rate);
  return x;
}

/** A stereo 16-bit WAV of two channels, interleaved. */
function stereo16(a: Float32Array, b: Float32Array, rate: number): Uint8Array {
  const out = Buffer.alloc(44 + 4 * a.length);
  out.write('RIFF', 0);
  out.writeUInt32LE(36 + 4 * a.length, 4);
  out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(2, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 4, 28);
  out.writeUInt16LE(4, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36);
  out.writeUInt32LE(4 * a.length, 40);
  for (let i = 0; i < a.length; i++) {
    out.writeInt16LE(Math.round(a[i] * 32767), 44 + 4 * i);
    out.writeInt16LE(Math.round(b[i] * 32767), 46 + 4 * i);
  }
  return out;
}

async function readAll(path: string, block: number): Promise<Float32Array> {
  const reader = await WavStreamReader.open(path);
  const parts: number[] = [];
  try {
    for (;;) {
      const x = await reader.read(block);
      if (x.length === 0) break;
      parts.push(...x);
    }
  } finally {
    await reader.close();
  }
  return Float32Array.from(parts);
}

describe('WavStreamReader', () => {
  it.each(['16', '24', '32f'] as const)(
    'reads %s-bit mono as decodeWav does, block by block',
    async (depth) => {
      const path = join(dir, `mono-${depth}.wav`);
      writeFileSync(path, encodeWav(tone(5000, 22050), 22050, depth));
      const whole = decodeWav(readFileSync(path), path).channels[0];
      const streamed = await readAll(path, 777);
      expect(streamed).toHaveLength(whole.length);
      let diff = 0;
      for (let i = 0; i < whole.length; i++) diff = Math.max(diff, Math.abs(whole[i] - streamed[i]));
      expect(diff).toBeLessThan(1e-7);
    },
  );

  it('mixes stereo to the mean of its channels and reports the format', async () => {
    const path = join(dir, 'stereo.wav');
    const a = tone(3000, 44100, 1);
    const b = tone(3000, 44100, 2);
    writeFileSync(path, stereo16(a, b, 44100));
    const reader = await WavStreamReader.open(path);
    expect(reader.info).toMatchObject({ sampleRate: 44100, channels: 2, encoding: 'pcm', frames: 3000 });
    await reader.close();
    const mono = await readAll(path, 1000);
    const decoded = decodeWav(readFileSync(path), path).channels;
    for (const i of [0, 100, 2999]) expect(mono[i]).toBeCloseTo((decoded[0][i] + decoded[1][i]) / 2, 6);
  });

  it.each([
    ['empty.wav', '', /empty/],
    ['text.wav', 'these are my notes, not audio at all', /RIFF/],
    ['header.wav', 'RIFF\0\0\0\0WAVE', /no fmt chunk/],
  ])('refuses %s naming the file', async (name, bytes, reason) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const err = await WavStreamReader.open(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(reason);
  });
});

describe('StreamResampler', () => {
  it.each([
    [44100, 22050],
    [48000, 22050],
    [16000, 22050],
  ])('%i → %i Hz in pieces agrees with the whole-file resampler and has its length', (from, to) => {
    const x = tone(from, from); // one second
    const whole = resample(x, from, to);
    const r = new StreamResampler(from, to);
    const parts: number[] = [];
    for (let at = 0; at < x.length; at += 1234) parts.push(...r.push(x.subarray(at, at + 1234)));
    parts.push(...r.finish());
    expect(parts).toHaveLength(whole.length);
    // Away from the ends (where the two treat the edges differently) they agree to −50 dB.
    let err = 0;
    let ref = 0;
    for (let i = 200; i < whole.length - 200; i++) {
      err += (parts[i] - whole[i]) ** 2;
      ref += whole[i] ** 2;
    }
    expect(10 * Math.log10(err / ref)).toBeLessThan(-50);
  });
});

describe('WavStreamWriter', () => {
  it('writes a 16-bit file block by block that decodes to the same samples as encodeWav', async () => {
    const x = tone(4000, 22050);
    const path = join(dir, 'written.wav');
    const writer = await WavStreamWriter.create(path, 22050);
    await writer.write(x.subarray(0, 1500));
    await writer.write(x.subarray(1500));
    await writer.close();
    expect(Buffer.from(readFileSync(path))).toEqual(Buffer.from(encodeWav(x, 22050, '16')));
  });
});
