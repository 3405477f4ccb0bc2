import { describe, expect, it, vi } from 'vitest';
import { AudioFileError } from './errors.js';
import wavefile from 'wavefile';
import { decodeWav } from './wav.js';

// What wavefile might throw on input we validated is unknown; stand in a failure to check that
// it still reaches the user as a reason naming the file. wavefile reads only A-law and mu-law now
// (PCM and float are read directly), so the file is mu-law.
vi.mock('wavefile', async (importOriginal) => {
  const actual = await importOriginal<typeof import('wavefile')>();
  class FailingWaveFile extends actual.WaveFile {
    override getSamples(): Float64Array {
      throw new Error('Invalid bit depth.');
    }
  }
  return { default: { ...actual, WaveFile: FailingWaveFile } };
});

describe('decodeWav when wavefile throws', () => {
  it('wraps the error as an AudioFileError naming the file', () => {
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '16', new Int16Array(16));
    wav.toMuLaw();
    const bytes = wav.toBuffer();
    const err = (() => {
      try {
        decodeWav(bytes, 'odd.wav');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AudioFileError);
    expect(err).toMatchObject({
      file: 'odd.wav',
      message: 'odd.wav: could not decode the samples (Error: Invalid bit depth.)',
    });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});
