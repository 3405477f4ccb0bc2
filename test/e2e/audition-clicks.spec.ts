// The offline render runs the engine's own modules here; tsconfig.e2e.json does not include the
// declaration of their FFT's WebAssembly module (a script, not a module, so it cannot be imported).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../ml/types/pffft-wasm.d.ts" />
/**
 * Live audition heard as the speakers get it: the page runs with its test probe on (`live-probe`,
 * renderer/src/lib/live-probe.ts), which records the output after the master volume and the limiter
 * with a tap worklet, keeps every chunk with the engine's latent trace, and the live worklet's read
 * position for every render quantum. While the pointer sweeps the map this spec checks that
 * - no click is there: no 2 ms window has energy above 11.5 kHz (beyond the model's 11.025 kHz
 *   Nyquist, so only a discontinuity can put it there) more than 6 dB over the windows around it;
 * - what was heard is the engine's stream: an offline render of the same latent path (the trace,
 *   decoded and put through a fresh RtPghiSynth) equals the chunks sample for sample, and read at the
 *   worklet's positions it matches the capture up to 10 kHz (spectral convergence);
 * - the latency from each pointer event to the glide's first sample after the limiter, as the page
 *   shows it, is reported (the goal: under 20 ms plus the device's output latency).
 * Once with the SharedArrayBuffer ring (serve makes the page cross-origin isolated) and once fed by
 * messages.
 */
import type { Page, TestInfo } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../ml/backend.js';
import { fromUnitFrames } from '../../ml/features/scale.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { RtPghiSynth } from '../../ml/synth/stream.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { clampLatent, pointToLatent } from '../../main/engine/synthesis-ops.js';
import { expect, test, type Served } from './serve-fixture.js';

test.skip(
  ({ served }) => served.app !== null,
  'the probe is switched on by a query in the URL, which the desktop app does not take',
);

/** What renderer/src/lib/live-probe.ts hands back (typed arrays as base64). */
interface ProbeTake {
  shared: boolean;
  crossOriginIsolated: boolean;
  sampleRate: number;
  limiterDelay: number;
  outputLatency: number;
  baseLatency: number;
  starts: { stream: number; index: number; sampleRate: number; hop: number }[];
  chunks: {
    stream: number;
    index: number | null;
    samples: string;
    echo: number | null;
    echoOffset: number | null;
    trace: string | null;
    at: number;
  }[];
  latencies: { sentAt: number; frame: number; ms: number }[];
  moves: { stream: number; p1: number; p2: number; sentAt: number }[];
  reports: (
    | { type: 'echo'; sentAt: number; frame: number }
    | { type: 'underrun'; frame: number }
    | { type: 'skip'; frame: number; samples: number }
  )[];
  log: string;
  stats: { underruns: number; skips: number; skipped: number; dropped: number };
  capture: { first: number; samples: string };
}

const f32 = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const f64 = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const db = (ratio: number) => 10 * Math.log10(ratio);

/** Opens the demo's map with the probe, sweeps the pointer over it while listening, returns what the probe has. */
async function sweep(page: Page, served: Served, mode: string, screenshot?: string): Promise<ProbeTake> {
  await page.goto(`${served.url}&live-probe=${mode}`);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', /^\d+$/, { timeout: 30_000 });
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  // The pointer on the map before listening starts, so that the first move is a move.
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await page.getByLabel('Hear while moving').check();
  const latency = page.getByTestId('latency');
  await expect(latency).toContainText('move over the map to measure');
  await page.waitForTimeout(400);
  // A Lissajous path over the middle of the map: 150 moves, one every 20 ms (3 s).
  for (let i = 0; i < 150; i++) {
    const t = i / 150;
    await page.mouse.move(
      box.x + box.width * (0.5 + 0.3 * Math.sin(2 * Math.PI * 1.5 * t)),
      box.y + box.height * (0.5 + 0.3 * Math.sin(2 * Math.PI * 2 * t + 0.5)),
    );
    await page.waitForTimeout(20);
  }
  await expect(latency).toContainText(
    /median \d+\.\d ms over \d+ moves · device output latency (\d+\.\d ms|unknown)/,
  );
  await page.waitForTimeout(300);
  if (screenshot) {
    // The map and, at the bottom of the viewport, the latency line under it.
    await latency.evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await page.screenshot({ path: screenshot });
  }
  await page.getByLabel('Hear while moving').uncheck();
  await page.waitForTimeout(200);
  return page.evaluate(() =>
    (window as unknown as { __vaeLiveProbe: { take(): Promise<ProbeTake> } }).__vaeLiveProbe.take(),
  );
}

