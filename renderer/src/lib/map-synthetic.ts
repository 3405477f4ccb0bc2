// A synthetic latent map of any size, for the map's benchmark, its lab page and its tests: each
// "source" a smooth looping path through the plane with some spread around it, as a sound's frames
// are, and descriptors that change across the plane. Deterministic for a seed.
import type { LatentMap } from './types.js';

export function syntheticMap(points: number, sources = 8, seed = 1): LatentMap {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  const p1 = new Float32Array(points);
  const p2 = new Float32Array(points);
  const source = new Uint16Array(points);
  const frame = new Uint32Array(points);
  const loudness = new Float32Array(points);
  const centroidHz = new Float32Array(points);
  const flatness = new Float32Array(points);
  for (let s = 0, i = 0; s < sources; s++) {
    const start = i;
    const end = Math.round(((s + 1) * points) / sources);
    // Each source a looping path (a Lissajous figure) around a place of its own, its frames
    // scattered about the path as a sound's frames are about its gestures.
    const angle = (2 * Math.PI * s) / sources;
    const [cx, cy] = [2.6 * Math.cos(angle), 1.7 * Math.sin(angle)];
    const [ax, ay] = [0.5 + uniform(), 0.4 + 0.8 * uniform()];
    const [wx, wy, phase] = [
      1 + Math.floor(3 * uniform()),
      1 + Math.floor(3 * uniform()),
      2 * Math.PI * uniform(),
    ];
    for (; i < end; i++) {
      const t = (2 * Math.PI * (i - start)) / (end - start);
      const x = cx + ax * Math.sin(wx * t + phase);
      const y = cy + ay * Math.sin(wy * t);
      p1[i] = x + 0.12 * gauss();
      p2[i] = y + 0.1 * gauss();
      source[i] = s;
      frame[i] = i - start;
      loudness[i] = Math.max(0, 8 + 3 * y + gauss());
      centroidHz[i] = Math.max(50, 1500 + 600 * x + 200 * gauss());
      flatness[i] = Math.min(1, Math.max(0, 0.3 + 0.1 * x * y + 0.05 * gauss()));
    }
  }
  const std = (v: Float32Array): number => {
    let m = 0;
    for (const a of v) m += a / v.length;
    let q = 0;
    for (const a of v) q += (a - m) ** 2 / v.length;
    return Math.sqrt(q);
  };
  const latent = 8;
  const axis = (k: number) => Float32Array.from({ length: latent }, (_, j) => (j === k ? 1 : 0));
  return {
    model: `synthetic (${points.toLocaleString('en-US')} points)`,
    sources: Array.from({ length: sources }, (_, s) => `synthetic-${s + 1}.wav`),
    p1,
    p2,
    source,
    frame,
    loudness,
    centroidHz,
    flatness,
    hopSeconds: 256 / 22050,
    std: [std(p1), std(p2)],
    missing: [],
    mean: new Float32Array(latent),
    axes: [axis(0), axis(1)],
    dimMin: new Float32Array(latent).fill(-4),
    dimMax: new Float32Array(latent).fill(4),
  };
}
