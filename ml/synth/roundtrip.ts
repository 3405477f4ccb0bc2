import { analyze, peakAmplitude } from '../features/analyze.js';
import { fromUnitFrames, toUnitFrames } from '../features/scale.js';
import type { FrameSettings } from '../features/settings.js';
import { type PhaseMethod, reconstruct } from './reconstruct.js';
import type { SpectrogramPlane, Stft } from './stft.js';

/** Appends the Nyquist bin (as zero) to frames of `bins` values: the magnitudes synthesis needs. */
export function withNyquist(frames: Float32Array, bins: number): SpectrogramPlane {
  const count = frames.length / bins;
  const data = new Float32Array(count * (bins + 1));
  for (let f = 0; f < count; f++) data.set(frames.subarray(f * bins, (f + 1) * bins), f * (bins + 1));
  return { frames: count, bins: bins + 1, data };
}

export interface RoundTripResult {
  audio: Float32Array;
  /** The 256-bin frames in [0, 1] that the audio was made from. */
  unitFrames: Float32Array;
  frames: number;
  /** The reference amplitude (the file's own peak); 0 for silence. */
  ref: number;
}

/**
 * Audio → 256-dim frames in [0, 1] → audio, with no model: what a model would see and how well the
 * chosen phase method brings it back. Silence stays silence.
 */
export function roundTrip(
  samples: Float32Array,
  settings: FrameSettings,
  stft: Stft,
  options: {
    method: PhaseMethod;
    iterations?: number;
    seed?: number;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  },
): RoundTripResult {
  const analysis = analyze(samples, settings, { phase: options.method === 'source' });
  const ref = peakAmplitude(analysis.amplitude);
  if (ref === 0) {
    return {
      audio: new Float32Array(samples.length),
      unitFrames: new Float32Array(analysis.amplitude.length),
      frames: analysis.frames,
      ref,
    };
  }
  const unitFrames = toUnitFrames(analysis.amplitude, ref, settings.floorDb);
  const magnitude = withNyquist(fromUnitFrames(unitFrames, ref, settings.floorDb), settings.bins);
  const sourcePhase = analysis.phase ? withNyquist(analysis.phase, settings.bins).data : undefined;
  const audio = reconstruct(magnitude, samples.length, stft, { ...options, sourcePhase });
  return { audio, unitFrames, frames: analysis.frames, ref };
}
