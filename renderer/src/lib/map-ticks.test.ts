import { describe, expect, it } from 'vitest';
import { formatTick, niceTicks } from './map-ticks.js';

describe('axis ticks', () => {
  it('picks round steps of 1, 2 or 5 and stays inside the range', () => {
    expect(niceTicks(0, 10, 5)).toEqual({ step: 2, values: [0, 2, 4, 6, 8, 10] });
    expect(niceTicks(-3.3, 4.1, 4).values).toEqual([-2, 0, 2, 4]);
    const small = niceTicks(0.11, 0.52, 5);
    expect(small.step).toBe(0.1);
    expect(small.values.map((v) => formatTick(v, small.step))).toEqual(['0.2', '0.3', '0.4', '0.5']);
    expect(niceTicks(250, 2750, 5).step).toBe(500);
  });

  it('handles reversed, empty and non-finite ranges', () => {
    expect(niceTicks(10, 0, 5).values[0]).toBe(0);
    expect(niceTicks(3, 3).values).toEqual([3]);
    expect(niceTicks(NaN, 1).values).toEqual([]);
  });

  it('labels with the decimals the step needs, a true minus sign and no −0', () => {
    expect(formatTick(-2.5, 0.5)).toBe('−2.5');
    expect(formatTick(1e-17, 0.1)).toBe('0.0');
    expect(formatTick(-1e-17, 1)).toBe('0');
    expect(formatTick(12_000, 2_000)).toBe('12,000');
    expect(formatTick(3, 1)).toBe('3');
  });
});
