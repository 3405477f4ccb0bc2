import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadAudioFile } from '../audio/load.js';
import { initBackend } from '../backend.js';
import { analyze, peakAmplitude } from '../features/analyze.js';
import { resynthesize } from '../vae/generate.js';
import { VaeModel } from '../vae/vae-model.js';
import { createRealFft, type RealFft } from './fft.js';
import { LiveResynth, fullScaleMagnitude, offsetVector } from './live-resynth.js';
import { spectralConvergence } from './metrics.js';
import { Stft, magnitudes } from './stft.js';

const demo = fileURLToPath(new URL('../../assets/demo', import.meta.url));
let model: VaeModel;
let fft: RealFft;
let stft: Stft;
let input: Float32Array;

beforeAll(async () => {
  await initBackend();
  model = await VaeModel.load(join(demo, 'model'));
  fft = await createRealFft(512);
  stft = new Stft(fft, model.studio.frames);
  // 1.5 s of the demo's vowels: a real, changing sound, not a multiple of the hop long.
  input = (await loadAudioFile(join(demo, 'sources', 'vowels.wav'))).samples.slice(0, 33_075 + 61);
});
afterAll(() => {
  model?.dispose();
  fft?.dispose();
});

/** Pushes `x` in chunks of the given sizes (cycled), then finishes; the whole output. */
function run(live: LiveResynth, x: Float32Array, sizes: number[]): Float32Array {
  const parts: Float32Array[] = [];
  let at = 0;
  for (let i = 0; at < x.length; i++) {
    const n = Math.min(sizes[i % sizes.length], x.length - at);
    parts.push(live.push(x.subarray(at, at + n)));
    at += n;
  }
  parts.push(live.finish());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const sc = (a: Float32Array, b: Float32Array) =>
  spectralConvergence(magnitudes(stft.forward(a)), magnitudes(stft.forward(b)))!;

describe('LiveResynth', () => {
  it('equals resynth with source phase when scaled against the file’s peak, in any chunking', () => {
    const ref = peakAmplitude(analyze(input, model.studio.frames).amplitude);
    const offline = resynthesize(model, input, stft, { method: 'source' }).audio;
    const hops = run(new LiveResynth(model, fft, { level: { kind: 'fixed', ref } }), input, [128]);
    const ragged = run(
      new LiveResynth(model, fft, { level: { kind: 'fixed', ref } }),
      input,
      [1, 77, 500, 4096],
    );
    expect(hops).toHaveLength(input.length);
    expect(ragged).toHaveLength(input.length);
    // The same frames and phase, up to float rounding (meyda's FFT against PFFFT).
    expect(sc(offline, hops)).toBeLessThan(-50);
    let maxDiff = 0;
    for (let i = 0; i < hops.length; i++) maxDiff = Math.max(maxDiff, Math.abs(hops[i] - ragged[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('puts out one hop for each hop in, one window late', () => {
    const live = new LiveResynth(model, fft, { level: { kind: 'running', min: 1 } });
    expect(live.latencySamples).toBe(512);
    expect(live.latencyMs).toBeCloseTo(23.22, 2);
    const lengths = [0, 1, 2, 3, 4, 5, 6].map(
      (i) => live.push(input.subarray(i * 128, (i + 1) * 128)).length,
    );
    // Hop k of output (from sample 0) is final when input reaches 128k + 511.
    expect(lengths).toEqual([0, 0, 0, 128, 128, 128, 128]);
  });

  it('gives back the input at mix 0 and mixes linearly between', () => {
    const ref = peakAmplitude(analyze(input, model.studio.frames).amplitude);
    const dry = run(
      new LiveResynth(model, fft, { level: { kind: 'fixed', ref }, settings: { mix: 0 } }),
      input,
      [300],
    );
    expect(Array.from(dry)).toEqual(Array.from(input));
    const wet = run(new LiveResynth(model, fft, { level: { kind: 'fixed', ref } }), input, [300]);
    const half = run(
      new LiveResynth(model, fft, { level: { kind: 'fixed', ref }, settings: { mix: 0.5 } }),
      input,
      [300],
    );
    for (const i of [1000, 9000, 20_000]) expect(half[i]).toBeCloseTo(0.5 * input[i] + 0.5 * wet[i], 5);
  });

  it('moves the sound in latent space: an offset and a morph change it, a zero one does not', () => {
    const ref = peakAmplitude(analyze(input, model.studio.frames).amplitude);
    const make = (settings: ConstructorParameters<typeof LiveResynth>[2]['settings']) =>
      run(new LiveResynth(model, fft, { level: { kind: 'fixed', ref }, settings }), input, [1024]);
    const plain = make({});
    const zero = make({ offset: new Float32Array(model.latent) });
    const moved = make({ offset: offsetVector(model.studio.pca, model.latent, 'axis1', 2) });
    const target = model.mapPointToLatent(-2, 1);
    const full = make({ morph: { target, amount: 1 } });
    expect(sc(plain, zero)).toBeLessThan(-80);
    expect(sc(plain, moved)).toBeGreaterThan(-15);
    expect(sc(plain, full)).toBeGreaterThan(-15);
    // Fully morphed, every frame decodes the target: its magnitudes, the input's phase.
    expect(() => make({ morph: { target, amount: 2 } })).toThrow(/morph amount/);
    expect(() => offsetVector(model.studio.pca, model.latent, 99, 1)).toThrow(/no z100/);
  });

  it('follows the loudest level so far when running, from a floor', () => {
    // The sound twice, as a looping microphone hears it: the second time the level is known.
    const quiet = new Float32Array(2 * input.length);
    quiet.set(input.map((v) => v * 0.01));
    quiet.set(
      input.map((v) => v * 0.01),
      input.length,
    );
    const live = new LiveResynth(model, fft, {
      level: { kind: 'running', min: 1e-4 * fullScaleMagnitude(512) },
    });
    const out = run(live, quiet, [128]);
    const ref = peakAmplitude(analyze(quiet, model.studio.frames).amplitude);
    const fixed = run(new LiveResynth(model, fft, { level: { kind: 'fixed', ref } }), quiet, [128]);
    const second = input.length + 512;
    expect(sc(fixed.subarray(second), out.subarray(second))).toBeLessThan(-50);
    expect(sc(fixed.subarray(0, 4096), out.subarray(0, 4096))).toBeGreaterThan(-50);
    expect(fullScaleMagnitude(512)).toBeCloseTo(127.75, 2);
  });

  it('stays silent for silence and refuses bad settings', () => {
    const live = new LiveResynth(model, fft, { level: { kind: 'fixed', ref: 0 } });
    const out = run(live, new Float32Array(2000), [128]);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(() => live.push(new Float32Array(1))).toThrow(/finished/);
    expect(() => new LiveResynth(model, fft, { level: { kind: 'running', min: 0 } })).toThrow(/minimum/);
    const ok = new LiveResynth(model, fft, { level: { kind: 'fixed', ref: 1 } });
    expect(() => ok.set({ mix: 1.5 })).toThrow(/mix/);
    expect(() => ok.set({ offset: new Float32Array(3) })).toThrow(/offset/);
    expect(ok.push(Float32Array.of(NaN, Infinity))).toHaveLength(0);
  });
});
