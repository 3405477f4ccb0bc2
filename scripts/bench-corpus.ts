/**
 * Hours of audio in bounded memory (issue 14): trains one epoch of the default model with the CLI on
 * about one hour and on about two hours of audio, and reports each run's peak resident memory (the
 * whole process: main thread, training worker and its threads), the analysis and training time, and
 * a second run on the hour reusing the frame cache. The hours are made with sox from the test
 * fixtures (speech and instruments), 5-minute files, each at its own speed (0.85–1.15×) so no two
 * are the same; they are kept in test/.fixtures/hours/.
 *
 * Usage: node dist/scripts/bench-corpus.js [--hours 1,2] [--cold] [--json]
 * Not part of `npm run bench` (it takes tens of minutes on 2 cores).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packageRoot } from '../main/package-info.js';
import { FIXTURE_DIR, allFixtures, longSpeechFixture } from '../test/fixtures.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const hoursArg = args.indexOf('--hours');
const HOURS = (hoursArg >= 0 ? args[hoursArg + 1] : '1,2').split(',').map(Number);
const FILE_MINUTES = 5;
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

/** The first `count` 5-minute files (22.05 kHz mono 16-bit), made once. */
function hourFiles(count: number): string[] {
  const dir = join(FIXTURE_DIR, 'hours');
  mkdirSync(dir, { recursive: true });
  // The fixtures as mono files (the instruments are stereo), so sox can join them.
  const parts = [...allFixtures().map((f) => f.path), longSpeechFixture().path].map((path) => {
    const mono = join(dir, `mono-${basename(path)}`);
    if (!existsSync(mono)) execFileSync('sox', [path, '-c', '1', '-b', '16', mono]);
    return mono;
  });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const out = join(dir, `hour-part-${String(i).padStart(2, '0')}.wav`);
    if (!existsSync(out)) {
      const speed = (0.85 + (0.3 * ((i * 7) % 24)) / 23).toFixed(3);
      const tmp = `${out}.tmp.wav`;
      // The fixtures one after another, repeated past 5 minutes, at this file's speed, then cut.
      const once = Array.from({ length: 4 }, () => parts).flat();
      execFileSync('sox', [
        ...once,
        '-r',
        '22050',
        '-c',
        '1',
        '-b',
        '16',
        tmp,
        'speed',
        speed,
        'trim',
        '0',
        `${FILE_MINUTES * 60}`,
      ]);
      execFileSync('mv', [tmp, out]);
    }
    files.push(out);
  }
  return files;
}

/** Runs the CLI, sampling its peak resident memory (VmHWM) until it exits. */
async function run(
  cli: string[],
): Promise<{ peakMb: number; seconds: number; result: Record<string, unknown>; stderr: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vae-studio.js'), ...cli], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+)/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // gone
    }
  }, 200);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  if (code !== 0) throw new Error(`vae-studio ${cli.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return {
    peakMb: peakKb / 1024,
    seconds: (performance.now() - started) / 1000,
    result: JSON.parse(last),
    stderr,
  };
}

const work = mkdtempSync(join(tmpdir(), 'vae-bench-corpus-'));
// Kept beside the hours: a rerun of the bench trains from the cache (say --cold to start from none).
const cache = join(FIXTURE_DIR, 'hours', 'cache');
if (args.includes('--cold')) rmSync(cache, { recursive: true, force: true });
const rows: Record<string, unknown>[] = [];
try {
  for (const [i, hours] of HOURS.entries()) {
    const files = hourFiles(Math.round((hours * 60) / FILE_MINUTES));
    const out = join(work, `model-${hours}h`);
    const r = await run(['train', ...files, '--out', out, '--epochs', '1', '--cache', cache, '--json']);
    const analysed = /analysing/.test(r.stderr);
    const row = {
      hours,
      files: files.length,
      peakMb: Math.round(r.peakMb),
      seconds: Math.round(r.seconds),
      framesPerSecond: r.result.framesPerSecond,
      activeUnits: r.result.activeUnits,
      cacheWasWarm: i > 0 ? 'partly (the first hours were cached)' : 'no',
      analysed,
    };
    rows.push(row);
    log(
      `${hours} h (${files.length} files): peak ${row.peakMb} MB, ${row.seconds} s, ${row.framesPerSecond} frames/s`,
    );
  }
  // The first hour again: every frame from the cache.
  const files = hourFiles(Math.round((HOURS[0] * 60) / FILE_MINUTES));
  const again = await run([
    'train',
    ...files,
    '--out',
    join(work, 'again'),
    '--epochs',
    '1',
    '--cache',
    cache,
    '--json',
  ]);
  rows.push({
    hours: HOURS[0],
    again: true,
    peakMb: Math.round(again.peakMb),
    seconds: Math.round(again.seconds),
  });
  log(
    `${HOURS[0]} h again, from the cache: peak ${Math.round(again.peakMb)} MB, ${Math.round(again.seconds)} s`,
  );
  if (rows.length >= 2) {
    const ratio = (rows[1].peakMb as number) / (rows[0].peakMb as number);
    log(`peak ${HOURS[1]} h / ${HOURS[0]} h: ${ratio.toFixed(3)}`);
  }
  if (json) process.stdout.write(`${JSON.stringify({ bench: 'corpus', runs: rows })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
