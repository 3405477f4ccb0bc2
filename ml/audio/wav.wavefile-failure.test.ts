import { describe, expect, it, vi } from 'vitest';
import { AudioFileError } from './errors.js';
import { decodeWav, encodeWav } from './wav.js';

// What wavefile might throw on input we validated is unknown; stand in a failure to check that
// it still reaches the user as a reason naming the file.
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
    const bytes = encodeWav(new Float32Array(16), 8000, '16');
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
