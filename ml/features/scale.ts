import type { Decibels } from '../units.js';

/**
 * dB scaling of amplitude frames to [0, 1] and back (docs/design.md): dB = 20·log10(a / ref), clipped
 * to [floor, 0] and mapped linearly, so 0 is the floor and 1 the reference.
 */
export function toUnitFrames(amplitude: Float32Array, ref: number, floorDb: Decibels): Float32Array {
  if (!(ref > 0)) throw new RangeError(`reference amplitude must be positive, got ${ref}`);
  if (!(floorDb < 0)) throw new RangeError(`floor must be below 0 dB, got ${floorDb}`);
  const out = new Float32Array(amplitude.length);
  const minRatio = 10 ** (floorDb / 20);
  for (let i = 0; i < amplitude.length; i++) {
    const ratio = amplitude[i] / ref;
    if (ratio <= minRatio) out[i] = 0;
    else if (ratio >= 1) out[i] = 1;
    else out[i] = (20 * Math.log10(ratio) - floorDb) / -floorDb;
  }
  return out;
}

export function fromUnitFrames(unit: Float32Array, ref: number, floorDb: Decibels): Float32Array {
  const out = new Float32Array(unit.length);
  const nepersPerUnit = (-floorDb / 20) * Math.LN10; // exp is much faster than 10 ** x here
  for (let i = 0; i < unit.length; i++) {
    const u = Math.min(1, Math.max(0, unit[i]));
    out[i] = ref * Math.exp(nepersPerUnit * (u - 1));
  }
  return out;
}
