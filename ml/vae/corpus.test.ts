import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioFileError } from '../audio/errors.js';
import { encodeWav } from '../audio/wav.js';
import { DEFAULT_FRAME_SETTINGS, frameCount } from '../features/settings.js';
import { type SkippedFile, HELD_OUT_SHARE, buildCorpus, expandInputs, splitCorpus } from './corpus.js';
import { tempDir } from './testing.js';

const RATE = DEFAULT_FRAME_SETTINGS.sampleRate;
/** Frequencies on analysis bins, so both tones' peaks are their amplitude times the same factor. */
const BIN_HZ = RATE / DEFAULT_FRAME_SETTINGS.windowSize;

function tone(seconds: number, amplitude: number, hz: number): Float32Array {
  const n = Math.round(seconds * RATE);
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / RATE));
}

function source(name: string, frames: number, bins: number, base: number) {
  return { name, frames: Float32Array.from({ length: frames * bins }, (_, i) => base + i) };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected a rejection');
  return err;
}

describe('splitCorpus', () => {
  it('holds out the last 10 % of every source, contiguously, and keeps the rest for training', () => {
    const bins = 2;
    const corpus = splitCorpus(
      [source('a', 20, bins, 0), source('b', 30, bins, 1000), source('c', 10, bins, 2000)],
      bins,
      0.25,
    );
    expect(HELD_OUT_SHARE).toBe(0.1);
    expect(corpus.bins).toBe(2);
    expect(corpus.ref).toBe(0.25);
    expect(corpus.sources).toEqual([
      { name: 'a', frames: 20, heldOut: 2 },
      { name: 'b', frames: 30, heldOut: 3 },
      { name: 'c', frames: 10, heldOut: 1 },
    ]);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    expect(Array.from(corpus.heldOut)).toEqual([18, 19, 47, 48, 49, 59]);
    expect(Array.from(corpus.train)).toEqual([...range(0, 18), ...range(20, 47), ...range(50, 59)]);
    // Frames are the sources' frames one after another.
    expect(corpus.frames).toHaveLength(60 * bins);
    expect(corpus.frames[0]).toBe(0);
    expect(corpus.frames[20 * bins]).toBe(1000);
    expect(corpus.frames[50 * bins + 1]).toBe(2001);
    expect(corpus.frames[60 * bins - 1]).toBe(2000 + 10 * bins - 1);
  });

  it('holds out nothing from a source of under 10 frames', () => {
    const corpus = splitCorpus([source('short', 9, 3, 0), source('long', 100, 3, 0)], 3, 1);
    expect(corpus.sources.map((s) => s.heldOut)).toEqual([0, 10]);
    expect(Array.from(corpus.heldOut)).toEqual(Array.from({ length: 10 }, (_, i) => 99 + i));
    expect(corpus.train).toHaveLength(99);
    const only = splitCorpus([source('tiny', 1, 3, 0)], 3, 1);
    expect(Array.from(only.train)).toEqual([0]);
    expect(only.heldOut).toHaveLength(0);
  });

  it('every frame is in exactly one of the two sets', () => {
    const counts = [11, 37, 5, 64, 10, 99];
    const corpus = splitCorpus(
      counts.map((n, i) => source(`s${i}`, n, 1, 0)),
      1,
      1,
    );
    const all = [...corpus.train, ...corpus.heldOut].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: counts.reduce((a, b) => a + b) }, (_, i) => i));
    corpus.sources.forEach((s, i) => expect(s.heldOut).toBe(counts[i] < 10 ? 0 : Math.round(counts[i] / 10)));
  });
});