/** The engine's stream rendered offline from its latent trace, and the chunks as they came. */
interface Offline {
  render: Float32Array;
  chunks: Float32Array;
  /** Each move's target, as the engine glides toward it, by sentAt. */
  targets: Map<number, Float32Array>;
  latent: number;
}

async function offlineRender(take: ProbeTake, stream: number): Promise<Offline> {
  await initBackend();
  const model = await VaeModel.load(join(process.cwd(), 'assets', 'demo', 'model'));
  const settings = model.studio.frames;
  const latent = model.latent;
  const fft = await createRealFft(settings.windowSize);
  const synth = new RtPghiSynth(fft, settings);
  const parts: Float32Array[] = [];
  const heard: Float32Array[] = [];
  const targets = new Map<number, Float32Array>();
  try {
    for (const m of take.moves.filter((m) => m.stream === stream))
      targets.set(m.sentAt, clampLatent(model, pointToLatent(model, m.p1, m.p2)));
    for (const chunk of take.chunks.filter((c) => c.stream === stream)) {
      heard.push(f32(chunk.samples));
      // Decoded chunk by chunk, as the engine does (the same batch shapes, the same numbers).
      const unit = model.decode(f32(chunk.trace!));
      const magnitude = fromUnitFrames(unit, model.studio.ref, settings.floorDb);
      const frame = new Float32Array(settings.bins + 1);
      for (let i = 0; i < magnitude.length / settings.bins; i++) {
        frame.set(magnitude.subarray(i * settings.bins, (i + 1) * settings.bins));
        parts.push(synth.push(frame));
      }
    }
  } finally {
    fft.dispose();
    model.dispose();
  }
  const join32 = (list: Float32Array[]) => {
    const out = new Float32Array(list.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of list) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return { render: join32(parts), chunks: join32(heard), targets, latent };
}

/** Kaiser window's Bessel function. */
function besselI0(v: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (v / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * Band-limited reading of `x` at fractional positions: a longer Kaiser-windowed sinc (128 taps)
 * than the worklet's, written independently of it; weights kept per fractional part.
 */
const readWeights = new Map<string, Float64Array>();
function readAt(x: Float32Array, pos: number): number {
  const half = 64;
  const whole = Math.floor(pos);
  const frac = pos - whole;
  const key = frac.toFixed(9);
  let weights = readWeights.get(key);
  if (!weights) {
    const fc = 0.5 * 0.96;
    const beta = 9;
    weights = new Float64Array(2 * half);
    let sum = 0;
    for (let j = 0; j < 2 * half; j++) {
      const t = frac + half - 1 - j;
      const u = t / half;
      const w = Math.abs(u) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - u * u)) / besselI0(beta);
      weights[j] = (t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t)) * w;
      sum += weights[j];
    }
    for (let j = 0; j < 2 * half; j++) weights[j] /= sum;
    readWeights.set(key, weights);
  }
  let y = 0;
  for (let j = 0; j < 2 * half; j++) {
    const i = whole - half + 1 + j;
    if (i >= 0 && i < x.length) y += x[i] * weights[j];
  }
  return y;
}

/** A Kaiser-windowed sinc high-pass at `cutoff` Hz (255 taps, ~100 dB stopband). */
function highPass(x: Float32Array, rate: number, cutoff: number): Float32Array {
  const taps = 255;
  const half = (taps - 1) / 2;
  const beta = 10;
  const i0 = besselI0;
  const fc = cutoff / rate;
  const h = new Float64Array(taps);
  for (let j = 0; j < taps; j++) {
    const t = j - half;
    const w = i0(beta * Math.sqrt(1 - (t / half) ** 2)) / i0(beta);
    const lowPass = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    h[j] = ((t === 0 ? 1 : 0) - lowPass) * w;
  }
  const y = new Float32Array(x.length);
  for (let n = 0; n < x.length; n++) {
    let s = 0;
    for (let j = 0; j < taps; j++) {
      const i = n + half - j;
      if (i >= 0 && i < x.length) s += h[j] * x[i];
    }
    y[n] = s;
  }
  return y;
}

