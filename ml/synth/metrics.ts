import type { Decibels } from '../units.js';
import type { SpectrogramPlane } from './stft.js';

/**
 * Spectral convergence, 20·log10(‖|S| − |Ŝ|‖ / ‖|S|‖) over the whole file (lower is better); null when
 * the target is silent. Frames missing from either side count as silence.
 */
export function spectralConvergence(target: SpectrogramPlane, estimate: SpectrogramPlane): Decibels | null {
  checkBins(target, estimate);
  let err = 0;
  let ref = 0;
  const n = Math.max(target.data.length, estimate.data.length);
  for (let i = 0; i < n; i++) {
    const t = i < target.data.length ? target.data[i] : 0;
    const e = i < estimate.data.length ? estimate.data[i] : 0;
    err += (t - e) ** 2;
    ref += t * t;
  }
  if (ref === 0) return null;
  return 10 * Math.log10(Math.max(err, 1e-30) / ref);
}

/**
 * Log-spectral distance: per frame, the RMS over bins of 20·log10(|S| / |Ŝ|), averaged over frames.
 * Magnitudes are floored 100 dB below the target's peak so silent bins do not dominate; null when
 * the target is silent.
 */
export function logSpectralDistance(target: SpectrogramPlane, estimate: SpectrogramPlane): Decibels | null {
  checkBins(target, estimate);
  let peak = 0;
  for (const v of target.data) if (v > peak) peak = v;
  if (peak === 0) return null;
  const floor = peak * 1e-5;
  const { bins } = target;
  const frames = Math.min(target.frames, estimate.frames);
  let total = 0;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let k = 0; k < bins; k++) {
      const t = Math.max(target.data[f * bins + k], floor);
      const e = Math.max(estimate.data[f * bins + k], floor);
      sum += (20 * Math.log10(t / e)) ** 2;
    }
    total += Math.sqrt(sum / bins);
  }
  return total / frames;
}

function checkBins(a: SpectrogramPlane, b: SpectrogramPlane): void {
  if (a.bins !== b.bins) throw new RangeError(`cannot compare spectrograms of ${a.bins} and ${b.bins} bins`);
}
