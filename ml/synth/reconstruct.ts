import type { Samples } from '../units.js';
import { griffinLim } from './griffinlim.js';
import { pghi } from './pghi.js';
import { type SpectrogramPlane, type Stft, polar } from './stft.js';
import { rtpghiResynth } from './stream.js';

/** How phase is found for magnitudes (docs/design.md, "Back to audio"). */
export const PHASE_METHODS = ['source', 'griffinlim', 'pghi', 'pghi-gl', 'rtpghi'] as const;
export type PhaseMethod = (typeof PHASE_METHODS)[number];

export function isPhaseMethod(value: string): value is PhaseMethod {
  return (PHASE_METHODS as readonly string[]).includes(value);
}

export interface ReconstructOptions {
  method: PhaseMethod;
  /** Griffin-Lim iterations for `griffinlim` and `pghi-gl`. */
  iterations?: number;
  seed?: number;
  /** The input's own STFT phase, laid out like the magnitudes: required by `source`. */
  sourcePhase?: Float32Array;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Magnitudes (N/2 + 1 bins per frame) back to `length` samples with the chosen phase method. */
export function reconstruct(
  magnitude: SpectrogramPlane,
  length: Samples,
  stft: Stft,
  options: ReconstructOptions,
): Float32Array {
  const { method, iterations = 32, seed = 0, signal, onProgress } = options;
  if (stft.frameCount(length) !== magnitude.frames) {
    throw new RangeError(`${magnitude.frames} frames do not make ${length} samples`);
  }
  const shape = { windowSize: stft.window.length, hop: stft.hop };
  switch (method) {
    case 'source': {
      if (!options.sourcePhase) throw new Error('source phase needs the input’s phase');
      return stft.inverse(polar(magnitude, options.sourcePhase), length);
    }
    case 'griffinlim':
      return griffinLim(magnitude, length, stft, { iterations, seed, signal, onProgress });
    case 'pghi':
      return stft.inverse(polar(magnitude, pghi(magnitude, shape, { seed })), length);
    case 'pghi-gl':
      return griffinLim(magnitude, length, stft, {
        iterations,
        seed,
        signal,
        onProgress,
        initialPhase: pghi(magnitude, shape, { seed }),
      });
    case 'rtpghi':
      return rtpghiResynth(magnitude, length, stft.fft, shape, { seed });
  }
}