/** Magnitude STFT (Hann) of `x` from `from` to `to`, bins up to `maxHz`; frames × bins. */
function stft(
  x: Float32Array,
  rate: number,
  size: number,
  hop: number,
  starts: number[],
  maxHz: number,
): Float64Array[] {
  const bins = Math.floor((maxHz * size) / rate);
  const window = Float64Array.from(
    { length: size },
    (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size),
  );
  const cos = Float64Array.from({ length: size }, (_, i) => Math.cos((2 * Math.PI * i) / size));
  const sin = Float64Array.from({ length: size }, (_, i) => Math.sin((2 * Math.PI * i) / size));
  void hop;
  return starts.map((s) => {
    const out = new Float64Array(bins + 1);
    const frame = Float64Array.from({ length: size }, (_, i) => x[s + i] * window[i]);
    for (let k = 0; k <= bins; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0, p = 0; i < size; i++, p = (p + k) % size) {
        re += frame[i] * cos[p];
        im -= frame[i] * sin[p];
      }
      out[k] = Math.hypot(re, im);
    }
    return out;
  });
}

interface Analysis {
  boundaries: number;
  worstExcessDb: number;
  worstAtBoundaryDb: number;
  worstAt: number;
  convergenceDb: number;
  gain: number;
  lag: number;
  frames: number;
  maxChunkError: number;
  medianLatency: number;
  medianTrueLatency: number;
  /** The median time from the pointer event to the echoed chunk's arrival in the page. */
  medianRoundTrip: number;
  latencies: number;
  /** Echo marks: all, those the page placed on the glide's first sample, one hop late, or not checkable. */
  echoes: number;
  exactOffsets: number;
  lateByAHop: number;
  unplaced: number;
}

