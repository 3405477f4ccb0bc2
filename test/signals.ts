/** Known signals for tests. */
export function sine(freq: number, rate: number, length: number, amplitude = 1, phase = 0): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return x;
}

/** Seeded white noise in [-amplitude, amplitude). */
export function noise(length: number, amplitude = 1, seed = 1): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = amplitude * (2 * (s / 4294967296) - 1);
  }
  return x;
}

/** A harmonic tone with a slow vibrato and decaying partials: an instrument-like test signal. */
export function harmonicTone(f0: number, rate: number, length: number, partials = 8): Float32Array {
  const x = new Float32Array(length);
  let phase = 0;
  for (let i = 0; i < length; i++) {
    const f = f0 * (1 + 0.01 * Math.sin((2 * Math.PI * 5 * i) / rate));
    phase += (2 * Math.PI * f) / rate;
    let v = 0;
    for (let k = 1; k <= partials; k++) v += Math.sin(k * phase) / k;
    x[i] = 0.3 * v * Math.min(1, i / 2000);
  }
  return x;
}

export function rmsDb(x: ArrayLike<number>, y?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - (y ? y[i] : 0)) ** 2;
  return 10 * Math.log10(s / x.length);
}
