// Axis ticks: round values (1, 2 or 5 × a power of ten) inside a range, and their labels.

/** About `count` round values in [lo, hi], ascending, with the step between them. */
export function niceTicks(lo: number, hi: number, count = 5): { step: number; values: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || count < 1) return { step: 1, values: [] };
  if (hi < lo) [lo, hi] = [hi, lo];
  const span = hi - lo;
  if (span === 0) return { step: 1, values: [lo] };
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const values: number[] = [];
  // Indices, not repeated addition, so 0.1 + 0.2 never shows up as 0.30000000000000004.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) values.push(k * step + 0); // + 0: no −0
  return { step, values };
}

/** A tick's label with as many decimals as its step needs; a true minus sign; thousands apart. */
export function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  const rounded = Math.abs(value) < step / 2 ? 0 : value;
  const text =
    Math.abs(rounded) >= 10_000 ? Math.round(rounded).toLocaleString('en-US') : rounded.toFixed(decimals);
  return text.replace('-', '−');
}
