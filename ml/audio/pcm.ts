// Uncompressed sample data (WAV's and AIFF's) to float32, block by block, without a library in the
// way: integers of n container bits become v / 2^(n-1) (8-bit WAV is unsigned, so (v - 128) / 128),
// exactly the values wavefile gave, so WAV and AIFF of the same audio decode to the same samples.
// Float data is kept as stored; NaN and infinities become 0 and are counted.

export interface PcmLayout {
  channels: number;
  /** Bytes per sample in the container: 1..4 for integers, 4 or 8 for floats. */
  bytesPerSample: number;
  float: boolean;
  littleEndian: boolean;
  /** 8-bit integers stored unsigned (WAV) rather than signed (AIFF). */
  unsigned8: boolean;
}

export interface PcmStats {
  /** Non-finite float samples replaced by 0. */
  nonFinite: number;
  /** The largest magnitude among float samples (over 1: beyond full scale). */
  floatPeak: number;
}

/**
 * Converts `frames` interleaved frames starting at byte `offset` of `bytes` into one Float32Array
 * per channel.
 */
export function readPcm(
  bytes: Uint8Array,
  offset: number,
  frames: number,
  layout: PcmLayout,
  stats: PcmStats,
): Float32Array[] {
  const { channels, bytesPerSample: size, float, littleEndian: le } = layout;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, frames * channels * size);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let c = 0; c < channels; c++) {
    const plane = out[c];
    const stride = channels * size;
    let p = c * size;
    if (float) {
      let nonFinite = 0;
      let peak = stats.floatPeak;
      for (let i = 0; i < frames; i++, p += stride) {
        const v = size === 4 ? view.getFloat32(p, le) : view.getFloat64(p, le);
        if (Number.isFinite(v)) {
          plane[i] = v;
          const a = Math.abs(v);
          if (a > peak) peak = a;
        } else {
          nonFinite++;
        }
      }
      stats.nonFinite += nonFinite;
      stats.floatPeak = peak;
    } else if (size === 2) {
      for (let i = 0; i < frames; i++, p += stride) plane[i] = view.getInt16(p, le) / 32768;
    } else if (size === 3) {
      for (let i = 0; i < frames; i++, p += stride) {
        const b0 = view.getUint8(p);
        const b1 = view.getUint8(p + 1);
        const b2 = view.getUint8(p + 2);
        const v = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
        plane[i] = ((v << 8) >> 8) / 8388608;
      }
    } else if (size === 4) {
      for (let i = 0; i < frames; i++, p += stride) plane[i] = view.getInt32(p, le) / 2147483648;
    } else if (layout.unsigned8) {
      for (let i = 0; i < frames; i++, p += stride) plane[i] = (view.getUint8(p) - 128) / 128;
    } else {
      for (let i = 0; i < frames; i++, p += stride) plane[i] = view.getInt8(p) / 128;
    }
  }
  return out;
}

/** The mean of the channels (the one channel itself, not a copy, when there is one). */
export function mixdown(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0].length);
  for (const channel of channels) {
    for (let i = 0; i < out.length; i++) out[i] += channel[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= channels.length;
  return out;
}

/** The warnings a float file's statistics call for. */
export function pcmWarnings(stats: PcmStats): string[] {
  const warnings: string[] = [];
  if (stats.nonFinite > 0)
    warnings.push(`${stats.nonFinite} non-finite sample(s) (NaN or infinity) replaced by 0`);
  // Kept rather than clipped: the level is normalised downstream, and clipping would distort.
  if (stats.floatPeak > 1)
    warnings.push(`float samples exceed full scale (peak ${stats.floatPeak.toPrecision(3)})`);
  return warnings;
}
