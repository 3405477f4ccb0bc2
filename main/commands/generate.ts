/** The commands that get sound out of a trained model: resynth, sample, interpolate, export. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadAudioFile } from '../../ml/audio/load.js';
import type { BitDepth } from '../../ml/audio/wav.js';
import { initBackend } from '../../ml/backend.js';
import { createRealFft } from '../../ml/synth/fft.js';
import type { PhaseMethod } from '../../ml/synth/reconstruct.js';
import { Stft } from '../../ml/synth/stft.js';
import { framesFor, resynthesize, trajectoryToAudio } from '../../ml/vae/generate.js';
import { materialLoudness, type Motion, Sampler, type Source } from '../../ml/vae/sampler.js';
import { VaeModel, blend, stretchTrajectory } from '../../ml/vae/vae-model.js';
import { UsageError } from '../errors.js';
import { type ExportRequest, runExport } from '../engine/batch-export.js';
import { OutputFolder, OutputGuard, renderWav, writeOutputFile } from '../outputs.js';
import { Progress } from '../progress.js';

/** A model, its STFT and a progress line: what every generating command needs, released by close(). */
async function open(modelDir: string) {
  const backend = await initBackend();
  const model = await VaeModel.load(resolve(modelDir));
  const fft = await createRealFft(model.studio.frames.windowSize);
  const stft = new Stft(fft, model.studio.frames);
  return {
    backend,
    model,
    stft,
    settings: model.studio.frames,
    close: () => {
      model.dispose();
      fft.dispose();
    },
  };
}

const round = (x: number, d = 4) => Number(x.toFixed(d));

/** Runs `work` writing into a staged folder, then moves the files into place; on failure, none. */
async function finish<T>(folder: OutputFolder, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    await folder.commit();
    return result;
  } catch (err) {
    await folder.abandon();
    throw err;
  }
}

function printJson(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface ResynthOptions {
  out: string;
  phase: PhaseMethod;
  iterations: number;
  seed: number;
  json?: boolean;
}

export async function resynth(modelDir: string, input: string, options: ResynthOptions): Promise<void> {
  const inPath = resolve(input);
  // Never over the input or a file of the model (by inode, through links), nor a FIFO or a device.
  const guard = new OutputGuard({ inputs: [input], model: modelDir });
  guard.check(resolve(options.out), options.out);
  const ctx = await open(modelDir);
  try {
    const audio = await loadAudioFile(inPath, {
      sampleRate: ctx.settings.sampleRate,
      minSamples: ctx.settings.windowSize,
    });
    const progress = new Progress(process.stderr, Boolean(options.json));
    audio.warnings.forEach((w) => progress.warn(`${input}: ${w}`));
    const result = resynthesize(ctx.model, audio.samples, ctx.stft, {
      method: options.phase,
      iterations: options.iterations,
      seed: options.seed,
    });
    const { bytes } = renderWav(result.audio, ctx.settings.sampleRate, { bitDepth: '16', normalize: 'none' });
    const outPath = await writeOutputFile(options.out, bytes, guard);
    const report = {
      input: inPath,
      output: outPath,
      phase: options.phase,
      frames: result.frames,
      durationSeconds: round(audio.durationSeconds, 3),
      silent: result.silent,
      backend: ctx.backend.name,
    };
    if (options.json) printJson(report);
    else
      process.stdout.write(
        `${outPath}: ${report.durationSeconds} s resynthesized through ${modelDir} (${options.phase} phase)\n`,
      );
  } finally {
    ctx.close();
  }
}

export interface SampleOptions {
  count: number;
  seconds: number;
  out: string;
  temperature: number;
  motion: Motion;
  from: Source;
  normalize: 'material' | 'peak' | 'none';
  seed: number;
  phase: PhaseMethod;
  json?: boolean;
}

export async function sample(modelDir: string, options: SampleOptions): Promise<void> {
  const ctx = await open(modelDir);
  try {
    const names = Array.from(
      { length: options.count },
      (_, i) => `sample-${String(i + 1).padStart(3, '0')}.wav`,
    );
    const folder = await OutputFolder.open(options.out, {
      force: false,
      requireEmpty: false,
      guard: new OutputGuard({ model: modelDir }),
      staged: true,
    });
    folder.checkFree(names);
    const progress = new Progress(process.stderr, Boolean(options.json));
    const files = await finish(folder, async () => {
      const frames = framesFor(options.seconds, ctx.settings);
      const sampler = new Sampler(ctx.model);
      const written = [];
      for (let i = 0; i < options.count; i++) {
        progress.update('sampling', i, options.count);
        const seed = options.seed + i;
        const { trajectory, point } = sampler.random(frames, {
          temperature: options.temperature,
          motion: options.motion,
          from: options.from,
          seed,
        });
        const audio = trajectoryToAudio(ctx.model, trajectory, ctx.stft, { method: options.phase, seed });
        const { bytes } = renderWav(audio, ctx.settings.sampleRate, {
          bitDepth: '16',
          normalize: options.normalize,
          materialDb: materialLoudness(ctx.model),
          fade: 0.01,
        });
        written.push({
          file: await folder.write(names[i], bytes),
          seed,
          start: Array.from(point, (v) => round(v)),
        });
      }
      progress.update('sampling', options.count, options.count);
      return written;
    });
    if (options.json)
      printJson({
        out: folder.path,
        files,
        seconds: options.seconds,
        temperature: options.temperature,
        motion: options.motion,
        from: options.from,
        normalize: options.normalize,
      });
    else process.stdout.write(`${folder.path}: ${files.length} samples of ${options.seconds} s\n`);
  } finally {
    ctx.close();
  }
}

export interface InterpolateOptions {
  steps: number;
  out: string;
  phase: PhaseMethod;
  seed: number;
  json?: boolean;
}

export async function interpolate(
  modelDir: string,
  a: string,
  b: string,
  options: InterpolateOptions,
): Promise<void> {
  const ctx = await open(modelDir);
  try {
    const names = Array.from(
      { length: options.steps },
      (_, i) => `step-${String(i + 1).padStart(2, '0')}.wav`,
    );
    const folder = await OutputFolder.open(options.out, {
      force: false,
      requireEmpty: false,
      guard: new OutputGuard({ inputs: [a, b], model: modelDir }),
      staged: true,
    });
    folder.checkFree(names);
    const load = async (path: string) => {
      const audio = await loadAudioFile(resolve(path), {
        sampleRate: ctx.settings.sampleRate,
        minSamples: ctx.settings.windowSize,
      });
      return resynthesize(ctx.model, audio.samples, ctx.stft, { method: 'source' }).mu;
    };
    const [muA, muB] = [await load(a), await load(b)];
    const d = ctx.model.latent;
    const length = Math.max(muA.length, muB.length) / d;
    const trajA = stretchTrajectory(muA, d, length);
    const trajB = stretchTrajectory(muB, d, length);
    const files = await finish(folder, async () => {
      const written = [];
      for (let s = 0; s < options.steps; s++) {
        const t = options.steps === 1 ? 0 : s / (options.steps - 1);
        const audio = trajectoryToAudio(ctx.model, blend(trajA, trajB, t), ctx.stft, {
          method: options.phase,
          seed: options.seed,
        });
        const { bytes } = renderWav(audio, ctx.settings.sampleRate, {
          bitDepth: '16',
          normalize: 'peak',
          fade: 0.01,
        });
        written.push({ file: await folder.write(names[s], bytes), t: round(t) });
      }
      return written;
    });
    if (options.json) printJson({ out: folder.path, a: resolve(a), b: resolve(b), files });
    else process.stdout.write(`${folder.path}: ${files.length} steps from ${a} to ${b}\n`);
  } finally {
    ctx.close();
  }
}

export interface ExportOptions {
  random?: number;
  grid?: number;
  path?: string;
  resynth?: string[];
  out: string;
  seconds: number;
  phase?: PhaseMethod;
  seed: number;
  bitDepth: BitDepth;
  rate?: number;
  normalize: 'material' | 'peak' | 'none';
  motion: Motion;
  temperature: number;
  from: Source;
  force?: boolean;
  json?: boolean;
}

/** Parses a --path file: a JSON array of points, each a latent vector, {"z": [...]} or {"map": [p1, p2]}. */
async function readPath(file: string, model: VaeModel): Promise<Float32Array[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON'}`,
    );
  }
  const points = Array.isArray(data) ? data : (data as { points?: unknown })?.points;
  if (!Array.isArray(points) || points.length < 1)
    throw new UsageError(`${file}: expected a JSON array of points`);
  return points.map((p, i) => {
    const z = Array.isArray(p) ? p : (p as { z?: unknown })?.z;
    const map = (p as { map?: unknown })?.map;
    if (Array.isArray(z) && z.length === model.latent && z.every(Number.isFinite))
      return Float32Array.from(z as number[]);
    if (Array.isArray(map) && map.length === 2 && map.every(Number.isFinite))
      return model.mapPointToLatent(map[0] as number, map[1] as number);
    throw new UsageError(
      `${file}: point ${i + 1} is neither ${model.latent} numbers, {"z": [...]}, nor {"map": [p1, p2]}`,
    );
  });
}

