import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { GENERATED_SOUND, GRID_SPAN } from '../common/api.js';
import { AudioFileError } from '../ml/audio/errors.js';
import { loadAudioFile } from '../ml/audio/load.js';
import { decodeWav, encodeWav } from '../ml/audio/wav.js';
import { BACKEND_NAMES, BackendChoiceError, initBackend } from '../ml/backend.js';
import { DEFAULT_FRAME_SETTINGS } from '../ml/features/settings.js';
import { createRealFft } from '../ml/synth/fft.js';
import { logSpectralDistance, spectralConvergence } from '../ml/synth/metrics.js';
import { PHASE_METHODS, type PhaseMethod } from '../ml/synth/reconstruct.js';
import { roundTrip } from '../ml/synth/roundtrip.js';
import { Stft, magnitudes } from '../ml/synth/stft.js';
import { ModelFolderError } from '../ml/vae/folder.js';
import { MAX_LATENT, MIN_LATENT, PRESET_NAMES } from '../ml/vae/model.js';
import { DEFAULT_TRAIN_CONFIG } from '../ml/vae/trainer.js';
import { threadsFor } from '../ml/vae/data-parallel.js';
import { THREADS_ENV, threadBudget, threadsFromEnv } from '../ml/threads.js';
import { exportSounds, interpolate, resynth, sample } from './commands/generate.js';
import { stream } from './commands/stream.js';
import { type TrainOptions, train } from './commands/train.js';
import {
  type ExportCorpusOptions,
  type ImportModelOptions,
  exportCorpus,
  importModel,
} from './commands/corpus.js';
import { FileSystemError, UsageError, systemErrorParts } from './errors.js';
import { OutputGuard, writeOutputFile } from './outputs.js';
import { packageInfo as pkg, packageRoot } from './package-info.js';
import { startServer } from './serve/server.js';
import { Progress, endProgressLine } from './progress.js';

