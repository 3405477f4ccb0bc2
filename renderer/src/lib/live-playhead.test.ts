import { describe, expect, it } from 'vitest';
import {
  LOG_STRIDE,
  LivePlayhead,
  Marker,
  type PlayheadReport,
  QUANTUM,
  QuantumFlags,
} from './live-playhead.js';
import { SincKernel } from './sinc-kernel.js';

const IN = 22050;
const OUT = 44100;
const HOP = 128;

/** A slow sweep (200–400 Hz), so that a step from one output sample to the next stays small. */
function signal(n: number): Float32Array {
  const x = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * (200 + (200 * i) / n)) / IN;
    x[i] = 0.5 * Math.sin(phase);
  }
  return x;
}

interface Run {
  out: Float32Array;
  reports: PlayheadReport[];
  playhead: LivePlayhead;
}

/**
 * The engine and the sound card on one simulated clock: a hop every 5.8 ms (plus `delay(hop)` ms
 * of transport), rendering in callbacks of `callback` frames.
 */
function simulate(
  input: Float32Array,
  options: {
    ms: number;
    callback?: number;
    delay?: (hop: number) => number;
    /** The sound card starts this much later than the stream (ms). */
    late?: number;
    before?: (p: LivePlayhead) => void;
  },
): Run {
  const playhead = new LivePlayhead(OUT, { logQuanta: 100_000 });
  const reports: PlayheadReport[] = [];
  playhead.onReport = (r) => reports.push(r);
  playhead.mark(Marker.Start, 0, IN);
  options.before?.(playhead);
  const callback = options.callback ?? 441;
  const arrivals = Array.from({ length: Math.floor(input.length / HOP) }, (_, h) => ({
    h,
    at: ((h - 2) * HOP * 1000) / IN + (options.delay?.(h) ?? 1),
  })).sort((a, b) => a.at - b.at);
  const frames = Math.floor((options.ms * OUT) / 1000 / QUANTUM) * QUANTUM;
  const out = new Float32Array(frames);
  let rendered = 0;
  let next = 0;
  let written = 0;
  const pending = new Map<number, Float32Array>();
  const late = options.late ?? 0;
  for (let t = 0; rendered < frames; t += (callback * 1000) / OUT) {
    for (; next < arrivals.length && arrivals[next].at <= t; next++) {
      const { h } = arrivals[next];
      pending.set(h, input.subarray(h * HOP, (h + 1) * HOP));
      // The transport keeps the order (a WebSocket does): write what is contiguous.
      while (pending.has(written / HOP)) {
        playhead.write(pending.get(written / HOP)!);
        pending.delete(written / HOP);
        written += HOP;
      }
    }
    if (t < late) continue;
    const target = Math.min(frames, Math.floor(((t - late) * OUT) / 1000 / QUANTUM + 1) * QUANTUM);
    for (; rendered < target; rendered += QUANTUM)
      playhead.render(out.subarray(rendered, rendered + QUANTUM), rendered);
  }
  return { out, reports, playhead };
}

function maxStep(y: Float32Array): number {
  let max = 0;
  for (let i = 1; i < y.length; i++) max = Math.max(max, Math.abs(y[i] - y[i - 1]));
  return max;
}

/** Frames whose quantum was steady, compared with a read of the whole input at the logged positions. */
function steadyError(run: Run, input: Float32Array): { frames: number; error: number } {
  const kernel = new SincKernel(IN, OUT);
  const log = run.playhead.log();
  let frames = 0;
  let error = 0;
  for (let q = 0; q < log.length; q += LOG_STRIDE) {
    if (log[q + 2] !== QuantumFlags.Steady) continue;
    for (let k = 0; k < QUANTUM; k++) {
      const pos = log[q + 1] + (k * IN) / OUT;
      if (pos + kernel.half >= input.length) continue;
      error = Math.max(error, Math.abs(run.out[log[q] + k] - kernel.read(input, 0, pos)));
      frames++;
    }
  }
  return { frames, error };
}