describe('buildCorpus and expandInputs', () => {
  let dir = '';
  let remove = async () => {};
  const files: Record<string, string> = {};

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('vae-corpus-'));
    const write = async (name: string, bytes: Uint8Array) => {
      files[name] = join(dir, 'inputs', name);
      await writeFile(files[name], bytes);
    };
    await mkdir(join(dir, 'inputs'), { recursive: true });
    await write('a-loud.wav', encodeWav(tone(0.3, 0.8, 20 * BIN_HZ), RATE, '16'));
    await write('b-silent.wav', encodeWav(new Float32Array(6615), RATE, '16'));
    await write('c-garbage.wav', new TextEncoder().encode('not a sound, only words in a file'.repeat(20)));
    await write('d-short.wav', encodeWav(tone(100 / RATE, 0.5, 20 * BIN_HZ), RATE, '16'));
    await write('e-quiet.wav', encodeWav(tone(0.3, 0.2, 10 * BIN_HZ), RATE, '32f'));
    await writeFile(join(dir, 'inputs', 'notes.txt'), 'not audio');
    await mkdir(join(dir, 'inputs', 'sub'));
    await writeFile(join(dir, 'inputs', 'sub', 'deeper.wav'), encodeWav(tone(0.1, 0.5, 440), RATE, '16'));
    await mkdir(join(dir, 'no-wavs'));
    await writeFile(join(dir, 'no-wavs', 'readme.txt'), 'nothing here');
    await writeFile(join(dir, 'Upper.WAV'), encodeWav(tone(0.1, 0.5, 440), RATE, '16'));
  });
  afterAll(() => remove());

  it('expandInputs: folders become their .wav files, sorted; files stay as given', async () => {
    const inputs = join(dir, 'inputs');
    const listed = await expandInputs([inputs]);
    expect(listed).toEqual(
      ['a-loud.wav', 'b-silent.wav', 'c-garbage.wav', 'd-short.wav', 'e-quiet.wav'].map((n) =>
        join(inputs, n),
      ),
    );
    const upper = join(dir, 'Upper.WAV');
    const notes = join(inputs, 'notes.txt');
    expect(await expandInputs([upper, join(inputs, 'sub'), notes])).toEqual([
      upper,
      join(inputs, 'sub', 'deeper.wav'),
      notes,
    ]);
    expect(await expandInputs([dir])).toEqual([upper]);
  });

  it('expandInputs: a missing path or a folder without WAVs is an AudioFileError naming it', async () => {
    const missing = join(dir, 'missing.wav');
    const m = await failure(expandInputs([files['a-loud.wav'], missing]));
    expect(m).toBeInstanceOf(AudioFileError);
    expect((m as AudioFileError).file).toBe(missing);
    expect((m as AudioFileError).reason).toBe('file not found');
    const empty = join(dir, 'no-wavs');
    const e = await failure(expandInputs([empty]));
    expect(e).toBeInstanceOf(AudioFileError);
    expect(e.message).toBe(`${empty}: folder holds no audio files (.wav, .aiff, .flac, .ogg, .mp3)`);
  });

  it('buildCorpus skips the bad files with their reasons and scales against the corpus peak', async () => {
    const seen: SkippedFile[] = [];
    const inputs = await expandInputs([join(dir, 'inputs')]);
    const { corpus, skipped } = await buildCorpus(inputs, DEFAULT_FRAME_SETTINGS, (s) => seen.push(s));
    expect(skipped).toEqual(seen);
    expect(skipped.map((s) => s.file)).toEqual([
      files['b-silent.wav'],
      files['c-garbage.wav'],
      files['d-short.wav'],
    ]);
    expect(skipped[0].reason).toMatch(/^silent/);
    expect(skipped[1].reason).toMatch(/not a wav file/);
    expect(skipped[2].reason).toMatch(/^too short/);

    const frames = frameCount(Math.round(0.3 * RATE), DEFAULT_FRAME_SETTINGS.hop);
    expect(corpus.bins).toBe(256);
    expect(corpus.sources).toEqual([
      { name: 'a-loud.wav', frames, heldOut: Math.round(frames / 10) },
      { name: 'e-quiet.wav', frames, heldOut: Math.round(frames / 10) },
    ]);
    expect(corpus.frames).toHaveLength(2 * frames * 256);
    expect(corpus.train.length + corpus.heldOut.length).toBe(2 * frames);

    // Every value in [0, 1]; the loudest frame of the corpus reaches 1.
    let loudMax = 0;
    let quietMax = 0;
    for (let i = 0; i < corpus.frames.length; i++) {
      const v = corpus.frames[i];
      expect(v >= 0 && v <= 1).toBe(true);
      if (i < frames * 256) loudMax = Math.max(loudMax, v);
      else quietMax = Math.max(quietMax, v);
    }
    expect(loudMax).toBe(1);
    // The quiet tone is a quarter of the loud one's amplitude: 12 dB down on an 80 dB scale.
    const { floorDb } = DEFAULT_FRAME_SETTINGS;
    expect(quietMax).toBeCloseTo((20 * Math.log10(0.25) - floorDb) / -floorDb, 2);
    // ref is the loud tone's peak bin: amplitude · (sum of the 512-point Hann window, 255.5) / 2.
    expect(corpus.ref).toBeCloseTo((0.8 * 255.5) / 2, 1);
  });

  it('scales each file by the same reference: the quiet file alone reaches 1', async () => {
    const { corpus, skipped } = await buildCorpus([files['e-quiet.wav']], DEFAULT_FRAME_SETTINGS);
    expect(skipped).toEqual([]);
    expect(Math.max(...corpus.frames)).toBe(1);
    const both = await buildCorpus([files['a-loud.wav'], files['e-quiet.wav']], DEFAULT_FRAME_SETTINGS);
    expect(both.corpus.ref / corpus.ref).toBeCloseTo(4, 2);
  });

  it('throws an AudioFileError when no file is usable', async () => {
    const bad = [files['b-silent.wav'], files['c-garbage.wav'], files['d-short.wav']];
    const seen: SkippedFile[] = [];
    const err = await failure(buildCorpus(bad, DEFAULT_FRAME_SETTINGS, (s) => seen.push(s)));
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as AudioFileError).reason).toBe('no usable audio to train on');
    expect((err as AudioFileError).file).toBe('3 inputs');
    expect(seen.map((s) => s.file)).toEqual(bad);

    const one = await failure(buildCorpus([files['c-garbage.wav']], DEFAULT_FRAME_SETTINGS));
    expect(one).toBeInstanceOf(AudioFileError);
    expect(one.message).toBe(`${files['c-garbage.wav']}: no usable audio to train on`);
  });
});