function analyse(take: ProbeTake, offline: Offline, info: TestInfo): Analysis {
  const rate = take.sampleRate;
  const start = take.starts[take.starts.length - 1];
  const step = start.sampleRate / rate;
  const log = f64(take.log);
  const capture = f32(take.capture.samples);
  const first = take.capture.first;
  const D = take.limiterDelay;

  // 1. The offline render is the stream the engine sent.
  let maxChunkError = 0;
  for (let i = 0; i < offline.chunks.length; i++)
    maxChunkError = Math.max(maxChunkError, Math.abs(offline.chunks[i] - offline.render[i]));

  // 2. Where every chunk boundary fell in the output (context frames, after the limiter).
  const quanta: { frame: number; pos: number; flags: number }[] = [];
  for (let q = 0; q < log.length; q += 3) quanta.push({ frame: log[q], pos: log[q + 1], flags: log[q + 2] });
  const playing = quanta.filter((q) => q.flags !== 0);
  const frameOf = (index: number): number | null => {
    for (const q of playing) {
      const k = Math.ceil((index - q.pos) / step);
      if (k >= 0 && k < 128) return q.frame + k + D;
    }
    return null;
  };
  const boundaries = take.chunks
    .filter((c) => c.stream === start.stream && c.index !== null)
    .map((c) => frameOf(c.index!))
    .filter((f): f is number => f !== null);

  // 3. Clicks: energy above 11.5 kHz in 2 ms windows (1 ms apart) against the windows around it.
  const from = playing[0].frame + D - first;
  const to = Math.min(capture.length, playing[playing.length - 1].frame + 128 + D - first);
  const hp = highPass(capture.subarray(Math.max(0, from - 256), to), rate, 11_500);
  const offset = Math.max(0, from - 256);
  const win = Math.round(0.002 * rate);
  const hop = Math.round(0.001 * rate);
  const energy: number[] = [];
  const windowStart: number[] = [];
  for (let s = from - offset; s + win <= hp.length; s += hop) {
    let e = 0;
    for (let i = 0; i < win; i++) e += hp[s + i] ** 2;
    energy.push(e);
    windowStart.push(s + offset + first);
  }
  // A floor at −100 dBFS, so that windows of silence around a fade do not divide by nothing.
  const floor = win * 1e-10;
  let worstExcessDb = -Infinity;
  let worstAt = 0;
  let worstAtBoundaryDb = -Infinity;
  const excesses: { at: number; db: number }[] = [];
  let b = 0;
  for (let w = 0; w < energy.length; w++) {
    const around: number[] = [];
    for (let v = w - 12; v <= w + 12; v++)
      if (v >= 0 && v < energy.length && Math.abs(v - w) > 2) around.push(energy[v]);
    const excess = db((energy[w] + floor) / (median(around) + floor));
    excesses.push({ at: windowStart[w], db: excess });
    if (excess > worstExcessDb) {
      worstExcessDb = excess;
      worstAt = windowStart[w];
    }
    while (b < boundaries.length && boundaries[b] < windowStart[w]) b++;
    if (b < boundaries.length && boundaries[b] < windowStart[w] + win)
      worstAtBoundaryDb = Math.max(worstAtBoundaryDb, excess);
  }
  // The worst windows, each with the worklet's nearest event (in context frames after the limiter).
  const events = [
    { kind: 'start', frame: playing[0].frame + D },
    ...take.reports.filter((r) => r.type !== 'echo').map((r) => ({ kind: r.type, frame: r.frame + D })),
  ];
  const worst = excesses
    .sort((x, y) => y.db - x.db)
    .slice(0, 5)
    .map((w) => {
      const near = events.reduce(
        (a, e) => (Math.abs(e.frame - w.at) < Math.abs(a.frame - w.at) ? e : a),
        events[0],
      );
      const ms = ((w.at - near.frame) / rate) * 1000;
      return `${w.db.toFixed(1)} dB at ${((w.at - first) / rate).toFixed(3)} s (${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms from ${near.kind})`;
    });

  // 4. The capture against the offline render read at the worklet's positions, up to 10 kHz.
  const reference = new Float32Array(capture.length);
  const valid = new Uint8Array(capture.length);
  for (const q of quanta) {
    if (q.flags !== 1) continue;
    for (let k = 0; k < 128; k++) {
      const at = q.frame + k - first;
      if (at < 0 || at >= capture.length) continue;
      const pos = q.pos + k * step - start.index;
      if (pos < 0 || pos >= offline.render.length) continue;
      reference[at] = readAt(offline.render, pos);
      valid[at] = 1;
    }
  }
  // The limiter's delay, found again by correlation (it should be the one the page measured).
  let lag = 0;
  let best = -Infinity;
  for (let l = 0; l <= 600; l += 1) {
    let c = 0;
    let e = 0;
    for (let i = 0; i + l < capture.length; i += 3) {
      if (!valid[i]) continue;
      c += reference[i] * capture[i + l];
      e += capture[i + l] ** 2;
    }
    const score = c / Math.sqrt(e + 1e-20);
    if (score > best) {
      best = score;
      lag = l;
    }
  }
  const size = 2 ** Math.round(Math.log2(0.023 * rate));
  const starts: number[] = [];
  for (let s = 0; s + size + lag < capture.length; s += size / 4) {
    let ok = true;
    for (let i = s; i < s + size && ok; i += 7)
      ok = valid[i] === 1 && valid[Math.min(s + size - 1, i + 6)] === 1;
    if (ok) starts.push(s);
  }
  const ref = stft(reference, rate, size, size / 4, starts, 10_000);
  const cap = stft(
    capture,
    rate,
    size,
    size / 4,
    starts.map((s) => s + lag),
    10_000,
  );
  let cr = 0;
  let rr = 0;
  for (let f = 0; f < ref.length; f++)
    for (let k = 0; k < ref[f].length; k++) {
      cr += cap[f][k] * ref[f][k];
      rr += ref[f][k] ** 2;
    }
  const gain = cr / rr;
  let num = 0;
  for (let f = 0; f < ref.length; f++)
    for (let k = 0; k < ref[f].length; k++) num += (cap[f][k] - gain * ref[f][k]) ** 2;
  const convergenceDb = db(num / (gain * gain * rr));

  // 5. Latency, as the page measured it, and checked: the trace shows which frame began each glide
  //    (the engine's first step toward the move's target, bit for bit), so which hop of the echoed
  //    chunk is the glide's first sound; the page placed the mark by the chunk's size alone.
  const mine = take.chunks.filter((c) => c.stream === start.stream);
  const frames: { chunk: number; z: Float32Array }[] = [];
  mine.forEach((c, i) => {
    const trace = f32(c.trace!);
    const d = offline.latent;
    for (let r = 0; r < trace.length / d; r++)
      frames.push({ chunk: i, z: trace.subarray(r * d, (r + 1) * d) });
  });
  const firstStep = (from: Float32Array, target: Float32Array) =>
    Float32Array.from(from, (v, j) => v + (1 / 3) * (target[j] - v));
  const same = (a: Float32Array, b: Float32Array) => a.every((v, j) => v === b[j]);
  let echoes = 0;
  let exactOffsets = 0;
  let lateByAHop = 0;
  let unplaced = 0;
  const trueMs: number[] = [];
  const msBySentAt = new Map(take.latencies.map((l) => [l.sentAt, l.ms]));
  for (let i = 1; i < mine.length; i++) {
    const c = mine[i];
    if (c.echo === null) continue;
    echoes++;
    const target = offline.targets.get(c.echo);
    const g0 = frames.findIndex((f) => f.chunk === i);
    let exact: number | null = null;
    if (target && g0 > 0 && same(firstStep(frames[g0 - 1].z, target), frames[g0].z)) exact = start.hop;
    else if (target && g0 > 1 && same(firstStep(frames[g0 - 2].z, target), frames[g0 - 1].z)) exact = 0;
    const ms = msBySentAt.get(c.echo);
    if (exact === null) unplaced++;
    else if (exact === c.echoOffset) exactOffsets++;
    else if (c.echoOffset !== null && exact < c.echoOffset) lateByAHop++;
    if (ms !== undefined && exact !== null && c.echoOffset !== null)
      trueMs.push(ms - ((c.echoOffset - exact) / start.sampleRate) * 1000);
  }
  const ms = take.latencies.map((l) => l.ms);
  // Of which: pointer event to the echoed chunk's arrival in the page (the engine's round trip).
  const arrivals = mine.filter((c) => c.echo !== null).map((c) => c.at - c.echo!);

  const analysis: Analysis = {
    boundaries: boundaries.length,
    worstExcessDb,
    worstAtBoundaryDb,
    worstAt,
    convergenceDb,
    gain,
    lag,
    frames: starts.length,
    maxChunkError,
    medianLatency: median(ms),
    medianTrueLatency: median(trueMs),
    medianRoundTrip: median(arrivals),
    latencies: ms.length,
    echoes,
    exactOffsets,
    lateByAHop,
    unplaced,
  };
  const line = {
    worst,
    feed: take.shared ? 'SharedArrayBuffer ring' : 'messages',
    crossOriginIsolated: take.crossOriginIsolated,
    rate,
    chunks: mine.length,
    ...analysis,
    limiterDelay: D,
    outputLatencyMs: take.outputLatency * 1000,
    baseLatencyMs: take.baseLatency * 1000,
    stats: take.stats,
  };
  console.log(`live audition output: ${JSON.stringify(line)}`);
  info.annotations.push({ type: 'live audition', description: JSON.stringify(line) });
  return analysis;
}

