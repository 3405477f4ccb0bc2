// Reading training curves: pure functions, unit-tested (renderer/src/lib/curves.test.ts).
import type { EpochSummary } from './types.js';

/** How many epochs without a better held-out loss count as "stopped improving". */
export const PATIENCE = 3;
/** An improvement smaller than this share of the best loss does not count. */
const MIN_IMPROVEMENT = 0.005;

/** The held-out loss of an epoch (reconstruction + KL per frame), or null where there is none. */
export function heldOutLoss(r: EpochSummary): number | null {
  return r.heldOut ? r.heldOut.reconstruction + r.heldOut.kl : null;
}

/** The best held-out epoch and whether the last PATIENCE epochs failed to beat it. */
export function plateau(
  reports: EpochSummary[],
): { bestEpoch: number; best: number; stalled: boolean } | null {
  let best = Infinity;
  let bestEpoch = 0;
  for (const r of reports) {
    const loss = heldOutLoss(r);
    if (loss !== null && loss < best * (1 - MIN_IMPROVEMENT)) {
      best = loss;
      bestEpoch = r.epoch;
    }
  }
  if (bestEpoch === 0) return null;
  const last = reports[reports.length - 1].epoch;
  return { bestEpoch, best, stalled: last - bestEpoch >= PATIENCE };
}
