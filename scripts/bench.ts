/**
 * `npm run bench`: speed and quality of the sound path on real recordings, named by machine and
 * implementation, beside torchaudio's Griffin-Lim where Debian's python3-torch and python3-torchaudio
 * are installed (../shared/bench/torch_griffinlim.py). Speeds are × real time on one core (Node runs
 * this single-threaded); quality is spectral convergence in dB (lower is better).
 *
 * Usage: node dist/scripts/bench.js [--json] [--quick]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { loadAudioFile } from '../ml/audio/load.js';
import { analyze, peakAmplitude } from '../ml/features/analyze.js';
import { fromUnitFrames, toUnitFrames } from '../ml/features/scale.js';
import { DEFAULT_FRAME_SETTINGS as S } from '../ml/features/settings.js';
import { createRealFft, type RealFft } from '../ml/synth/fft.js';
import { griffinLim } from '../ml/synth/griffinlim.js';
import { spectralConvergence } from '../ml/synth/metrics.js';
import { phaseVocoder } from '../ml/synth/pghi.js';
import { PHASE_METHODS, reconstruct } from '../ml/synth/reconstruct.js';
import { withNyquist } from '../ml/synth/roundtrip.js';
import { Stft, magnitudes, polar } from '../ml/synth/stft.js';
import { packageInfo, packageRoot } from '../main/package-info.js';
import { formatRows, type FormatRow } from './bench-formats.js';
import { type Fixture, allFixtures, longSpeechFixture } from '../test/fixtures.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const log = (line = '') => {
  if (!json) process.stdout.write(`${line}\n`);
};

function time<T>(fn: () => T): { value: T; seconds: number } {
  const t = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t) / 1000 };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const fmt = (x: number | null, d = 1) => (x === null ? 'n/a' : x.toFixed(d));

interface FileResult {
  file: string;
  kind: string;
  seconds: number;
  speed: Record<string, number>;
  sc: Record<string, number | null>;
}

async function soundPath(fixtures: Fixture[], stft: Stft): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const fixture of fixtures) {
    const x = (await loadAudioFile(fixture.path)).samples;
    const duration = x.length / S.sampleRate;
    const target = magnitudes(stft.forward(x));
    const speed: Record<string, number> = {};
    const sc: Record<string, number | null> = {};
    const analysis = time(() => analyze(x, S, { phase: true }));
    speed.analysis = duration / analysis.seconds;
    const { amplitude, phase } = analysis.value;
    const ref = peakAmplitude(amplitude);
    const mag = withNyquist(fromUnitFrames(toUnitFrames(amplitude, ref, S.floorDb), ref, S.floorDb), S.bins);
    const sourcePhase = withNyquist(phase!, S.bins).data;
    const istft = time(() => stft.inverse(polar(mag, sourcePhase), x.length));
    speed.istft = duration / istft.seconds;
    for (const method of PHASE_METHODS) {
      const r = time(() => reconstruct(mag, x.length, stft, { method, sourcePhase }));
      speed[method] = duration / r.seconds;
      sc[method] = spectralConvergence(target, magnitudes(stft.forward(r.value)));
    }
    const pv = stft.inverse(polar(mag, phaseVocoder(mag, S)), x.length);
    sc['phase vocoder'] = spectralConvergence(target, magnitudes(stft.forward(pv)));
    results.push({ file: fixture.name, kind: fixture.kind, seconds: duration, speed, sc });
  }
  return results;
}

/** torchaudio's Griffin-Lim on the same files, when Debian's python3-torch is installed. */
function torchReference(paths: string[]): Map<string, { sc: number; speed: number }> | null {
  const script = join(packageRoot(), '..', 'shared', 'bench', 'torch_griffinlim.py');
  if (!existsSync(script)) return null;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchaudio'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const out = execFileSync('/usr/bin/python3', [script, ...paths], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const results = new Map<string, { sc: number; speed: number }>();
  for (const m of out.matchAll(/^(.*): SC (-?[\d.]+) dB, ([\d.]+)x real time$/gm)) {
    results.set(basename(m[1]), { sc: Number(m[2]), speed: Number(m[3]) });
  }
  return results;
}

