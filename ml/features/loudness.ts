// Loudness as the sound-generation metric measures it (docs/design.md, "Sounds worth keeping"):
// the RMS in dBFS over 512-sample blocks within 30 dB of a file's loudest block, pooled over the
// files. Pauses and fades do not drag it down, so a sound and the material it came from compare
// as a listener hears them. Models store their material's figure (studio.json `level`), and every
// generated sound is brought to it by default.

export const LOUDNESS_BLOCK = 512;
/** Blocks more than this far below a file's loudest block are not counted. */
export const LOUDNESS_GATE_DB = 30;

/** Sum of squares and sample count of the blocks of `x` within the gate of its loudest block. */
export function gatedEnergy(x: Float32Array, block = LOUDNESS_BLOCK): { energy: number; samples: number } {
  const blocks = Math.floor(x.length / block);
  if (blocks === 0) {
    let e = 0;
    for (const v of x) e += v * v;
    return { energy: e, samples: x.length };
  }
  const sums = new Float64Array(blocks);
  let loudest = 0;
  for (let b = 0; b < blocks; b++) {
    let e = 0;
    for (let i = b * block; i < (b + 1) * block; i++) e += x[i] * x[i];
    sums[b] = e;
    if (e > loudest) loudest = e;
  }
  const gate = loudest * 10 ** (-LOUDNESS_GATE_DB / 10);
  let energy = 0;
  let samples = 0;
  for (let b = 0; b < blocks; b++) {
    if (sums[b] > 0 && sums[b] >= gate) {
      energy += sums[b];
      samples += block;
    }
  }
  return { energy, samples };
}

/** The loudness (dBFS RMS, gated per file) of one or more signals together; −Infinity for silence. */
export function loudnessDb(signals: Float32Array | Float32Array[]): number {
  let energy = 0;
  let samples = 0;
  for (const x of Array.isArray(signals) ? signals : [signals]) {
    const g = gatedEnergy(x);
    energy += g.energy;
    samples += g.samples;
  }
  return samples > 0 && energy > 0 ? 10 * Math.log10(energy / samples) : -Infinity;
}

/** Peak level the loudness match never pushes a sound past (−1 dBFS: room for inter-sample peaks). */
export const PEAK_CEILING = 10 ** (-1 / 20);

/**
 * Scales `x` in place to `targetDb` of loudness, but never past the peak ceiling (a very peaky sound
 * then comes out quieter than the target rather than clipped). Returns the gain applied.
 */
export function matchLoudness(x: Float32Array, targetDb: number): number {
  const current = loudnessDb(x);
  if (!Number.isFinite(current) || !Number.isFinite(targetDb)) return 1;
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  let gain = 10 ** ((targetDb - current) / 20);
  if (peak * gain > PEAK_CEILING) gain = PEAK_CEILING / peak;
  for (let i = 0; i < x.length; i++) x[i] *= gain;
  return gain;
}
