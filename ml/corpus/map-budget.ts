/**
 * The most points a latent map shows (the studio issue's budget): a model trained on hours of audio
 * has millions of frames. Over the budget, every k-th frame of each source is kept, k = ⌈frames /
 * budget⌉ over all sources, starting at each source's first frame; the PCA and the aggregate
 * posterior are fitted to every k-th training frame by the same rule.
 */
export const MAP_POINT_BUDGET = 200_000;

/** The stride k that brings `frames` within the budget (1: every frame). */
export function mapStride(frames: number, budget = MAP_POINT_BUDGET): number {
  return Math.max(1, Math.ceil(frames / budget));
}
