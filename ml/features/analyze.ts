import meydaImport from 'meyda';
import type { Decibels, Hertz } from '../units.js';
import { type FrameSettings, DEFAULT_FRAME_SETTINGS, frameCount } from './settings.js';

/** The part of meyda's singleton used here. */
interface MeydaApi {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  extract(features: string[], signal: Float32Array): unknown;
}

// meyda's CommonJS build and its ESM type declarations disagree on where the default export lives.
const Meyda = (
  'extract' in meydaImport ? meydaImport : (meydaImport as { default: unknown }).default
) as MeydaApi;

/** Per-frame descriptors from meyda, used to colour the latent map and in export manifests. */
export interface Descriptors {
  /** RMS of the windowed frame. */
  rms: Float32Array;
  centroidHz: Float32Array;
  /** Spectral flatness in [0, 1]: 0 tonal, 1 white noise. */
  flatness: Float32Array;
  /** meyda's total loudness (sones-like, Bark bands). */
  loudness: Float32Array;
}

/** The analysis of one signal: raw amplitude frames, their phases, and optional descriptors. */
export interface Analysis {
  settings: FrameSettings;
  frames: number;
  /** |STFT| bins 0..bins-1 per frame, frame-major (frames × bins). */
  amplitude: Float32Array;
  /** The STFT phase of the same bins (radians), for source-phase resynthesis. */
  phase?: Float32Array;
  descriptors?: Descriptors;
}

export interface AnalyzeOptions {
  phase?: boolean;
  descriptors?: boolean;
}

/**
 * Frames a signal as a centred STFT (half a window of zeros at each end, one frame per hop) and runs
 * meyda on every frame: its `amplitudeSpectrum` gives the bins, its `complexSpectrum` (same window)
 * the phase. meyda is a process-wide singleton, so its settings are set here on every call.
 */
export function analyze(
  samples: Float32Array,
  settings: FrameSettings = DEFAULT_FRAME_SETTINGS,
  options: AnalyzeOptions = {},
): Analysis {
  const { windowSize: n, hop, bins } = settings;
  const frames = frameCount(samples.length, hop);
  const amplitude = new Float32Array(frames * bins);
  const phase = options.phase ? new Float32Array(frames * bins) : undefined;
  const descriptors: Descriptors | undefined = options.descriptors
    ? {
        rms: new Float32Array(frames),
        centroidHz: new Float32Array(frames),
        flatness: new Float32Array(frames),
        loudness: new Float32Array(frames),
      }
    : undefined;

  Meyda.bufferSize = n;
  Meyda.sampleRate = settings.sampleRate;
  Meyda.windowingFunction = 'hanning';
  const features: string[] = ['amplitudeSpectrum'];
  if (phase) features.push('complexSpectrum');
  if (descriptors) features.push('rms', 'spectralCentroid', 'spectralFlatness', 'loudness');

  const frame = new Float32Array(n);
  const binHz: Hertz = settings.sampleRate / n;
  for (let f = 0; f < frames; f++) {
    const start = f * hop - n / 2;
    for (let k = 0; k < n; k++) {
      const t = start + k;
      frame[k] = t >= 0 && t < samples.length ? samples[t] : 0;
    }
    // meyda windows a copy, so `frame` can be reused.
    const out = Meyda.extract(features, frame) as MeydaFrame;
    const amp = out.amplitudeSpectrum;
    amplitude.set(amp.length === bins ? amp : amp.subarray(0, bins), f * bins);
    if (phase) {
      const { real, imag } = out.complexSpectrum;
      for (let k = 0; k < bins; k++) phase[f * bins + k] = Math.atan2(imag[k], real[k]);
    }
    if (descriptors) {
      descriptors.rms[f] = out.rms;
      // meyda reports the centroid as a bin index.
      descriptors.centroidHz[f] = Number.isFinite(out.spectralCentroid) ? out.spectralCentroid * binHz : 0;
      descriptors.flatness[f] = Number.isFinite(out.spectralFlatness) ? out.spectralFlatness : 0;
      descriptors.loudness[f] = out.loudness.total;
    }
  }
  return { settings, frames, amplitude, phase, descriptors };
}

interface MeydaFrame {
  amplitudeSpectrum: Float32Array;
  complexSpectrum: { real: ArrayLike<number>; imag: ArrayLike<number> };
  rms: number;
  spectralCentroid: number;
  spectralFlatness: number;
  loudness: { total: number };
}

/** Largest amplitude over all frames and bins: the reference a round trip without a model scales by. */
export function peakAmplitude(amplitude: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < amplitude.length; i++) if (amplitude[i] > peak) peak = amplitude[i];
  return peak;
}

export type { Decibels };
