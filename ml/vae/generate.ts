import { analyze, peakAmplitude } from '../features/analyze.js';
import { fromUnitFrames, toUnitFrames } from '../features/scale.js';
import type { FrameSettings } from '../features/settings.js';
import { type PhaseMethod, reconstruct } from '../synth/reconstruct.js';
import { withNyquist } from '../synth/roundtrip.js';
import type { Stft } from '../synth/stft.js';
import type { Samples, Seconds } from '../units.js';
import type { VaeModel } from './vae-model.js';

export interface SynthOptions {
  method: PhaseMethod;
  iterations?: number;
  seed?: number;
  signal?: AbortSignal;
}

/** Frames for a sound of `seconds`: as many as a centred STFT of that length has. */
export function framesFor(seconds: Seconds, settings: FrameSettings): number {
  return 1 + Math.floor((seconds * settings.sampleRate) / settings.hop);
}

/** The signal length whose centred STFT has `frames` frames. */
export function lengthFor(frames: number, settings: FrameSettings): Samples {
  return (frames - 1) * settings.hop;
}

/**
 * Frames in [0, 1] (the model's output) to audio at the model's level: undo the scaling against
 * `ref`, append the zero Nyquist bin, find phase.
 */
export function framesToAudio(
  unitFrames: Float32Array,
  ref: number,
  settings: FrameSettings,
  stft: Stft,
  options: SynthOptions & { sourcePhase?: Float32Array; length?: Samples },
): Float32Array {
  const frames = unitFrames.length / settings.bins;
  const magnitude = withNyquist(fromUnitFrames(unitFrames, ref, settings.floorDb), settings.bins);
  const length = options.length ?? lengthFor(frames, settings);
  return reconstruct(magnitude, length, stft, { ...options, sourcePhase: options.sourcePhase });
}

/** Decodes a latent trajectory (frames × latent) to audio. */
export function trajectoryToAudio(
  model: VaeModel,
  z: Float32Array,
  stft: Stft,
  options: SynthOptions,
): Float32Array {
  const settings = model.studio.frames;
  return framesToAudio(model.decode(z), model.studio.ref, settings, stft, options);
}

export interface Resynthesis {
  audio: Float32Array;
  /** The input's posterior means, frame by frame (frames × latent). */
  mu: Float32Array;
  frames: number;
  silent: boolean;
}

/**
 * A recording through the model: its frames are scaled against its own peak — which brings it to
 * the corpus's level, where the corpus's peak maps to 1 — encoded to posterior means, decoded, and
 * brought back to its own level. `source` phase (the default) reuses the recording's phase.
 */
export function resynthesize(
  model: VaeModel,
  samples: Float32Array,
  stft: Stft,
  options: Partial<SynthOptions> & {
    /** Moves the recording in latent space before decoding (an offset, a morph): rows × latent in and out. */
    transform?: (mu: Float32Array) => Float32Array;
  } = {},
): Resynthesis {
  const method = options.method ?? 'source';
  const settings = model.studio.frames;
  const analysis = analyze(samples, settings, { phase: method === 'source' });
  const peak = peakAmplitude(analysis.amplitude);
  if (peak === 0) {
    return {
      audio: new Float32Array(samples.length),
      mu: new Float32Array(analysis.frames * model.latent),
      frames: analysis.frames,
      silent: true,
    };
  }
  const { mu } = model.encode(toUnitFrames(analysis.amplitude, peak, settings.floorDb));
  const decoded = model.decode(options.transform ? options.transform(mu) : mu);
  const audio = framesToAudio(decoded, peak, settings, stft, {
    ...options,
    method,
    length: samples.length,
    sourcePhase: analysis.phase ? withNyquist(analysis.phase, settings.bins).data : undefined,
  });
  return { audio, mu, frames: analysis.frames, silent: false };
}
