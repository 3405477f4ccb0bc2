import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../audio/files.js';
import type { Corpus } from './corpus.js';
import { type EpochReport, type TrainConfig, Trainer } from './trainer.js';

/**
 * A training checkpoint: everything needed to continue exactly where a run stopped — both networks'
 * weights, the optimizer's state, the epoch, the random generator's state and the history — in one
 * file (a JSON header, then float32 data), written atomically so a kill never leaves half of one.
 */
const MAGIC = 'VAESTUDIO-CKPT-1';

interface Header {
  epoch: number;
  rng: number;
  /** Adam's running bias-correction products: rebuilding them with pow() differs in the last bit. */
  adamBetaPowers: [number, number];
  config: TrainConfig;
  history: EpochReport[];
  corpus: { sources: Corpus['sources']; ref: number; bins: number };
  tensors: { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number }[];
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export async function saveCheckpoint(path: string, trainer: Trainer): Promise<void> {
  const named: { name: string; tensor: tf.Tensor }[] = [
    ...trainer.encoder.getWeights().map((t, i) => ({ name: `encoder/${i}`, tensor: t })),
    ...trainer.decoder.getWeights().map((t, i) => ({ name: `decoder/${i}`, tensor: t })),
    ...(await trainer.optimizer.getWeights()).map((w) => ({ name: `optimizer/${w.name}`, tensor: w.tensor })),
  ];
  const tensors: Header['tensors'] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const values = await tensor.data();
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    tensors.push({ name, shape: tensor.shape, dtype: tensor.dtype as 'float32' | 'int32', offset });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const { sources, ref, bins } = trainer.corpus;
  const powers = adamPowers(trainer.optimizer);
  const header: Header = {
    epoch: trainer.epoch,
    rng: trainer.rng.state,
    adamBetaPowers: [powers.accBeta1.dataSync()[0], powers.accBeta2.dataSync()[0]],
    config: trainer.config,
    history: trainer.history,
    corpus: { sources, ref, bins },
    tensors,
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.byteLength, MAGIC.length);
  // Optimizer weights returned by getWeights() are fresh tensors (the iteration count); the networks'
  // are their variables, which stay.
  const optimizerTensors = named.filter((n) => n.name.startsWith('optimizer/iter'));
  optimizerTensors.forEach((n) => n.tensor.dispose());
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, Buffer.concat([prefix, headerBytes, ...chunks]), { overwrite: true });
}

