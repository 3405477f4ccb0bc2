import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioFileError } from './errors.js';
import { decodeAudio, loadAudioFile } from './load.js';
import { peakHz, sox, spectrum } from '../../test/audio-testing.js';
import { encodeWav } from './wav.js';

let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-load-'));
  // Left: 1 kHz at 0.5; right: silent. The mean is 1 kHz at 0.25.
  sox(
    '-r',
    '44100',
    '-c',
    '2',
    '-n',
    '-b',
    '16',
    path('left.wav'),
    'synth',
    '0.5',
    'sine',
    '1000',
    'sine',
    '1000',
    'vol',
    '0.5',
    'remix',
    '1',
    '0',
  );
  sox(
    '-r',
    '48000',
    '-c',
    '2',
    '-n',
    '-b',
    '24',
    path('opposite.wav'),
    'synth',
    '0.5',
    'sine',
    '1000',
    'sine',
    '1000',
    'vol',
    '0.5',
    'remix',
    '1',
    '2v-1',
  );
  sox('-r', '22050', '-c', '1', '-n', '-b', '16', path('silence.wav'), 'trim', '0', '0.5');
  sox(
    '-r',
    '16000',
    '-c',
    '6',
    '-n',
    '-b',
    '16',
    path('six.wav'),
    'synth',
    '0.5',
    ...Array(6).fill(['sine', '1000']).flat(),
    'vol',
    '0.5',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadAudioFile', () => {
  it('mixes a stereo file down to the mean of its channels at 22050 Hz', async () => {
    const audio = await loadAudioFile(path('left.wav'));
    expect(audio).toMatchObject({
      file: path('left.wav'),
      sampleRate: 22050,
      sourceRate: 44100,
      channels: 2,
      encoding: 'pcm',
      bitsPerSample: 16,
      durationSeconds: 0.5,
      silent: false,
      warnings: [],
    });
    expect(audio.samples).toHaveLength(11025);
    expect(peakHz(audio.samples, 22050, 2205)).toBe(1000);
    expect(spectrum(audio.samples, 22050, 2205)[100]).toBeCloseTo(0.25, 3);
  });

  it('mixes six identical channels to the same signal', async () => {
    const audio = await loadAudioFile(path('six.wav'), { sampleRate: 16000 });
    expect(audio).toMatchObject({ channels: 6, sourceRate: 16000, sampleRate: 16000, warnings: [] });
    expect(audio.samples).toHaveLength(8000);
    expect(spectrum(audio.samples, 16000, 1600)[100]).toBeCloseTo(0.5, 3);
  });

  it('reports a stereo file whose channels cancel as silent, with a warning, not an error', async () => {
    const audio = await loadAudioFile(path('opposite.wav'));
    expect(audio.silent).toBe(true);
    expect(audio.warnings).toEqual([expect.stringMatching(/^silent/)]);
    expect(audio.samples).toHaveLength(11025);
  });

  it('reports digital silence as silent', async () => {
    const audio = await loadAudioFile(path('silence.wav'));
    expect(audio.silent).toBe(true);
    expect(audio.warnings).toEqual([expect.stringMatching(/^silent/)]);
  });

  it.each([
    ['a missing file', () => path('nope.wav'), 'file not found'],
    ['a folder', () => dir, 'is a folder, not a file'],
  ])('turns %s into an AudioFileError', async (_, target, reason) => {
    const err = await loadAudioFile(target()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect(err).toMatchObject({ file: target(), reason, message: `${target()}: ${reason}` });
  });

  it('refuses a file that is not audio', async () => {
    await expect(loadAudioFile(join(import.meta.dirname, 'load.ts'))).rejects.toThrow(
      /load\.ts: not an audio file the studio reads \(WAV, AIFF, FLAC, Ogg Vorbis or MP3\)/,
    );
  });
});

describe('decodeAudio', () => {
  const tone = (length: number, rate: number) =>
    encodeWav(
      Float32Array.from({ length }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate)),
      rate,
      '16',
    );

  it('refuses fewer samples than one analysis window at the model rate', async () => {
    // 1000 samples at 44.1 kHz are 500 at 22.05 kHz.
    await expect(decodeAudio(tone(1000, 44100), 'blip.wav')).rejects.toThrow(
      new AudioFileError(
        'blip.wav',
        'too short: 500 samples at 22050 Hz, at least 512 needed (one analysis window)',
      ),
    );
    expect((await decodeAudio(tone(1024, 44100), 'ok.wav')).samples).toHaveLength(512);
  });

  it('takes the rate and the minimum from the options', async () => {
    const audio = await decodeAudio(tone(4410, 44100), 'tone.wav', { sampleRate: 16000, minSamples: 1600 });
    expect(audio).toMatchObject({ sampleRate: 16000, sourceRate: 44100, durationSeconds: 0.1 });
    expect(audio.samples).toHaveLength(1600);
    await expect(decodeAudio(tone(4410, 44100), 'tone.wav', { minSamples: 2206 })).rejects.toThrow(
      /too short: 2205 samples at 22050 Hz, at least 2206 needed/,
    );
  });

  it('passes the decoder’s warnings on', async () => {
    const bytes = tone(2048, 22050);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(40, 0xffffffff, true);
    expect((await decodeAudio(bytes, 'stream.wav')).warnings).toEqual([
      expect.stringMatching(/reading to the end/),
    ]);
  });

  it('refuses options that make no sense', async () => {
    const bytes = tone(2048, 22050);
    await expect(decodeAudio(bytes, 'x.wav', { sampleRate: 0 })).rejects.toThrow(RangeError);
    await expect(decodeAudio(bytes, 'x.wav', { minSamples: -1 })).rejects.toThrow(RangeError);
  });

  it('decodes the bytes of a real file the same way loadAudioFile does', async () => {
    const fromDisk = await loadAudioFile(path('left.wav'));
    const fromBytes = await decodeAudio(new Uint8Array(readFileSync(path('left.wav'))), path('left.wav'));
    expect(fromBytes).toEqual(fromDisk);
  });
});
