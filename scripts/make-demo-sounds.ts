/**
 * Makes the demo corpus in assets/demo/sources/: sounds synthesised here, in code, so the project
 * ships material it owns outright — sung vowels (a pulse train through formant resonators), plucked
 * strings (Karplus-Strong), wind-like noise textures and FM bells. Deterministic: the same files on
 * every run. Usage: node dist/scripts/make-demo-sounds.js [--force]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../ml/audio/files.js';
import { encodeWav } from '../ml/audio/wav.js';
import { seededRandom } from '../ml/random.js';
import { packageRoot } from '../main/package-info.js';

const RATE = 22050;

/** A two-pole resonator (band-pass) at `freq` with bandwidth `bw`, applied in place. */
function resonate(x: Float32Array, freq: number, bw: number, gain: number): Float32Array {
  const r = Math.exp((-Math.PI * bw) / RATE);
  const a1 = -2 * r * Math.cos((2 * Math.PI * freq) / RATE);
  const a2 = r * r;
  const y = new Float32Array(x.length);
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = (1 - r) * gain * x[i] - a1 * y1 - a2 * y2;
    y[i] = v;
    y2 = y1;
    y1 = v;
  }
  return y;
}

function envelope(length: number, attack: number, release: number): Float32Array {
  const e = new Float32Array(length);
  for (let i = 0; i < length; i++) e[i] = Math.min(1, i / attack, (length - i) / release);
  return e;
}

function normalize(x: Float32Array, peak = 0.8): Float32Array {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  return m > 0 ? x.map((v) => (v * peak) / m) : x;
}

/** Five vowels (formants of an adult voice), each 0.8 s, with a gliding pitch and some breath. */
function vowels(): Float32Array {
  const formants: [number, number, number][][] = [
    [
      [730, 90, 1],
      [1090, 110, 0.5],
      [2440, 170, 0.25],
    ], // a
    [
      [530, 60, 1],
      [1840, 150, 0.45],
      [2480, 200, 0.3],
    ], // e
    [
      [270, 60, 1],
      [2290, 200, 0.35],
      [3010, 250, 0.25],
    ], // i
    [
      [570, 80, 1],
      [840, 100, 0.6],
      [2410, 170, 0.2],
    ], // o
    [
      [300, 60, 1],
      [870, 100, 0.45],
      [2240, 180, 0.15],
    ], // u
  ];
  const random = seededRandom(1);
  const seg = Math.round(0.8 * RATE);
  const out = new Float32Array(seg * formants.length);
  formants.forEach((set, v) => {
    const source = new Float32Array(seg);
    let phase = 0;
    for (let i = 0; i < seg; i++) {
      const f0 = 110 + 25 * (i / seg) + 3 * Math.sin((2 * Math.PI * 5.5 * i) / RATE);
      phase += f0 / RATE;
      if (phase >= 1) {
        phase -= 1;
        source[i] = 1;
      }
      source[i] += 0.02 * (random() - 0.5);
    }
    const voice = new Float32Array(seg);
    for (const [f, bw, g] of set) resonate(source, f, bw, g * 40).forEach((s, i) => (voice[i] += s));
    const env = envelope(seg, 800, 1500);
    out.set(normalize(voice.map((s, i) => s * env[i])), v * seg);
  });
  return out;
}

/** A plucked-string melody (Karplus-Strong with a one-zero loop filter). */
function plucks(): Float32Array {
  const random = seededRandom(2);
  const notes = [196, 247, 294, 392, 330, 294, 247, 220, 262, 330];
  const step = Math.round(0.4 * RATE);
  const out = new Float32Array(step * notes.length + RATE);
  notes.forEach((f, n) => {
    const period = Math.round(RATE / f);
    const line = new Float32Array(period).map(() => random() * 2 - 1);
    const length = Math.round(1.2 * RATE);
    let prev = 0;
    for (let i = 0; i < length; i++) {
      const j = i % period;
      const v = 0.996 * 0.5 * (line[j] + prev);
      prev = line[j];
      line[j] = v;
      out[n * step + i] += 0.5 * v;
    }
  });
  return normalize(out);
}

/** Noise through slowly sweeping resonators: wind, surf, a hiss that opens and closes. */
function textures(): Float32Array {
  const random = seededRandom(3);
  const length = 4 * RATE;
  const hiss = new Float32Array(length).map(() => random() * 2 - 1);
  const out = new Float32Array(length);
  const block = 256;
  for (let start = 0; start < length; start += block) {
    const t = start / RATE;
    const chunk = hiss.subarray(Math.max(0, start - 512), start + block);
    const centre = 600 + 500 * Math.sin(2 * Math.PI * 0.3 * t) + 3000 * (t / 4);
    const y = resonate(chunk, centre, 150 + 100 * Math.sin(2 * Math.PI * 0.7 * t), 6);
    const offset = start - Math.max(0, start - 512);
    const amp = 0.4 + 0.3 * Math.sin(2 * Math.PI * 0.5 * t);
    for (let i = 0; i < block && start + i < length; i++) out[start + i] = amp * y[offset + i];
  }
  const env = envelope(length, 2000, 4000);
  return normalize(out.map((s, i) => s * env[i]));
}

/** FM bells: inharmonic partials (carrier:modulator 1:1.4) with a decaying index. */
function bells(): Float32Array {
  const notes = [523, 659, 440, 784];
  const step = RATE;
  const out = new Float32Array(step * notes.length);
  notes.forEach((f, n) => {
    for (let i = 0; i < step; i++) {
      const t = i / RATE;
      const decay = Math.exp(-3 * t);
      const mod = 4 * decay * Math.sin(2 * Math.PI * f * 1.4 * t);
      out[n * step + i] = decay * Math.sin(2 * Math.PI * f * t + mod) * Math.min(1, i / 50);
    }
  });
  return normalize(out);
}

export const DEMO_SOUNDS: Record<string, () => Float32Array> = { vowels, plucks, textures, bells };

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const dir = join(packageRoot(), 'assets', 'demo', 'sources');
  mkdirSync(dir, { recursive: true });
  for (const [name, make] of Object.entries(DEMO_SOUNDS)) {
    const path = join(dir, `${name}.wav`);
    await writeFileAtomic(path, encodeWav(make(), RATE, '16'), { overwrite: force });
    process.stdout.write(`${path}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
