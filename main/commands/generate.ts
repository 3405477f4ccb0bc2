/** The commands that get sound out of a trained model: resynth, sample, interpolate, export. */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { writeFileAtomic } from '../../ml/audio/files.js';
import { loadAudioFile } from '../../ml/audio/load.js';
import type { BitDepth } from '../../ml/audio/wav.js';
import { initBackend } from '../../ml/backend.js';
import { analyze } from '../../ml/features/analyze.js';
import { createRealFft } from '../../ml/synth/fft.js';
import type { PhaseMethod } from '../../ml/synth/reconstruct.js';
import { Stft } from '../../ml/synth/stft.js';
import { framesFor, resynthesize, trajectoryToAudio } from '../../ml/vae/generate.js';
import { VaeModel, blend, stretchTrajectory } from '../../ml/vae/vae-model.js';
import { UsageError } from '../errors.js';
import { OutputFolder, type OutputFormat, renderWav, safeName } from '../outputs.js';
import { Progress } from '../progress.js';

/** A model, its STFT and a progress line: what every generating command needs, released by close(). */
async function open(modelDir: string) {
  const backend = await initBackend(backendFromEnv());
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

/** VAE_STUDIO_BACKEND, when it names a backend (ml/backend.ts reports a bad name itself). */
export function backendFromEnv() {
  const name = process.env.VAE_STUDIO_BACKEND;
  return name === 'tensorflow-gpu' || name === 'tensorflow' || name === 'wasm' || name === 'cpu'
    ? name
    : undefined;
}

const mean = (x: Float32Array) => (x.length ? x.reduce((s, v) => s + v, 0) / x.length : 0);
const round = (x: number, d = 4) => Number(x.toFixed(d));

/** Mean descriptors of a sound (meyda, per frame): what manifests list beside each file. */
function describe(audio: Float32Array, settings: Parameters<typeof analyze>[1]) {
  const d = analyze(audio, settings, { descriptors: true }).descriptors!;
  return {
    rms: round(mean(d.rms)),
    centroidHz: round(mean(d.centroidHz), 1),
    flatness: round(mean(d.flatness)),
    loudness: round(mean(d.loudness), 3),
  };
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
  const outPath = resolve(options.out);
  if (inPath === outPath)
    throw new UsageError(`${options.out}: the output would overwrite the input; choose another --out`);
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
    await mkdir(dirname(outPath), { recursive: true });
    await writeFileAtomic(outPath, bytes, { overwrite: true });
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
  motion: number;
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
    const folder = await OutputFolder.open(options.out, { force: false, requireEmpty: false });
    folder.checkFree(names);
    const progress = new Progress(process.stderr, Boolean(options.json));
    const frames = framesFor(options.seconds, ctx.settings);
    const fps = ctx.settings.sampleRate / ctx.settings.hop;
    const files = [];
    for (let i = 0; i < options.count; i++) {
      progress.update('sampling', i, options.count);
      const seed = options.seed + i;
      const z = ctx.model.sampleTrajectory(frames, {
        temperature: options.temperature,
        motion: options.motion,
        seed,
        framesPerSecond: fps,
      });
      const audio = trajectoryToAudio(ctx.model, z, ctx.stft, { method: options.phase, seed });
      const { bytes } = renderWav(audio, ctx.settings.sampleRate, {
        bitDepth: '16',
        normalize: 'peak',
        fade: 0.01,
      });
      files.push({
        file: await folder.write(names[i], bytes),
        seed,
        start: Array.from(z.subarray(0, ctx.model.latent), (v) => round(v)),
      });
    }
    progress.update('sampling', options.count, options.count);
    if (options.json)
      printJson({
        out: folder.path,
        files,
        seconds: options.seconds,
        temperature: options.temperature,
        motion: options.motion,
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
    const folder = await OutputFolder.open(options.out, { force: false, requireEmpty: false });
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
    const files = [];
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
      files.push({ file: await folder.write(names[s], bytes), t: round(t) });
    }
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
  normalize: 'peak' | 'none';
  force?: boolean;
  json?: boolean;
}

interface Planned {
  name: string;
  /** Latent vector(s) the sound is made from, or the input file it resynthesizes. */
  render: () => Promise<{
    audio: Float32Array;
    latent: number[] | null;
    map: [number, number] | null;
    source?: string;
  }>;
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
    const { model, stft, settings } = ctx;
    const folder = await OutputFolder.open(options.out, {
      force: Boolean(options.force),
      requireEmpty: true,
      flag: '--force',
    });
    const frames = framesFor(options.seconds, settings);
    const fps = settings.sampleRate / settings.hop;
    const method = options.phase ?? (options.resynth ? 'source' : 'pghi-gl');
    const hold = (z: Float32Array) => {
      const traj = new Float32Array(frames * model.latent);
      for (let f = 0; f < frames; f++) traj.set(z, f * model.latent);
      return traj;
    };
    const plan: Planned[] = [];
    if (options.random !== undefined) {
      for (let i = 0; i < options.random; i++) {
        const seed = options.seed + i;
        plan.push({
          name: `random-${String(i + 1).padStart(3, '0')}.wav`,
          render: async () => {
            const z = model.sampleTrajectory(frames, { seed, framesPerSecond: fps });
            const start = z.subarray(0, model.latent);
            return {
              audio: trajectoryToAudio(model, z, stft, { method, seed }),
              latent: Array.from(start),
              map: model.latentToMapPoint(start),
            };
          },
        });
      }
    } else if (options.grid !== undefined) {
      const n = options.grid;
      const [s1, s2] = model.studio.pca.std;
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < n; c++) {
          const p1 = n === 1 ? 0 : -2 * s1 + (4 * s1 * c) / (n - 1);
          const p2 = n === 1 ? 0 : 2 * s2 - (4 * s2 * r) / (n - 1);
          plan.push({
            name: `grid-r${String(r + 1).padStart(2, '0')}-c${String(c + 1).padStart(2, '0')}.wav`,
            render: async () => {
              const z = model.mapPointToLatent(p1, p2);
              return {
                audio: trajectoryToAudio(model, hold(z), stft, { method, seed: options.seed }),
                latent: Array.from(z),
                map: [p1, p2],
              };
            },
          });
        }
      }
    } else if (options.path !== undefined) {
      const points = await readPath(options.path, model);
      plan.push({
        name: 'path.wav',
        render: async () => {
          // Each point is reached after --seconds, gliding linearly from the one before.
          const per = frames;
          const traj = new Float32Array(Math.max(1, points.length - 1) * per * model.latent);
          if (points.length === 1) traj.set(hold(points[0]));
          for (let k = 0; k + 1 < points.length; k++) {
            for (let f = 0; f < per; f++)
              traj.set(blend(points[k], points[k + 1], f / per), (k * per + f) * model.latent);
          }
          return {
            audio: trajectoryToAudio(model, traj, stft, { method, seed: options.seed }),
            latent: Array.from(points[0]),
            map: model.latentToMapPoint(points[0]),
          };
        },
      });
    } else {
      const used = new Set<string>();
      for (const input of options.resynth!) {
        let name = `${safeName(basename(input, extname(input)))}-resynth.wav`;
        for (let k = 2; used.has(name); k++)
          name = `${safeName(basename(input, extname(input)))}-resynth-${k}.wav`;
        used.add(name);
        plan.push({
          name,
          render: async () => {
            const audio = await loadAudioFile(resolve(input), {
              sampleRate: settings.sampleRate,
              minSamples: settings.windowSize,
            });
            const r = resynthesize(model, audio.samples, stft, { method, seed: options.seed });
            return { audio: r.audio, latent: null, map: null, source: resolve(input) };
          },
        });
      }
    }
    folder.checkFree([...plan.map((p) => p.name), 'manifest.json', 'manifest.csv']);
    const progress = new Progress(process.stderr, Boolean(options.json));
    const format: OutputFormat = {
      bitDepth: options.bitDepth,
      rate: options.rate,
      normalize: options.normalize,
      fade: options.resynth ? 0 : 0.01,
    };
    const entries = [];
    for (const [i, item] of plan.entries()) {
      progress.update('exporting', i, plan.length);
      const r = await item.render();
      const { bytes, rate } = renderWav(r.audio, settings.sampleRate, format);
      await folder.write(item.name, bytes);
      entries.push({
        file: item.name,
        ...(r.source ? { source: r.source } : {}),
        latent: r.latent?.map((v) => round(v)) ?? null,
        map: r.map?.map((v) => round(v)) ?? null,
        seconds: round(r.audio.length / settings.sampleRate, 3),
        rate,
        ...describe(r.audio, settings),
      });
    }
    progress.update('exporting', plan.length, plan.length);
    const manifest = {
      model: resolve(modelDir),
      phase: method,
      bitDepth: options.bitDepth,
      normalize: options.normalize,
      files: entries,
    };
    await folder.write('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2)));
    const csv = [
      'file,p1,p2,latent,seconds,rms,centroid_hz,flatness,loudness',
      ...entries.map((e) =>
        [
          e.file,
          e.map?.[0] ?? '',
          e.map?.[1] ?? '',
          e.latent ? e.latent.join(' ') : '',
          e.seconds,
          e.rms,
          e.centroidHz,
          e.flatness,
          e.loudness,
        ].join(','),
      ),
    ].join('\n');
    await folder.write('manifest.csv', Buffer.from(`${csv}\n`));
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