export async function exportSounds(modelDir: string, options: ExportOptions): Promise<void> {
  const modes = [
    options.random !== undefined,
    options.grid !== undefined,
    options.path !== undefined,
    options.resynth !== undefined,
  ];
  if (modes.filter(Boolean).length !== 1)
    throw new UsageError('export needs exactly one of --random N, --grid N, --path FILE, --resynth INPUT...');
  const ctx = await open(modelDir);
  try {
    const { model, stft } = ctx;
    const folder = await OutputFolder.open(options.out, {
      force: Boolean(options.force),
      requireEmpty: true,
      flag: '--force',
      guard: new OutputGuard({
        inputs: [...(options.resynth ?? []), ...(options.path ? [options.path] : [])],
        model: modelDir,
      }),
      // Written beside and renamed into place at the end (runExport commits it), so a failure
      // part-way leaves nothing that blocks a rerun.
      staged: true,
    });
    const request: ExportRequest = {
      ...(options.random !== undefined
        ? { kind: 'random' as const, count: options.random }
        : options.grid !== undefined
          ? { kind: 'grid' as const, n: options.grid }
          : options.path !== undefined
            ? { kind: 'path' as const, points: await readPath(options.path, model) }
            : { kind: 'resynth' as const, inputs: options.resynth!.map((i) => resolve(i)) }),
      seconds: options.seconds,
      phase: options.phase,
      seed: options.seed,
      bitDepth: options.bitDepth,
      rate: options.rate,
      normalize: options.normalize,
      motion: options.motion,
      temperature: options.temperature,
      from: options.from,
    };
    const progress = new Progress(process.stderr, Boolean(options.json));
    const { files: entries, method } = await runExport(model, resolve(modelDir), stft, request, folder, {
      onProgress: (done, total) => progress.update('exporting', done, total),
    });
    if (options.json)
      printJson({
        out: folder.path,
        files: entries.length,
        manifest: folder.file('manifest.json'),
        phase: method,
      });
    else process.stdout.write(`${folder.path}: ${entries.length} files and manifest.json, manifest.csv\n`);
  } finally {
    ctx.close();
  }
}
