import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../ml/audio/wav.js';
import { recordingToWav, trimSilence } from './recording.js';

const rate = 48000;
function take(seconds: number, value: (i: number) => number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => value(i));
}

describe('recordings', () => {
  it('trims silence from both ends, keeping 50 ms of room', () => {
    const tone = take(0.5, (i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate));
    const quiet = take(1, () => 0.0005); // −66 dBFS: room noise
    const trimmed = trimSilence(Float32Array.from([...quiet, ...tone, ...quiet]), rate);
    expect(trimmed.length / rate).toBeCloseTo(0.5 + 0.1, 2);
  });

  it('writes a 24-bit WAV at the captured rate', () => {
    const tone = take(0.3, (i) => 0.25 * Math.sin((2 * Math.PI * 1000 * i) / rate));
    const wav = decodeWav(recordingToWav(tone, rate), 'rec.wav');
    expect(wav).toMatchObject({ sampleRate: rate, bitsPerSample: 24 });
    expect(Math.max(...wav.channels[0])).toBeCloseTo(0.25, 3);
  });

  it('refuses a recording of silence', () => {
    expect(() =>
      recordingToWav(
        take(1, () => 0),
        rate,
      ),
    ).toThrow(/silent/);
  });
});
