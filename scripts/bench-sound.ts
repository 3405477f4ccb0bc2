/**
 * `npm run bench` (third part): how good the CLI's generated sounds are, by issue 9's metric
 * (ml/eval/generation.ts), on the recordings the tests make (test/fixtures.ts: espeak-ng speech,
 * fluidsynth instruments).
 *
 * Trains the CLI's defaults on those recordings (`vae-studio train FILES --out MODEL --json`), makes
 * random sounds (`sample MODEL --count 8 --seconds 3 --seed S` for S = 1, 11, 21, 31) and grid sounds (`export MODEL --grid 3
 * --seconds 3`), all through the CLI as a user would, and measures each set against the training files
 * read at the model's rate. It passes no option the user would not, so it measures whatever the
 * current defaults give; the issue's "today" figures and its targets are printed beside ours.
 *
 * Usage: node dist/scripts/bench-sound.js [--json] [--quick] [--epochs N] [--model DIR] [--keep DIR]
 *          [--train-args "..."] [--sample-args "..."] [--export-args "..."]
 *   --json              one JSON object on the last line of stdout (the CLI's progress still goes to
 *                       stderr)
 *   --quick             3 epochs
 *   --epochs N          N epochs (default: the CLI's)
 *   --model DIR         measure this trained model (trained on the fixtures), no training
 *   --keep DIR          train into DIR (must not exist) instead of a new temporary folder; the model
 *                       folder is kept either way and its path printed, for --model next time
 *   --train-args, --sample-args, --export-args "..."
 *                       more options for that command, split at spaces
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAudioFile } from '../ml/audio/load.js';
import { type GenerationMetrics, METRIC, generationMetrics } from '../ml/eval/generation.js';
import { packageInfo, packageRoot } from '../main/package-info.js';
import { allFixtures } from '../test/fixtures.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
function option(name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
}
const split = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);
const epochs = option('--epochs') ?? (quick ? '3' : undefined);
const reuse = option('--model');
const keep = option('--keep');
const extra = {
  train: split(option('--train-args')),
  sample: split(option('--sample-args')),
  export: split(option('--export-args')),
};

const log = (line = '') => {
  if (!json) process.stdout.write(`${line}\n`);
};
const CLI = join(packageRoot(), 'bin', 'vae-studio.js');

/** Runs the CLI with --json and returns its last stdout line as JSON; its progress goes to stderr. */
function cli(argv: string[]): { result: Record<string, unknown>; seconds: number; command: string } {
  const command = ['vae-studio', ...argv].join(' ');
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [CLI, ...argv, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`${command} failed (exit ${run.status ?? run.signal})`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return {
    result: JSON.parse(last) as Record<string, unknown>,
    seconds: (performance.now() - t0) / 1000,
    command,
  };
}

async function readSet(files: string[], sampleRate: number): Promise<Float32Array[]> {
  return Promise.all(files.map(async (f) => (await loadAudioFile(f, { sampleRate })).samples));
}

const wavsIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.wav'))
    .sort()
    .map((f) => join(dir, f));

/** Random sounds are made with each of these seeds (the table shows the first). */
const RANDOM_SEEDS = [1, 11, 21, 31];

/** Issue 9's figures for the defaults it measured ("today") and what it asks for ("done when"). */
const ISSUE = {
  today: {
    random: { precision: 0.16, recall: 0.48, loudness: 13 },
    grid: { precision: 0.05, fluxRatio: 1 / 3 },
  },
  target: {
    random: { precision: 0.6, recall: 0.45 },
    grid: { precision: 0.6 },
    both: { loudness: 3, flux: [0.6, 1.6], novelty: 0.5 },
  },
};

async function main(): Promise<void> {
  const fixtures = allFixtures();
  const commands: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'bench-sound-'));

  let model: string;
  let trainSeconds: number | null = null;
  if (reuse) {
    model = resolve(reuse);
  } else {
    model = keep ? resolve(keep) : join(work, 'model');
    const train = cli([
      'train',
      ...fixtures.map((f) => f.path),
      '--out',
      model,
      ...(epochs ? ['--epochs', epochs] : []),
      ...extra.train,
    ]);
    commands.push(train.command);
    trainSeconds = train.seconds;
  }
  const studio = JSON.parse(readFileSync(join(model, 'studio.json'), 'utf8')) as {
    preset: string;
    frames: { sampleRate: number };
    training?: { epochs?: number; config?: Record<string, unknown>; sources?: { name: string }[] };
  };
  const sources = (studio.training?.sources ?? []).map((s) => s.name).sort();
  const names = fixtures.map((f) => f.name).sort();
  if (sources.length && sources.join() !== names.join())
    process.stderr.write(
      `bench-sound: the model was trained on ${sources.join(', ')}, not on the fixtures (${names.join(', ')}); measuring against the fixtures anyway\n`,
    );
  const rate = studio.frames.sampleRate;

  // Eight 3 s sounds are few (about 750 metric frames against the material's 1,300), so precision
  // and recall move by ±8 points from one seed to another: the table shows seed 1, and the same
  // command with seeds 11, 21 and 31 gives the spread and the mean beside it.
  const randomDirs = RANDOM_SEEDS.map((seed) => join(work, `random-seed${seed}`));
  RANDOM_SEEDS.forEach((seed, i) => {
    const sample = cli([
      'sample',
      model,
      '--count',
      '8',
      '--seconds',
      '3',
      '--out',
      randomDirs[i],
      '--seed',
      String(seed),
      ...extra.sample,
    ]);
    commands.push(sample.command);
  });
  const gridDir = join(work, 'grid');
  const grid = cli(['export', model, '--grid', '3', '--seconds', '3', '--out', gridDir, ...extra.export]);
  commands.push(grid.command);

  const material = await readSet(
    fixtures.map((f) => f.path),
    rate,
  );
  const seeds: GenerationMetrics[] = [];
  for (const dir of randomDirs)
    seeds.push(await generationMetrics(material, await readSet(wavsIn(dir), rate)));
  const random = seeds[0];
  const gridM = await generationMetrics(material, await readSet(wavsIn(gridDir), rate));
  const spread = (pick: (m: GenerationMetrics) => number) => {
    const values = seeds.map(pick);
    return {
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      min: Math.min(...values),
      max: Math.max(...values),
    };
  };
  const overSeeds = {
    seeds: RANDOM_SEEDS,
    precision: spread((m) => m.precision),
    recall: spread((m) => m.recall),
    novelty: spread((m) => m.novelty),
    loudnessDifference: spread((m) => m.loudness.difference),
    fluxRatio: spread((m) => m.flux.ratio),
  };

  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : 'n/a');
  const db = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(1)} dB` : 'n/a');
  const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const row = (cells: string[]) =>
    log(
      `  ${cells[0].padEnd(20)}${cells
        .slice(1)
        .map((c) => c.padStart(12))
        .join('')}`,
    );

  log(
    `VAE Studio ${packageInfo.version} generated-sound benchmark (issue 9's metric), Node ${process.versions.node}`,
  );
  log(
    `material: ${fixtures.length} recordings (${fixtures.map((f) => f.name).join(', ')}) at ${rate} Hz: ${random.frames.material} metric frames, loudness ${num(random.loudness.material, 1)} dBFS, flux ${num(random.flux.material)} dB`,
  );
  log(
    `model: ${model} (${studio.preset}, ${studio.training?.epochs ?? '?'} epochs${trainSeconds !== null ? `, trained in ${trainSeconds.toFixed(0)} s` : ', reused'})`,
  );
  for (const c of commands) log(`  $ ${c}`);
  log();
  row(['', 'random', 'issue today', 'grid', 'issue today', 'target']);
  row(['frames', String(random.frames.generated), '', String(gridM.frames.generated), '', '']);
  row([
    'precision',
    pct(random.precision),
    pct(ISSUE.today.random.precision),
    pct(gridM.precision),
    pct(ISSUE.today.grid.precision),
    '≥ 60 %',
  ]);
  row(['recall', pct(random.recall), pct(ISSUE.today.random.recall), pct(gridM.recall), '', '≥ 45 % (rnd)']);
  row(['novelty', num(random.novelty), '', num(gridM.novelty), '', '≥ 0.50']);
  row([
    'loudness − material',
    db(random.loudness.difference),
    db(ISSUE.today.random.loudness),
    db(gridM.loudness.difference),
    '',
    'within 3 dB',
  ]);
  row([
    'loudness',
    `${num(random.loudness.generated, 1)} dBFS`,
    '',
    `${num(gridM.loudness.generated, 1)} dBFS`,
    '',
    '',
  ]);
  row([
    'flux / material',
    `${num(random.flux.ratio)}×`,
    '',
    `${num(gridM.flux.ratio)}×`,
    `${num(ISSUE.today.grid.fluxRatio)}×`,
    '0.6–1.6×',
  ]);
  row(['flux', `${num(random.flux.generated)} dB`, '', `${num(gridM.flux.generated)} dB`, '', '']);
  log();
  const range = (s: { mean: number; min: number; max: number }, f: (x: number) => string) =>
    `${f(s.mean)} (${f(s.min)} to ${f(s.max)})`;
  log(`random sounds over seeds ${RANDOM_SEEDS.join(', ')} (mean, range):`);
  log(`  precision ${range(overSeeds.precision, pct)}, recall ${range(overSeeds.recall, pct)}`);
  log(
    `  novelty ${range(overSeeds.novelty, (x) => num(x))}, loudness − material ${range(overSeeds.loudnessDifference, db)}, flux ${range(overSeeds.fluxRatio, (x) => `${num(x)}×`)}`,
  );
  log();
  log(
    `metric: ${METRIC.windowSize}-point Hann STFT, hop ${METRIC.hop}, ${METRIC.bins} bins in dB re the material's peak (floor ${METRIC.floorDb}), every ${METRIC.stride}th frame within ${METRIC.rangeDb} dB, k = ${METRIC.k}; see ml/eval/generation.ts`,
  );
  log(`sounds kept in ${work}; model kept in ${model} (reuse with --model ${model})`);
  if (json)
    process.stdout.write(
      `${JSON.stringify({
        version: packageInfo.version,
        model: { path: model, preset: studio.preset, epochs: studio.training?.epochs ?? null, trainSeconds },
        commands,
        sounds: { random: randomDirs, grid: gridDir },
        material: {
          files: fixtures.map((f) => f.name),
          sampleRate: rate,
          frames: random.frames.material,
          loudness: random.loudness.material,
          flux: random.flux.material,
        },
        random,
        randomOverSeeds: overSeeds,
        grid: gridM,
        issue: ISSUE,
      })}\n`,
    );
}

await main();