for (const mode of ['shared', 'messages'] as const) {
  test(`live audition ${mode === 'shared' ? 'through the SharedArrayBuffer ring' : 'fed by messages'}: no click over a sweep, the offline render's sound, and its true latency`, async ({
    page,
    served,
  }, info) => {
    test.setTimeout(240_000);
    const screenshot = mode === 'shared' ? info.outputPath('live-audition.png') : undefined;
    const take = await sweep(page, served, mode, screenshot);
    writeFileSync(info.outputPath('take.json'), JSON.stringify(take));
    if (screenshot) await info.attach('live audition', { path: screenshot, contentType: 'image/png' });
    expect(take.crossOriginIsolated).toBe(true);
    expect(take.shared).toBe(mode === 'shared');
    const stream = take.starts[take.starts.length - 1].stream;
    expect(take.chunks.filter((c) => c.stream === stream && c.trace === null)).toEqual([]);
    const offline = await offlineRender(take, stream);
    const result = analyse(take, offline, info);
    expect(result.maxChunkError).toBeLessThan(1e-6);
    expect(result.boundaries).toBeGreaterThan(100);
    expect(result.worstExcessDb).toBeLessThanOrEqual(6);
    // The limiter's delay, found again — up to one render quantum: the tap after the limiter and the
    // live worklet may count the graph's first quantum one apart (seen once in about ten runs, on the
    // message feed). The spectral convergence at the lag found is the real check of alignment.
    expect([take.limiterDelay - 128, take.limiterDelay, take.limiterDelay + 128]).toContain(result.lag);
    expect(result.frames).toBeGreaterThan(20);
    expect(result.convergenceDb).toBeLessThan(-20);
    expect(result.latencies).toBeGreaterThan(20);
    expect(result.medianLatency).toBeGreaterThan(0);
    // The page's mark is on the glide's first sample, or at worst one hop after it.
    expect(result.exactOffsets + result.lateByAHop + result.unplaced).toBe(result.echoes);
    expect(result.exactOffsets).toBeGreaterThan(0.9 * (result.exactOffsets + result.lateByAHop));
  });
}
