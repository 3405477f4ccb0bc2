import { describe, expect, it } from 'vitest';
import { PATIENCE, heldOutLoss, plateau } from './curves.js';
import type { EpochSummary } from './types.js';

const epoch = (n: number, held: number | null): EpochSummary => ({
  epoch: n,
  epochs: 50,
  reconstruction: 100 - n,
  kl: 5,
  klPerDim: [1, 2, 2],
  total: 105 - n,
  elbo: -(105 - n),
  heldOut: held === null ? null : { reconstruction: held - 2, kl: 2, total: held, elbo: -held },
  activeUnits: 3,
  framesPerSecond: 1000,
  etaSeconds: 10,
});

describe('plateau', () => {
  it('is not stalled while the held-out loss keeps falling', () => {
    const r = plateau([50, 45, 41, 38, 36].map((h, i) => epoch(i + 1, h)));
    expect(r).toEqual({ bestEpoch: 5, best: 36, stalled: false });
  });

  it(`is stalled once ${PATIENCE} epochs have not beaten the best by half a percent`, () => {
    const losses = [50, 40, 39.9, 39.95, 40.5];
    expect(plateau(losses.slice(0, 4).map((h, i) => epoch(i + 1, h)))!.stalled).toBe(false);
    expect(plateau(losses.map((h, i) => epoch(i + 1, h)))).toEqual({ bestEpoch: 2, best: 40, stalled: true });
  });

  it('says nothing without held-out frames', () => {
    expect(plateau([epoch(1, null), epoch(2, null)])).toBeNull();
    expect(heldOutLoss(epoch(1, null))).toBeNull();
    expect(heldOutLoss(epoch(1, 12))).toBe(12);
  });
});
