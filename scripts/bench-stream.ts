/**
 * `npm run bench` (fourth part): `vae-studio stream` keeps constant memory for any length. The demo
 * model's four sources looped into a 1-minute and a 10-minute 16-bit WAV at 44.1 kHz (so the
 * stream resamples too) go through `stream --json` as separate processes, and each run's peak
 * resident memory (`peakRssBytes`, getrusage's maxRSS) and speed are compared: the 10-minute run
 * must stay within 10 % of the 1-minute run's peak.
 *
 * Usage: node dist/scripts/bench-stream.js [--json] [--minutes A,B]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resample } from '../ml/audio/resample.js';
import { decodeWav } from '../ml/audio/wav.js';
import { packageRoot } from '../main/package-info.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const at = args.indexOf('--minutes');
const minutes = (at >= 0 ? args[at + 1] : '1,10').split(',').map(Number);
const RATE = 44100;

const demo = join(packageRoot(), 'assets', 'demo');
const loop = Float32Array.from(
  ['vowels', 'bells', 'plucks', 'textures'].flatMap((name) => {
    const path = join(demo, 'sources', `${name}.wav`);
    const wav = decodeWav(readFileSync(path), path);
    return Array.from(resample(wav.channels[0], wav.sampleRate, RATE));
  }),
);

/** A 16-bit mono WAV of `seconds`, the loop repeated, written a block at a time. */
function writeLong(path: string, seconds: number): void {
  const total = Math.round(seconds * RATE);
  const fd = openSync(path, 'w');
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + 2 * total, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(2 * RATE, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(2 * total, 40);
  writeSync(fd, header);
  const block = Buffer.alloc(2 * 65536);
  for (let i = 0; i < total; i += 65536) {
    const n = Math.min(65536, total - i);
    for (let j = 0; j < n; j++) {
      const v = loop[(i + j) % loop.length];
      block.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), 2 * j);
    }
    writeSync(fd, block, 0, 2 * n);
  }
  closeSync(fd);
}

const dir = mkdtempSync(join(tmpdir(), 'vae-bench-stream-'));
const results: {
  minutes: number;
  peakRssMiB: number;
  realTimeFactor: number;
  latencyMs: number;
  backend: string;
}[] = [];
try {
  for (const m of minutes) {
    const input = join(dir, `in-${m}.wav`);
    writeLong(input, m * 60);
    const r = spawnSync(
      process.execPath,
      [
        join(packageRoot(), 'bin', 'vae-studio.js'),
        'stream',
        join(demo, 'model'),
        input,
        '--out',
        join(dir, `out-${m}.wav`),
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) throw new Error(`stream failed (${r.status}): ${r.stderr}`);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      peakRssBytes: number;
      realTimeFactor: number;
      latencyMs: number;
      backend: string;
    };
    results.push({
      minutes: m,
      peakRssMiB: Number((report.peakRssBytes / 2 ** 20).toFixed(1)),
      realTimeFactor: report.realTimeFactor,
      latencyMs: report.latencyMs,
      backend: report.backend,
    });
    rmSync(input);
    rmSync(join(dir, `out-${m}.wav`));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const first = results[0];
const last = results[results.length - 1];
const ratio = last.peakRssMiB / first.peakRssMiB;
const summary = { results, peakRatio: Number(ratio.toFixed(3)), withinTenPercent: ratio <= 1.1 };
if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else {
  for (const r of results)
    process.stdout.write(
      `stream ${r.minutes} min at ${RATE} Hz: peak RSS ${r.peakRssMiB} MiB, ${r.realTimeFactor}× real time, latency ${r.latencyMs} ms (${r.backend})\n`,
    );
  process.stdout.write(
    `peak memory ${last.minutes} min / ${first.minutes} min: ${ratio.toFixed(3)} (${summary.withinTenPercent ? 'within' : 'NOT within'} 10 %)\n`,
  );
}
if (!summary.withinTenPercent) process.exitCode = 1;
