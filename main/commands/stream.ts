/**
 * `vae-studio stream MODEL IN --out OUT.wav`: the live path (ml/synth/live-resynth.ts) run on a
 * file, block by block, in constant memory for any length: the WAV is read a block at a time,
 * resampled in a stream, pushed through the model hop by hop and written a block at a time. With
 * `--level file` (the default) a first pass finds the file's peak frame magnitude, so the output
 * equals `resynth --phase source`; `--level running` scales as the live input does (the loudest
 * frame so far).
 */
import { resolve } from 'node:path';
import { AudioFileError } from '../../ml/audio/errors.js';
import { StreamResampler, WavStreamReader, WavStreamWriter } from '../../ml/audio/wav-stream.js';
import { initBackend } from '../../ml/backend.js';
import { createRealFft } from '../../ml/synth/fft.js';
import {
  FramePeak,
  LiveResynth,
  fullScaleMagnitude,
  offsetVector,
  type LiveLevel,
} from '../../ml/synth/live-resynth.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { UsageError } from '../errors.js';
import { OutputGuard } from '../outputs.js';
import { Progress } from '../progress.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Sample frames read per block: about 0.4 s at 44.1 kHz. */
const BLOCK = 16_384;
/** A running level never goes below this, relative to a full-scale sine (−60 dBFS). */
export const RUNNING_LEVEL_MIN_DBFS = -60;

export interface StreamOptions {
  out: string;
  mix: number;
  gain: number;
  offset?: string;
  level: 'file' | 'running';
  json?: boolean;
}

/** `axis1:2`, `axis2:-1.5` or `z3:0.5`: a direction and an amount. */
export function parseOffset(text: string): { direction: 'axis1' | 'axis2' | number; amount: number } {
  const m = /^(axis1|axis2|z(\d+)):(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(text.trim());
  if (!m) throw new UsageError(`--offset: expected axis1:AMOUNT, axis2:AMOUNT or zN:AMOUNT, got '${text}'`);
  const amount = Number(m[3]);
  if (!Number.isFinite(amount) || Math.abs(amount) > 100)
    throw new UsageError(`--offset: the amount must be within ±100, got ${m[3]}`);
  if (m[2] !== undefined) {
    const n = Number(m[2]);
    if (n < 1) throw new UsageError(`--offset: latent dimensions count from z1, got z${m[2]}`);
    return { direction: n - 1, amount };
  }
  return { direction: m[1].toLowerCase() as 'axis1' | 'axis2', amount };
}

async function forEachBlock(
  input: string,
  fromRate: number,
  toRate: number,
  each: (samples: Float32Array) => Promise<void> | void,
): Promise<void> {
  const reader = await WavStreamReader.open(input);
  try {
    const resampler = fromRate === toRate ? null : new StreamResampler(fromRate, toRate);
    for (;;) {
      const block = await reader.read(BLOCK);
      if (block.length === 0) break;
      await each(resampler ? resampler.push(block) : block);
    }
    if (resampler) await each(resampler.finish());
  } finally {
    await reader.close();
  }
}

export async function stream(modelDir: string, input: string, options: StreamOptions): Promise<void> {
  const inPath = resolve(input);
  const guard = new OutputGuard({ inputs: [input], model: modelDir });
  const outPath = resolve(options.out);
  guard.check(outPath, options.out);
  const offset = options.offset ? parseOffset(options.offset) : null;
  const progress = new Progress(process.stderr, Boolean(options.json));
  // The header alone says whether the file can be used, and how long it is: refused before any work.
  const probe = await WavStreamReader.open(inPath);
  const info = probe.info;
  await probe.close();
  info.warnings.forEach((w) => progress.warn(`${input}: ${w}`));
  const backend = await initBackend();
  const model = await VaeModel.load(resolve(modelDir));
  const settings = model.studio.frames;
  const fft = await createRealFft(settings.windowSize);
  let writer: WavStreamWriter | null = null;
  try {
    const length = Math.round((info.frames * settings.sampleRate) / info.sampleRate);
    if (length < settings.windowSize)
      throw new AudioFileError(
        inPath,
        `too short: ${length} samples at ${settings.sampleRate} Hz, at least ${settings.windowSize} needed (one analysis window)`,
      );
    let level: LiveLevel;
    if (options.level === 'file') {
      const peak = new FramePeak(fft, settings);
      await forEachBlock(inPath, info.sampleRate, settings.sampleRate, (x) =>
        peak.push(options.gain === 1 ? x : x.map((v) => v * options.gain)),
      );
      level = { kind: 'fixed', ref: peak.finish() };
    } else {
      level = {
        kind: 'running',
        min: fullScaleMagnitude(settings.windowSize) * 10 ** (RUNNING_LEVEL_MIN_DBFS / 20),
      };
    }
    let offsetZ: Float32Array | null = null;
    if (offset) {
      try {
        offsetZ = offsetVector(model.studio.pca, model.latent, offset.direction, offset.amount);
      } catch (err) {
        throw new UsageError(`--offset: ${(err as Error).message}`);
      }
    }
    const live = new LiveResynth(model, fft, {
      level,
      settings: { mix: options.mix, gain: options.gain, offset: offsetZ },
    });
    guard.check(outPath, options.out);
    await mkdir(dirname(outPath), { recursive: true });
    const out = await WavStreamWriter.create(outPath, settings.sampleRate);
    writer = out;
    let done = 0;
    const started = performance.now();
    await forEachBlock(inPath, info.sampleRate, settings.sampleRate, async (x) => {
      await out.write(live.push(x));
      done += x.length;
      progress.update('streaming', done, length);
    });
    await out.write(live.finish());
    writer = null;
    await out.close();
    const seconds = (performance.now() - started) / 1000;
    const report = {
      input: inPath,
      output: outPath,
      samples: out.samples,
      durationSeconds: Number((out.samples / settings.sampleRate).toFixed(3)),
      sampleRate: settings.sampleRate,
      latencyMs: Number(live.latencyMs.toFixed(2)),
      latencySamples: live.latencySamples,
      mix: options.mix,
      gain: options.gain,
      offset: offset ?? null,
      level: options.level,
      ref: level.kind === 'fixed' ? level.ref : null,
      realTimeFactor: Number((out.samples / settings.sampleRate / seconds).toFixed(2)),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      backend: backend.name,
    };
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      process.stdout.write(
        `${outPath}: ${report.durationSeconds} s streamed through ${modelDir} (mix ${options.mix}, ${report.latencyMs} ms latency)\n`,
      );
  } finally {
    await writer?.abandon();
    model.dispose();
    fft.dispose();
  }
}