/** A commander parser for a number in [min, max], an integer when `integral`. */
function numberIn(min: number, max: number, integral: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!(integral ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected ${integral ? 'an integer' : 'a number'} from ${min} to ${max}, got '${value}'`,
      );
    }
    return n;
  };
}
const integer = (min: number, max: number) => numberIn(min, max, true);
const number = (min: number, max: number) => numberIn(min, max, false);

/** Set by a command that ends with a status other than 0 without failing (a cancelled run). */
let exitCode = 0;

function printJson(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const round = (x: number | null, digits = 2): number | null =>
  x === null ? null : Number(x.toFixed(digits));

async function info(options: { json?: boolean }): Promise<void> {
  const fft = await createRealFft(DEFAULT_FRAME_SETTINGS.windowSize);
  // What training would run on (inference always runs on the CPU order).
  const backend = await initBackend(undefined, 'training');
  const result = {
    backend: {
      name: backend.name,
      host: backend.host ?? 'node',
      adapter: backend.adapter ?? null,
      browser: backend.browser ?? null,
      local: backend.local ?? null,
      gpu: backend.gpu,
      threads: backend.threads ?? null,
      simd: backend.simd ?? null,
      speedups: backend.speedups,
      unavailable: backend.tried.filter((t) => !t.available).map((t) => ({ name: t.name, reason: t.reason })),
    },
    version: pkg.version,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    // The thread budget, and how many threads a training with the default batch splits it over here.
    threads: {
      budget: threadBudget(),
      from: threadsFromEnv() !== null ? THREADS_ENV : 'cores',
      training: threadsFor(threadBudget(), DEFAULT_TRAIN_CONFIG.batch, backend.name),
    },
    fft: fft.implementation,
    frames: DEFAULT_FRAME_SETTINGS,
    phaseMethods: PHASE_METHODS,
  };
  fft.dispose();
  if (options.json) return printJson(result);
  const s = result.frames;
  process.stdout.write(
    [
      `vae-studio ${result.version} (Node ${result.node}, ${result.platform})`,
      `cpu:           ${result.cpu} × ${result.cores}`,
      `backend:       ${result.backend.name}${result.backend.gpu ? ' (GPU)' : ' (no GPU)'}${result.backend.threads ? `, ${result.backend.threads} thread${result.backend.threads > 1 ? 's' : ''}` : ''}${result.backend.host === 'chromium' ? `, in ${result.backend.browser?.path ?? 'a browser'}` : ''}`,
      ...result.backend.unavailable.map((u) => `               ${u.name} unavailable: ${u.reason}`),
      `threads:       ${result.threads.budget} (${result.threads.from === 'cores' ? `every core; ${THREADS_ENV} caps it` : `${THREADS_ENV}`}); training splits each batch over ${result.threads.training} thread${result.threads.training > 1 ? 's' : ''}`,
      `fft:           ${result.fft}`,
      `frames:        ${s.bins} bins, ${s.windowSize}-sample Hann window, hop ${s.hop}, ${s.sampleRate} Hz, floor ${s.floorDb} dB`,
      `phase methods: ${result.phaseMethods.join(', ')}`,
      '',
    ].join('\n'),
  );
}

interface RoundTripOptions {
  out: string;
  phase: PhaseMethod;
  iterations: number;
  seed: number;
  json?: boolean;
}

async function roundtrip(input: string, options: RoundTripOptions): Promise<void> {
  const progress = new Progress();
  const settings = DEFAULT_FRAME_SETTINGS;
  const inPath = resolve(input);
  // Never over the input (by inode, through links), nor a FIFO or a device.
  const guard = new OutputGuard({ inputs: [input] });
  guard.check(resolve(options.out), options.out);

  const audio = await loadAudioFile(inPath, {
    sampleRate: settings.sampleRate,
    minSamples: settings.windowSize,
  });
  audio.warnings.forEach((w) => progress.warn(`${input}: ${w}`));
  const fft = await createRealFft(settings.windowSize);
  try {
    const stft = new Stft(fft, settings);
    progress.stage(`${options.phase}: ${audio.durationSeconds.toFixed(2)} s of audio`);
    const result = roundTrip(audio.samples, settings, stft, {
      method: options.phase,
      iterations: options.iterations,
      seed: options.seed,
      onProgress: (done, total) => progress.update('griffin-lim', done, total),
    });
    const bytes = encodeWav(result.audio, settings.sampleRate, '16');
    // An explicit --out names the file to write, so replacing it (and making its folder) is what was asked for.
    const outPath = await writeOutputFile(options.out, bytes, guard);

    // Measure what was written (16-bit), not the float signal before it.
    const written = decodeWav(bytes, outPath).channels[0];
    const target = magnitudes(stft.forward(audio.samples));
    const estimate = magnitudes(stft.forward(written));
    const elapsed = performance.now() / 1000;
    const report = {
      input: inPath,
      output: outPath,
      phase: options.phase,
      iterations: options.phase === 'griffinlim' || options.phase === 'pghi-gl' ? options.iterations : null,
      sampleRate: settings.sampleRate,
      sourceRate: audio.sourceRate,
      durationSeconds: round(audio.durationSeconds, 3),
      frames: result.frames,
      spectralConvergenceDb: audio.silent ? null : round(spectralConvergence(target, estimate)),
      logSpectralDistanceDb: audio.silent ? null : round(logSpectralDistance(target, estimate)),
      elapsedSeconds: round(elapsed, 3),
      realtimeFactor: round(audio.durationSeconds / elapsed, 1),
      fft: fft.implementation,
      warnings: audio.warnings,
    };
    if (options.json) return printJson(report);
    const sc = report.spectralConvergenceDb;
    process.stdout.write(
      `${outPath}: ${report.durationSeconds} s, spectral convergence ${sc === null ? 'n/a (silent)' : `${sc} dB`}, ` +
        `log-spectral distance ${report.logSpectralDistanceDb ?? 'n/a'} dB, ${report.realtimeFactor}× real time\n`,
    );
  } finally {
    fft.dispose();
  }
}

export function buildProgram(): Command {
  const program = new Command('vae-studio')
    .description('Make new sounds with variational autoencoders (headless studio).')
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('info')
    .description('Show the version, machine and signal settings.')
    .option('--json', 'print one JSON object')
    .action(info);

  program
    .command('roundtrip')
    .description('Audio → 256-dim frames → audio with no model, and how close it comes back.')
    .argument('<in>', 'input WAV file')
    .requiredOption('--out <file>', 'output WAV file (replaced if it exists)')
    .addOption(
      new Option('--phase <method>', 'phase reconstruction').choices(PHASE_METHODS).default('pghi-gl'),
    )
    .option('--iterations <n>', 'Griffin-Lim iterations', integer(0, 10000), 32)
    .option('--seed <n>', 'seed of random starting phases', integer(0, 2 ** 31 - 1), 0)
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(roundtrip);

  program
    .command('train')
    .description('Train a VAE on WAV files (or folders of them) in a worker thread.')
    .argument('<inputs...>', 'WAV files or folders')
    .requiredOption('--out <dir>', 'model folder to create (refused if it exists, unless --resume)')
    .option('--resume', 'continue the run whose checkpoint is in --out')
    .addOption(
      new Option('--preset <name>', 'network size')
        .choices(PRESET_NAMES)
        .default(DEFAULT_TRAIN_CONFIG.preset),
    )
    .option('--latent <n>', 'latent dimensions', integer(MIN_LATENT, MAX_LATENT), DEFAULT_TRAIN_CONFIG.latent)
    .option('--epochs <n>', `epochs (default ${DEFAULT_TRAIN_CONFIG.epochs})`, integer(1, 100000))
    .option('--batch <n>', 'frames per batch', integer(1, 65536), DEFAULT_TRAIN_CONFIG.batch)
    .option('--beta <b>', 'weight of the KL term', number(0, 1000), DEFAULT_TRAIN_CONFIG.beta)
    .option('--warmup <epochs>', 'KL warm-up epochs', integer(0, 100000), DEFAULT_TRAIN_CONFIG.warmupEpochs)
    .option(
      '--free-bits <nats>',
      'minimum KL per latent dimension',
      number(0, 100),
      DEFAULT_TRAIN_CONFIG.freeBits,
    )
    .addOption(
      new Option('--loss <kind>', 'reconstruction loss')
        .choices(['bce', 'mse', 'mixed'])
        .default(DEFAULT_TRAIN_CONFIG.loss),
    )
    .option('--seed <n>', 'random seed', integer(0, 2 ** 31 - 1), DEFAULT_TRAIN_CONFIG.seed)
    .option(
      '--cache <dir>',
      "frame cache folder, reused by later runs (default: the project's cache/frames, else a temporary one)",
    )
    .addOption(
      new Option(
        '--backend <name>',
        'backend to train on (default: VAE_STUDIO_BACKEND, else automatic)',
      ).choices(BACKEND_NAMES),
    )
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(async (inputs: string[], options: TrainOptions) => {
      exitCode = await train(inputs, options);
    });

  program
    .command('export-corpus')
    .description('Write a corpus for PyTorch: frames.npy, corpus.json and a train.py for torchrun (DDP).')
    .argument('<inputs...>', 'audio files or folders')
    .requiredOption('--out <dir>', 'folder to create (new or empty)')
    .addOption(
      new Option('--preset <name>', 'network size')
        .choices(PRESET_NAMES)
        .default(DEFAULT_TRAIN_CONFIG.preset),
    )
    .option('--latent <n>', 'latent dimensions', integer(MIN_LATENT, MAX_LATENT), DEFAULT_TRAIN_CONFIG.latent)
    .option(
      '--epochs <n>',
      `train.py's default epochs (default ${DEFAULT_TRAIN_CONFIG.epochs})`,
      integer(1, 100000),
    )
    .option(
      '--batch <n>',
      'frames per step over all processes',
      integer(1, 65536),
      DEFAULT_TRAIN_CONFIG.batch,
    )
    .option('--beta <b>', 'weight of the KL term', number(0, 1000), DEFAULT_TRAIN_CONFIG.beta)
    .addOption(
      new Option('--loss <kind>', 'reconstruction loss')
        .choices(['bce', 'mse', 'mixed'])
        .default(DEFAULT_TRAIN_CONFIG.loss),
    )
    .option('--seed <n>', 'random seed', integer(0, 2 ** 31 - 1), DEFAULT_TRAIN_CONFIG.seed)
    .option('--cache <dir>', 'frame cache folder, reused by later runs (default: a temporary one)')
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(async (inputs: string[], options: ExportCorpusOptions) => {
      exitCode = await exportCorpus(inputs, options);
    });

  program
    .command('import-model')
    .description("Make a model folder from the weights an exported corpus's train.py wrote.")
    .argument('<dir>', 'the exported corpus folder, trained')
    .requiredOption('--out <dir>', 'model folder to create (new or empty)')
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(async (dir: string, options: ImportModelOptions) => {
      exitCode = await importModel(dir, options);
    });

  const phaseOption = (fallback?: PhaseMethod) => {
    const option = new Option('--phase <method>', 'phase reconstruction').choices(PHASE_METHODS);
    return fallback ? option.default(fallback) : option;
  };

  program
    .command('resynth')
    .description('Resynthesize a recording through a model.')
    .argument('<model>', 'model folder')
    .argument('<in>', 'input WAV file')
    .requiredOption('--out <file>', 'output WAV file (replaced if it exists)')
    .addOption(phaseOption('source'))
    .option('--iterations <n>', 'Griffin-Lim iterations', integer(0, 10000), 32)
    .option('--seed <n>', 'seed of random starting phases', integer(0, 2 ** 31 - 1), 0)
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(resynth);

  program
    .command('stream')
    .description(
      "The live path on a file: hop by hop through the model with the input's own phase, in constant memory.",
    )
    .argument('<model>', 'model folder')
    .argument('<in>', 'input WAV file (any length)')
    .requiredOption('--out <file>', 'output WAV file (replaced if it exists)')
    .option('--mix <m>', 'dry/wet: 0 the input, 1 the model', number(0, 1), 1)
    .option('--gain <g>', 'input gain (linear)', number(0, 1000), 1)
    .option(
      '--offset <dir:amount>',
      'move every frame in latent space: axis1:A, axis2:A (standard deviations) or zN:A',
    )
    .addOption(
      new Option(
        '--level <level>',
        "what the frames are scaled against: the file's peak, or the loudest so far (as live)",
      )
        .choices(['file', 'running'])
        .default('file'),
    )
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(stream);

  program
    .command('sample')
    .description(
      "Random sounds: points drawn from where the model's material lies (or the prior), moving as the material does.",
    )
    .argument('<model>', 'model folder')
    .requiredOption('--count <n>', 'number of sounds', integer(1, 10000))
    .requiredOption('--seconds <s>', 'length of each', number(0.05, 600))
    .requiredOption('--out <dir>', 'output folder (existing files are never replaced)')
    .addOption(temperatureOption())
    .addOption(motionOption())
    .addOption(fromOption())
    .option('--seed <n>', 'random seed', integer(0, 2 ** 31 - 1), 0)
    .addOption(normalizeOption())
    .addOption(phaseOption(GENERATED_SOUND.phase))
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(sample);

  program
    .command('interpolate')
    .description('Blend two sounds in latent space, in steps from A to B.')
    .argument('<model>', 'model folder')
    .argument('<a>', 'first WAV file')
    .argument('<b>', 'second WAV file')
    .requiredOption('--steps <n>', 'number of sounds from A (first) to B (last)', integer(1, 1000))
    .requiredOption('--out <dir>', 'output folder (existing files are never replaced)')
    .addOption(phaseOption('pghi-gl'))
    .option('--seed <n>', 'seed of random starting phases', integer(0, 2 ** 31 - 1), 0)
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(interpolate);

  program
    .command('export')
    .description('Batch-export WAVs with manifest.json and manifest.csv.')
    .argument('<model>', 'model folder')
    .option('--random <n>', 'N random sounds', integer(1, 10000))
    .option('--grid <n>', `an N×N grid over ±${GRID_SPAN} standard deviations of the map`, integer(1, 64))
    .option('--path <file>', 'one sound through the latent points of a JSON file')
    .option('--resynth <inputs...>', 'resynthesis of these WAV files')
    .requiredOption('--out <dir>', 'output folder: new or empty, unless --force')
    .option('--seconds <s>', 'length of generated sounds (per point for --path)', number(0.05, 600), 2)
    .addOption(phaseOption())
    .option('--seed <n>', 'random seed', integer(0, 2 ** 31 - 1), 0)
    .addOption(new Option('--bit-depth <depth>', 'sample format').choices(['16', '24', '32f']).default('16'))
    .option('--rate <hz>', 'output sample rate (the model rate by default)', integer(1000, 768000))
    .addOption(normalizeOption())
    .addOption(motionOption())
    .addOption(temperatureOption())
    .addOption(fromOption())
    .option('--force', 'write into a non-empty folder, replacing files of the same names')
    .option('--json', 'print one JSON object as the last line of stdout')
    .action(exportSounds);

  program
    .command('serve')
    .description('The studio in a browser: the built UI over HTTP and the engine over a WebSocket.')
    .option(
      '--host <host>',
      'address to listen on (anything but loopback is reachable from the network)',
      '127.0.0.1',
    )
    .option('--port <n>', 'port (0: any free one)', integer(0, 65535), 0)
    .option('--project <dir>', 'project folder to open (default: the demo project)')
    .option(
      '--osc <port>',
      'also listen for OSC control on this UDP port (0: any free one)',
      integer(0, 65535),
    )
    .option('--osc-host <host>', 'address the OSC server listens on', '127.0.0.1')
    .action(serve);

  return program;
}

