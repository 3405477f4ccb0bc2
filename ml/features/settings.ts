import type { Decibels, Hertz, Samples } from '../units.js';

/**
 * How audio becomes 256-dimensional frames (docs/design.md, "The 256-dimensional frame").
 * A model stores the settings it was trained with; these are the defaults.
 */
export interface FrameSettings {
  sampleRate: Hertz;
  /** Analysis and synthesis window length and FFT size. */
  windowSize: Samples;
  hop: Samples;
  /** Bins kept per frame: 0..windowSize/2 - 1 (the Nyquist bin is dropped). */
  bins: number;
  /** dB below the reference that maps to 0. */
  floorDb: Decibels;
}

export const DEFAULT_FRAME_SETTINGS: Readonly<FrameSettings> = Object.freeze({
  sampleRate: 22050,
  windowSize: 512,
  hop: 128,
  bins: 256,
  floorDb: -80,
});

/** Frames of a centred STFT over `length` samples: one every hop, the first centred on sample 0. */
export function frameCount(length: Samples, hop: Samples): number {
  return 1 + Math.floor(length / hop);
}
