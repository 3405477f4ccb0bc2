/**
 * Reading and resampling throughput for `npm run bench`: 10 minutes of 48 kHz stereo (the long
 * speech fixture, repeated, made stereo by sox) as WAV, FLAC, Ogg Vorbis and MP3, each read from
 * disk by loadAudioFile (decode, mix down, resample to 22050 Hz) — × real time by the wall clock
 * and by this process's CPU time (one core: Node runs this on one thread, so CPU time is what a
 * quiet core would take); and the resampler alone beside wavefile's sinc, which it replaced, run in
 * the same process as the reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { loadAudioFile } from '../ml/audio/load.js';
import { Resampler, resample } from '../ml/audio/resample.js';
import type { Fixture } from '../test/fixtures.js';

export interface FormatRow {
  what: string;
  seconds: number;
  megabytes: number | null;
  wallSpeed: number;
  cpuSpeed: number;
}

function measure(fn: () => unknown): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const u = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

async function measureAsync(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const u = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

/** wavefile's sinc resampler as ml/audio/resample.ts used it before (255-tap FIR low-pass). */
function wavefileResample(x: Float32Array, from: number, to: number): Float64Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, from, '32f', x);
  wav.toSampleRate(to, { method: 'sinc', LPF: true, LPFType: 'FIR', LPForder: 255, sincFilterSize: 32 });
  return wav.getSamples(false, Float64Array) as unknown as Float64Array;
}

export async function formatRows(long: Fixture, opts: { quick: boolean }): Promise<FormatRow[]> {
  const seconds = opts.quick ? 120 : 600;
  const dir = mkdtempSync(join(tmpdir(), 'vae-bench-formats-'));
  const rows: FormatRow[] = [];
  try {
    const wav = join(dir, 'long.wav');
    // The fixture (about 77 s at 22.05 kHz) repeated, at 48 kHz, the right channel inverted at -6 dB.
    const repeats = String(Math.ceil(seconds / 60));
    execFileSync('sox', [
      long.path,
      '-r',
      '48000',
      '-c',
      '2',
      '-b',
      '16',
      wav,
      'remix',
      '1',
      '1v-0.5',
      'repeat',
      repeats,
      'trim',
      '0',
      String(seconds),
    ]);
    execFileSync('sox', [wav, join(dir, 'long.flac')]);
    const files = [
      ['WAV 16-bit', wav],
      ['FLAC 16-bit', join(dir, 'long.flac')],
    ];
    if (!opts.quick) {
      execFileSync('sox', [wav, '-C', '5', join(dir, 'long.ogg')]);
      execFileSync('lame', ['--quiet', '-V', '4', wav, join(dir, 'long.mp3')]);
      files.push(['Ogg Vorbis q5', join(dir, 'long.ogg')], ['MP3 V4', join(dir, 'long.mp3')]);
    }
    for (const [what, path] of files) {
      let got = 0;
      const m = await measureAsync(async () => {
        got = (await loadAudioFile(path)).samples.length;
      });
      if (Math.abs(got - seconds * 22050) > 1)
        throw new Error(`${what}: ${got} samples, expected ${seconds * 22050}`);
      rows.push({
        what: `${what} read + resampled`,
        seconds,
        megabytes: statSync(path).size / 2 ** 20,
        wallSpeed: seconds / m.wall,
        cpuSpeed: seconds / m.cpu,
      });
    }
    // The resampler alone, on 60 s of 48 kHz mono, beside wavefile's sinc on 10 s of it.
    const x = new Float32Array(48000 * 60);
    for (let i = 0; i < x.length; i++)
      x[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48000) + 0.1 * Math.sin(i * 1.3);
    const simd = measure(() => resample(x, 48000, 22050));
    rows.push({
      what: 'resampler 48 -> 22.05 kHz (SIMD)',
      seconds: 60,
      megabytes: null,
      wallSpeed: 60 / simd.wall,
      cpuSpeed: 60 / simd.cpu,
    });
    const js = measure(() => {
      const r = new Resampler(48000, 22050, { simd: false });
      r.push(x);
      r.end();
    });
    rows.push({
      what: 'resampler 48 -> 22.05 kHz (JS)',
      seconds: 60,
      megabytes: null,
      wallSpeed: 60 / js.wall,
      cpuSpeed: 60 / js.cpu,
    });
    const old = measure(() => wavefileResample(x.subarray(0, 48000 * 10), 48000, 22050));
    rows.push({
      what: "wavefile's sinc (the old one)",
      seconds: 10,
      megabytes: null,
      wallSpeed: 10 / old.wall,
      cpuSpeed: 10 / old.cpu,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