/** --normalize: the material's loudness by default. */
function normalizeOption(): Option {
  return new Option(
    '--normalize <how>',
    "level: the training material's loudness (material), the peak at -1 dBFS (peak), or as made (none)",
  )
    .choices(['material', 'peak', 'none'])
    .default('material');
}

/** --motion: material (the default), hold, or a number of fresh random points a second (0 holds). */
function motionOption(): Option {
  return new Option(
    '--motion <m>',
    'how sounds move: like the material (material), a held point (hold), or N new random points a second',
  )
    .default('material')
    .argParser((value: string) => {
      if (value === 'material' || value === 'hold') return value;
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100)
        throw new InvalidArgumentError('material, hold, or a number from 0 to 100');
      return n === 0 ? 'hold' : n;
    });
}

function temperatureOption(): Option {
  return new Option('--temperature <t>', 'spread of the random draws (1: as the material spreads)')
    .default(GENERATED_SOUND.temperature)
    .argParser(number(0, 10));
}

function fromOption(): Option {
  return new Option(
    '--from <where>',
    'draw random points where the material lies (posterior) or from the N(0, I) prior (prior)',
  )
    .choices(['posterior', 'prior'])
    .default('posterior');
}

async function serve(options: {
  host: string;
  port: number;
  project?: string;
  osc?: number;
  oscHost: string;
}): Promise<void> {
  const server = await startServer({
    host: options.host,
    port: options.port,
    osc: options.osc === undefined ? undefined : { port: options.osc, host: options.oscHost },
    project: options.project ? resolve(options.project) : undefined,
    staticDir: join(packageRoot(), 'dist', 'renderer'),
  });
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    process.stderr.write(
      `warning: listening on ${options.host}: reachable from the network, guarded by the token alone\n`,
    );
  }
  process.stdout.write(`VAE Studio: ${server.url}\n`);
  if (server.osc) {
    const { host, port } = server.osc;
    process.stdout.write(`OSC: udp://${host.includes(':') ? `[${host}]` : host}:${port}\n`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(host))
      process.stderr.write(`warning: OSC listens on ${host}: anyone on the network can steer the studio\n`);
  }
  // Runs until Ctrl-C or SIGTERM; then closes connections and the engine cleanly.
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Runs the CLI; resolves to the exit status (0 done, 2 bad input or arguments, 1 anything else). */
export async function main(argv: string[]): Promise<number> {
  try {
    exitCode = 0;
    await buildProgram().parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    endProgressLine();
    if (err instanceof CommanderError) {
      // Commander has already printed its message; help and --version end with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (
      err instanceof AudioFileError ||
      err instanceof UsageError ||
      err instanceof ModelFolderError ||
      err instanceof BackendChoiceError
    ) {
      process.stderr.write(`vae-studio: ${err.message}\n`);
      return 2;
    }
    if (err instanceof FileSystemError) {
      process.stderr.write(`vae-studio: ${err.message}\n`);
      return 1;
    }
    const system = systemErrorParts(err);
    if (system) {
      // A file system failure (permissions, a full disk): the reason and the path, not a stack trace.
      process.stderr.write(`vae-studio: ${system.path ? `${system.path}: ` : ''}${system.reason}\n`);
      return 1;
    }
    process.stderr.write(`vae-studio: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
