import { expect, it } from 'vitest';
import { fromUnitFrames, toUnitFrames } from './scale.js';

it('maps the reference to 1, −40 dB to 0.5 and the floor and below to 0', () => {
  const ref = 2;
  const unit = toUnitFrames(Float32Array.of(2, 2 * 10 ** (-40 / 20), 2e-4, 1e-9, 0, 5), ref, -80);
  expect(Array.from(unit).map((v) => Number(v.toFixed(5)))).toEqual([1, 0.5, 0, 0, 0, 1]);
});

it('round-trips amplitudes between the floor and the reference', () => {
  const a = Float32Array.of(1, 0.5, 0.01, 0.0003);
  const back = fromUnitFrames(toUnitFrames(a, 1, -80), 1, -80);
  a.forEach((v, i) => expect(back[i] / v).toBeCloseTo(1, 4));
  expect(fromUnitFrames(Float32Array.of(0), 1, -80)[0]).toBeCloseTo(1e-4, 8);
});

it('refuses a reference or floor that would make no scale', () => {
  expect(() => toUnitFrames(Float32Array.of(1), 0, -80)).toThrow(/reference/);
  expect(() => toUnitFrames(Float32Array.of(1), 1, 10)).toThrow(/floor/);
});
