// A recording from the UI's microphone becomes a source: silence trimmed from both ends (keeping a
// little room), written as a 24-bit WAV at the rate it was captured, then imported like any file.
import { encodeWav } from '../../ml/audio/wav.js';

/** Below this peak (dBFS) a stretch counts as silence. */
export const SILENCE_DB = -50;
/** Kept before the first and after the last sound, seconds. */
const MARGIN_SECONDS = 0.05;

/** The samples between the first and the last that rise above SILENCE_DB, with a margin. */
export function trimSilence(samples: Float32Array, sampleRate: number): Float32Array {
  const threshold = 10 ** (SILENCE_DB / 20);
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return new Float32Array(0);
  const margin = Math.round(MARGIN_SECONDS * sampleRate);
  return samples.slice(Math.max(0, first - margin), Math.min(samples.length, last + 1 + margin));
}

/** The WAV file of a recording, trimmed; throws when nothing but silence was recorded. */
export function recordingToWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const trimmed = trimSilence(samples, sampleRate);
  if (trimmed.length === 0) throw new Error(`the recording is silent (nothing above ${SILENCE_DB} dBFS)`);
  return encodeWav(trimmed, sampleRate, '24');
}