/** tfjs's AdamOptimizer keeps beta1^t and beta2^t as private variables; a resumed run needs them exact. */
function adamPowers(optimizer: tf.AdamOptimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const powers = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (!powers.accBeta1 || !powers.accBeta2)
    throw new Error('this tfjs AdamOptimizer has no accBeta1/accBeta2');
  return { accBeta1: powers.accBeta1, accBeta2: powers.accBeta2 };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The header's fields, checked, so a damaged file fails here with a CheckpointError. */
function checkHeader(h: unknown, dataBytes: number): h is Header {
  if (!h || typeof h !== 'object') return false;
  const x = h as Partial<Header>;
  return (
    isNumber(x.epoch) &&
    isNumber(x.rng) &&
    Array.isArray(x.adamBetaPowers) &&
    x.adamBetaPowers.every(isNumber) &&
    !!x.config &&
    typeof x.config === 'object' &&
    Array.isArray(x.history) &&
    !!x.corpus &&
    Array.isArray(x.corpus.sources) &&
    isNumber(x.corpus.ref) &&
    Array.isArray(x.tensors) &&
    x.tensors.every(
      (t) =>
        typeof t.name === 'string' &&
        Array.isArray(t.shape) &&
        t.shape.every((d) => Number.isInteger(d) && d >= 0) &&
        (t.dtype === 'float32' || t.dtype === 'int32') &&
        Number.isInteger(t.offset) &&
        t.offset >= 0 &&
        t.offset + 4 * t.shape.reduce((a, b) => a * b, 1) <= dataBytes,
    )
  );
}

/** Reads a checkpoint's header without building anything (to check a --resume before starting). */
export async function readCheckpoint(path: string): Promise<{ header: Header; data: Buffer }> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read the checkpoint: ${(err as Error).message}`);
  }
  if (file.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    throw new CheckpointError(`${path}: not a checkpoint`);
  }
  const start = MAGIC.length + 4;
  const length = file.length >= start ? file.readUInt32LE(MAGIC.length) : -1;
  if (length < 0 || start + length > file.length)
    throw new CheckpointError(`${path}: damaged checkpoint (truncated)`);
  let header: unknown;
  try {
    header = JSON.parse(file.subarray(start, start + length).toString('utf8'));
  } catch {
    throw new CheckpointError(`${path}: damaged checkpoint header`);
  }
  const data = file.subarray(start + length);
  if (!checkHeader(header, data.length))
    throw new CheckpointError(`${path}: damaged checkpoint (incomplete header or data)`);
  return { header, data };
}

/** A Trainer in the state the checkpoint recorded, on the same corpus (checked). */
export async function restoreTrainer(path: string, corpus: Corpus): Promise<Trainer> {
  const { header, data } = await readCheckpoint(path);
  const same =
    header.corpus.bins === corpus.bins &&
    header.corpus.sources.length === corpus.sources.length &&
    header.corpus.sources.every(
      (s, i) => s.name === corpus.sources[i].name && s.frames === corpus.sources[i].frames,
    );
  if (!same) {
    throw new CheckpointError(
      `${path}: the checkpoint was trained on other sounds (${header.corpus.sources.map((s) => s.name).join(', ')}); resume with the same inputs`,
    );
  }
  // Same names and lengths but another loudest frame: the files were edited since.
  if (Math.abs(header.corpus.ref - corpus.ref) > 1e-6 * Math.max(header.corpus.ref, corpus.ref)) {
    throw new CheckpointError(
      `${path}: the sounds have changed since the checkpoint (another peak level); resume with the same inputs`,
    );
  }
  const trainer = new Trainer(header.config, corpus);
  // Every tensor read from the file, released whether or not the restore succeeds.
  const read: tf.Tensor[] = [];
  try {
    const tensor = (name: string): tf.Tensor => {
      const spec = header.tensors.find((t) => t.name === name);
      if (!spec) throw new CheckpointError(`${path}: damaged checkpoint (no ${name})`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const copy = new Uint8Array(data.subarray(spec.offset, spec.offset + count * 4)).buffer;
      const t = tf.tensor(
        spec.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy),
        spec.shape,
        spec.dtype,
      );
      read.push(t);
      return t;
    };
    const load = (model: Trainer['encoder'], prefix: string) => {
      const expected = model.getWeights();
      const weights = expected.map((_, i) => tensor(`${prefix}/${i}`));
      if (weights.some((w, i) => w.shape.join() !== expected[i].shape.join())) {
        throw new CheckpointError(`${path}: damaged checkpoint (${prefix} weights of the wrong shape)`);
      }
      model.setWeights(weights);
    };
    load(trainer.encoder, 'encoder');
    load(trainer.decoder, 'decoder');
    const optimizer = header.tensors
      .filter((t) => t.name.startsWith('optimizer/'))
      .map((t) => ({ name: t.name.slice('optimizer/'.length), tensor: tensor(t.name) }));
    await trainer.optimizer.setWeights(optimizer);
    const powers = adamPowers(trainer.optimizer);
    tf.tidy(() => {
      powers.accBeta1.assign(tf.scalar(header.adamBetaPowers[0]));
      powers.accBeta2.assign(tf.scalar(header.adamBetaPowers[1]));
    });
    trainer.epoch = header.epoch;
    trainer.rng.state = header.rng;
    trainer.history = header.history;
    return trainer;
  } catch (err) {
    trainer.dispose();
    throw err;
  } finally {
    tf.dispose(read);
  }
}
