// The latent map's colourings and their legends: a categorical colour per source, or a descriptor
// (loudness, brightness, noisiness) on a perceptually ordered ramp with its colour bar. Pure
// functions, unit-tested (map-colour.test.ts).
import { niceTicks, formatTick } from './map-ticks.js';
import type { LatentMap } from './types.js';

export type ColourBy = 'loudness' | 'centroidHz' | 'flatness' | 'source';
export type Rgb = [number, number, number];

/** What a colouring means, in words, for the select and the colour bar. */
export const COLOURINGS: Record<ColourBy, { option: string; title: string; unit: string }> = {
  loudness: { option: 'loudness', title: 'Loudness', unit: 'sones' },
  centroidHz: {
    option: 'brightness (spectral centroid)',
    title: 'Brightness (spectral centroid)',
    unit: 'Hz',
  },
  flatness: { option: 'noisiness (spectral flatness)', title: 'Noisiness (0 tonal, 1 noise)', unit: '' },
  source: { option: 'source file', title: 'Source file', unit: '' },
};

/** Viridis, sampled at nine stops: dark blue (low) to yellow (high), even in lightness. */
const RAMP: Rgb[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The ramp's colour at t in [0, 1] (clamped). */
export function rampRgb(t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as Rgb;
}

/** The ramp as a CSS gradient, low on the left. */
export function rampGradient(): string {
  return `linear-gradient(to right, ${RAMP.map((c, i) => `${rgbCss(c)} ${((100 * i) / (RAMP.length - 1)).toFixed(1)}%`).join(', ')})`;
}

/** Ten categorical colours that stay apart on a dark background (Tableau 10, lightened). */
const CATEGORIES: Rgb[] = [
  [94, 160, 228],
  [255, 157, 60],
  [96, 196, 96],
  [240, 98, 98],
  [178, 136, 222],
  [196, 140, 120],
  [240, 142, 206],
  [190, 190, 190],
  [214, 214, 70],
  [70, 214, 228],
];

/** Source i's colour: ten distinct ones, then hues spread by the golden angle. */
export function categoryRgb(index: number): Rgb {
  if (index < CATEGORIES.length) return CATEGORIES[index];
  return hslRgb((index * 137.508) % 360, 0.65, 0.62);
}

function hslRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r} ${g} ${b})`;
}

/** The values at the lo-th and hi-th quantiles (finite values only); [0, 1] when there are none. */
export function quantileRange(values: ArrayLike<number>, lo = 0.02, hi = 0.98): [number, number] {
  const finite = Float64Array.from(values).filter(Number.isFinite).sort();
  if (finite.length === 0) return [0, 1];
  const at = (q: number) => finite[Math.round(q * (finite.length - 1))];
  return [at(lo), at(hi)];
}

/** Levels a ramp colouring is quantised to: invisible steps, and few colours for a canvas to switch between. */
export const RAMP_LEVELS = 64;

export interface SourceEntry {
  /** Index into the map's `sources`. */
  index: number;
  id: string;
  /** What the project calls it now (a renamed sound keeps its id). */
  name: string;
  colour: string;
  /** Frames of it on the map. */
  count: number;
  /** No longer in the project. */
  missing: boolean;
}

export type Legend =
  | { kind: 'sources'; title: string; entries: SourceEntry[] }
  | {
      kind: 'ramp';
      title: string;
      unit: string;
      gradient: string;
      lo: number;
      hi: number;
      /** Tick values with their place along the bar (0 left, 1 right). */
      ticks: { value: number; label: string; at: number }[];
    };

export interface Colouring {
  /** RGBA per point (alpha 255), for the renderers. */
  rgba: Uint8Array;
  legend: Legend;
}

/**
 * The points' colours and the legend that explains them. `names` maps source ids to the names the
 * project shows (a renamed sound); `focus` (a source index) dims every other source.
 */
export function colourMap(
  map: Pick<LatentMap, 'sources' | 'source' | 'missing' | 'loudness' | 'centroidHz' | 'flatness'>,
  by: ColourBy,
  names: Record<string, string> = {},
  focus: number | null = null,
): Colouring {
  const n = map.source.length;
  const rgba = new Uint8Array(4 * n);
  if (by === 'source') {
    const counts = new Uint32Array(map.sources.length);
    const table = map.sources.map((_, i) => categoryRgb(i));
    for (let i = 0; i < n; i++) {
      const s = map.source[i];
      counts[s]++;
      const c = table[s] ?? [128, 128, 128];
      rgba.set(c, 4 * i);
      rgba[4 * i + 3] = focus === null || focus === s ? 255 : 40;
    }
    const missing = new Set(map.missing);
    const entries = map.sources.map((id, index) => ({
      index,
      id,
      name: names[id] ?? id,
      colour: rgbCss(table[index]),
      count: counts[index],
      missing: missing.has(id),
    }));
    return { rgba, legend: { kind: 'sources', title: COLOURINGS.source.title, entries } };
  }
  const values = map[by];
  const [lo, hi] = quantileRange(values);
  const span = hi - lo || 1;
  const levels = Array.from({ length: RAMP_LEVELS }, (_, k) => rampRgb(k / (RAMP_LEVELS - 1)));
  for (let i = 0; i < n; i++) {
    const t = Math.min(1, Math.max(0, (values[i] - lo) / span));
    rgba.set(levels[Math.round(t * (RAMP_LEVELS - 1))] ?? levels[0], 4 * i);
    rgba[4 * i + 3] = focus === null || focus === map.source[i] ? 255 : 40;
  }
  const step = niceTicks(lo, hi, 4);
  const ticks = step.values.map((value) => ({
    value,
    label: formatTick(value, step.step),
    at: (value - lo) / span,
  }));
  const { title, unit } = COLOURINGS[by];
  return { rgba, legend: { kind: 'ramp', title, unit, gradient: rampGradient(), lo, hi, ticks } };
}