/** Our whole `vae-studio roundtrip` process, start to exit, as × real time of the file. */
function wholeProcess(path: string, phase: string): { speed: number; sc: number } {
  const bin = join(packageRoot(), 'bin', 'vae-studio.js');
  const out = join(packageRoot(), 'out', `bench-${phase}.wav`);
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, 'roundtrip', path, '--out', out, '--phase', phase, '--json'], {
    encoding: 'utf8',
  });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`roundtrip failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    durationSeconds: number;
    spectralConvergenceDb: number;
  };
  return { speed: report.durationSeconds / wall, sc: report.spectralConvergenceDb };
}

async function griffinLimByFft(path: string): Promise<Record<string, number>> {
  const x = (await loadAudioFile(path)).samples;
  const out: Record<string, number> = {};
  for (const impl of ['fft.js', 'pffft'] as const) {
    let fft: RealFft | null = null;
    try {
      fft = await createRealFft(S.windowSize, impl);
      const stft = new Stft(fft, S);
      const mag = magnitudes(stft.forward(x));
      const r = time(() => griffinLim(mag, x.length, stft, { iterations: 32 }));
      out[fft.implementation] = x.length / S.sampleRate / r.seconds;
    } finally {
      fft?.dispose();
    }
  }
  return out;
}

async function main(): Promise<void> {
  const fft = await createRealFft(S.windowSize);
  const stft = new Stft(fft, S);
  const fixtures = quick ? allFixtures().slice(0, 3) : [...allFixtures(), longSpeechFixture()];
  const machine = `${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores), Node ${process.versions.node}`;
  log(`VAE Studio ${packageInfo.version} benchmark — ${machine}`);
  log(
    `FFT: ${fft.implementation}; frames: ${S.windowSize}-point Hann, hop ${S.hop}, ${S.sampleRate} Hz; one core`,
  );
  log();

  const files = await soundPath(fixtures, stft);
  const methods = [...PHASE_METHODS];
  log('Speed, × real time (higher is better)');
  log(
    `${'file'.padEnd(18)}${pad('sec', 6)}${pad('analysis', 10)}${pad('istft', 8)}${methods.map((m) => pad(m, 12)).join('')}`,
  );
  for (const f of files) {
    log(
      `${f.file.padEnd(18)}${pad(fmt(f.seconds), 6)}${pad(fmt(f.speed.analysis, 0), 10)}${pad(fmt(f.speed.istft, 0), 8)}` +
        methods.map((m) => pad(fmt(f.speed[m], 0), 12)).join(''),
    );
  }
  log();
  log('Spectral convergence, dB (lower is better); griffinlim and pghi-gl at 32 iterations');
  const scCols = [...methods, 'phase vocoder'];
  log(`${'file'.padEnd(18)}${scCols.map((m) => pad(m, 14)).join('')}`);
  for (const f of files) log(`${f.file.padEnd(18)}${scCols.map((m) => pad(fmt(f.sc[m]), 14)).join('')}`);

  const torch = torchReference(fixtures.map((f) => f.path));
  log();
  if (!torch) {
    log(
      'torchaudio reference: not run (needs /usr/bin/python3 with torch and torchaudio, and ../shared/bench)',
    );
  } else {
    log(
      'Griffin-Lim, 32 iterations, momentum 0.99: ours beside torchaudio (1 thread, mean of 3 random starts)',
    );
    log(
      `${'file'.padEnd(18)}${pad('ours SC', 10)}${pad('torch SC', 10)}${pad('ours ×RT', 10)}${pad('torch ×RT', 11)}`,
    );
    for (const f of files) {
      const t = torch.get(f.file);
      log(
        `${f.file.padEnd(18)}${pad(fmt(f.sc.griffinlim, 2), 10)}${pad(t ? fmt(t.sc, 2) : 'n/a', 10)}` +
          `${pad(fmt(f.speed.griffinlim, 0), 10)}${pad(t ? fmt(t.speed, 1) : 'n/a', 11)}`,
      );
    }
  }

  let whole: { speed: number; sc: number } | null = null;
  let byFft: Record<string, number> = {};
  if (!quick) {
    const long = longSpeechFixture();
    whole = wholeProcess(long.path, 'griffinlim');
    byFft = await griffinLimByFft(long.path);
    log();
    const t = torch?.get(long.name);
    log(
      `Whole \`vae-studio roundtrip --phase griffinlim\` process on ${long.name}: ${fmt(whole.speed)}× real time` +
        (t
          ? ` (torchaudio's transform alone: ${fmt(t.speed)}×; ratio ${fmt(whole.speed / t.speed, 2)})`
          : ''),
    );
    log(
      `Griffin-Lim by FFT on ${long.name}: ${Object.entries(byFft)
        .map(([k, v]) => `${k} ${fmt(v)}×`)
        .join(', ')}`,
    );
  }
  fft.dispose();

  const formats: FormatRow[] = await formatRows(longSpeechFixture(), { quick });
  log();
  log('Reading audio files (decode, mix down, resample to 22050 Hz; loadAudioFile), × real time');
  log(`${'what'.padEnd(36)}${pad('sec', 6)}${pad('MB', 8)}${pad('wall', 8)}${pad('CPU', 8)}`);
  for (const r of formats) {
    log(
      `${r.what.padEnd(36)}${pad(r.seconds, 6)}${pad(r.megabytes === null ? '' : fmt(r.megabytes), 8)}` +
        `${pad(fmt(r.wallSpeed, 0), 8)}${pad(fmt(r.cpuSpeed, 0), 8)}`,
    );
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ machine, fft: fft.implementation, files, torch: torch ? Object.fromEntries(torch) : null, wholeProcess: whole, griffinLimByFft: byFft, formats })}\n`,
    );
  }
}

await main();
