import { seededRandom } from '../random.js';
import type { Samples } from '../units.js';
import { type Spectrogram, type SpectrogramPlane, type Stft, emptySpectrogram } from './stft.js';

export interface GriffinLimOptions {
  iterations?: number;
  /** Fast Griffin-Lim momentum (Perraudin, Balazs & Søndergaard 2013); 0 is the original algorithm. */
  momentum?: number;
  /** Seed of the random starting phase. */
  seed?: number;
  /** Starting phase (radians, laid out like the magnitudes) instead of a random one, e.g. from PGHI. */
  initialPhase?: Float32Array;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Fast Griffin-Lim: alternately impose the target magnitudes and project onto consistent spectrograms.
 * The momentum step is written as torchaudio and librosa write it (rebuilt − m/(1+m)·previous), so our
 * figures compare with torchaudio's like for like. Returns the signal of `length` samples.
 */
export function griffinLim(
  magnitude: SpectrogramPlane,
  length: Samples,
  stft: Stft,
  options: GriffinLimOptions = {},
): Float32Array {
  const { iterations = 32, momentum = 0.99, seed = 0, initialPhase, signal, onProgress } = options;
  if (!Number.isInteger(iterations) || iterations < 0)
    throw new RangeError(`iterations must be ≥ 0, got ${iterations}`);
  const { frames, bins } = magnitude;
  const count = frames * bins;
  // `angles` holds unit phasors; stft.inverse multiplies them by the magnitudes as it packs each frame.
  const angles = emptySpectrogram(frames, bins);
  if (initialPhase) {
    for (let i = 0; i < count; i++) {
      angles.re[i] = Math.cos(initialPhase[i]);
      angles.im[i] = Math.sin(initialPhase[i]);
    }
  } else {
    const random = seededRandom(seed);
    for (let i = 0; i < count; i++) {
      const phi = 2 * Math.PI * random();
      angles.re[i] = Math.cos(phi);
      angles.im[i] = Math.sin(phi);
    }
  }
  let rebuilt = emptySpectrogram(frames, bins);
  let previous = emptySpectrogram(frames, bins);
  const alpha = momentum / (1 + momentum);
  const x = new Float32Array(length);
  for (let it = 0; it < iterations; it++) {
    signal?.throwIfAborted();
    stft.inverse(angles, length, magnitude.data, x);
    stft.forward(x, rebuilt);
    momentumStep(rebuilt, previous, angles, alpha);
    const swap = previous;
    previous = rebuilt;
    rebuilt = swap;
    onProgress?.(it + 1, iterations);
  }
  return stft.inverse(angles, length, magnitude.data, x);
}

/** angles ← unit phasors of (rebuilt − alpha·previous). Kept small and monomorphic: it is the hot loop. */
function momentumStep(rebuilt: Spectrogram, previous: Spectrogram, angles: Spectrogram, alpha: number): void {
  const rr = rebuilt.re;
  const ri = rebuilt.im;
  const pr = previous.re;
  const pi = previous.im;
  const ar = angles.re;
  const ai = angles.im;
  for (let i = 0; i < ar.length; i++) {
    const re = rr[i] - alpha * pr[i];
    const im = ri[i] - alpha * pi[i];
    const inv = 1 / (Math.sqrt(re * re + im * im) + 1e-16);
    ar[i] = re * inv;
    ai[i] = im * inv;
  }
}