describe('LivePlayhead', () => {
  it('plays hop-sized chunks as one continuous stream, resampled once, with no trace of their boundaries', () => {
    const input = signal(IN);
    const run = simulate(input, { ms: 900, delay: (h) => 1 + ((h * 7919) % 13) / 10 });
    expect(run.reports.filter((r) => r.type === 'underrun')).toEqual([]);
    const { frames, error } = steadyError(run, input);
    expect(frames).toBeGreaterThan(0.8 * run.out.length);
    expect(error).toBeLessThan(1e-6);
    // The sweep's own largest step at 400 Hz is 0.5 · 2π · 400 / 44100 = 0.028; a fade's is less.
    expect(maxStep(run.out)).toBeLessThan(0.03);
  });

  it('fades out when the input runs dry and in again when it is back, never jumping', () => {
    const input = signal(2 * IN);
    // Hops 60 to 69 arrive 60 ms late (a stall): the stream underruns once, then goes on.
    const run = simulate(input, { ms: 1900, delay: (h) => (h >= 60 && h < 70 ? 60 : 1) });
    const underruns = run.reports.filter((r) => r.type === 'underrun');
    expect(underruns.length).toBeGreaterThanOrEqual(1);
    expect(maxStep(run.out)).toBeLessThan(0.03);
    // Silence in the gap, sound after it.
    const at = underruns[0].frame;
    const gap = run.out.subarray(at + 2 * QUANTUM, at + 4 * QUANTUM);
    expect(Math.max(...gap.map(Math.abs))).toBe(0);
    const after = run.out.subarray(at + Math.round(0.1 * OUT), at + Math.round(0.15 * OUT));
    expect(Math.max(...after.map(Math.abs))).toBeGreaterThan(0.4);
    // It resumed as late as the input came: the buffer grew by the stall, until catch-up takes it back.
    expect(run.reports.map((r) => r.type).slice(-1)).toEqual(['skip']);
  });

  it('skips input that stays ahead of need, with a crossfade, back to a few milliseconds of fill', () => {
    const input = signal(2 * IN);
    // The sound card starts 80 ms after the stream: 80 ms more than needed wait in the buffer.
    const run = simulate(input, { ms: 1500, late: 80 });
    const skips = run.reports.filter((r) => r.type === 'skip');
    expect(skips.length).toBeGreaterThanOrEqual(1);
    expect(run.reports.filter((r) => r.type === 'underrun')).toEqual([]);
    expect(run.playhead.fill).toBeLessThan(0.02 * IN);
    expect(maxStep(run.out)).toBeLessThan(0.03);
    expect(steadyError(run, input).error).toBeLessThan(1e-6);
  });

  it('after a stall, plays the burst that follows and then skips what stays ahead', () => {
    const input = signal(2 * IN);
    // Hops 20 to 39 all arrive with hop 40: an underrun, then 110 ms too much.
    const hop = (HOP * 1000) / IN;
    const run = simulate(input, { ms: 1500, delay: (h) => (h >= 20 && h < 40 ? (40 - h) * hop + 1 : 1) });
    const kinds = run.reports.map((r) => r.type);
    expect(kinds).toContain('underrun');
    expect(kinds.lastIndexOf('skip')).toBeGreaterThan(kinds.indexOf('underrun'));
    expect(run.playhead.fill).toBeLessThan(0.02 * IN);
    expect(maxStep(run.out)).toBeLessThan(0.03);
  });

  it("reports an echo with the output frame at which the head reaches the echo's sample", () => {
    const input = signal(IN);
    const index = 50 * HOP + HOP;
    const run = simulate(input, {
      ms: 600,
      before: (p) => p.mark(Marker.Echo, index, 1234.5),
    });
    const echo = run.reports.find((r) => r.type === 'echo');
    expect(echo).toMatchObject({ sentAt: 1234.5 });
    const frame = (echo as { frame: number }).frame;
    const log = run.playhead.log();
    const q = Math.floor(frame / QUANTUM) * LOG_STRIDE;
    const pos = log[q + 1] + ((frame % QUANTUM) * IN) / OUT;
    expect(pos).toBeGreaterThanOrEqual(index);
    expect(pos - IN / OUT).toBeLessThan(index);
  });

  it('fades out on stop, and starts the next stream at its own first sample', () => {
    const playhead = new LivePlayhead(OUT);
    const out = new Float32Array(QUANTUM);
    const heard: number[] = [];
    const render = (n: number) => {
      for (let i = 0; i < n; i++) {
        playhead.render(out, 0);
        heard.push(...out);
      }
    };
    const a = signal(2048);
    playhead.mark(Marker.Start, 0, IN);
    playhead.write(a);
    render(10);
    expect(playhead.state).toBe('playing');
    playhead.mark(Marker.Stop, a.length, 0);
    render(3);
    expect(playhead.state).toBe('idle');
    expect(Math.max(...heard.slice(-QUANTUM).map(Math.abs))).toBe(0);
    // A new stream of a constant: whatever the first one left in the buffer is not heard.
    playhead.mark(Marker.Start, a.length, IN);
    playhead.write(new Float32Array(2048).fill(0.25));
    render(10);
    expect(heard[heard.length - 1]).toBeCloseTo(0.25, 5);
    expect(maxStep(Float32Array.from(heard))).toBeLessThan(0.03);
  });
});
