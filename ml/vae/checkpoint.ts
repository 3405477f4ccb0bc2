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
  const header: Header = {
    epoch: trainer.epoch,
    rng: trainer.rng.state,
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

/** Reads a checkpoint's header without building anything (to check a --resume before starting). */
export async function readCheckpoint(path: string): Promise<{ header: Header; data: Buffer }> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read the checkpoint: ${(err as Error).message}`);
  }
  if (file.subarray(0, MAGIC.length).toString('latin1') !== MAGIC)
    throw new CheckpointError(`${path}: not a checkpoint`);
  const length = file.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  let header: Header;
  try {
    header = JSON.parse(file.subarray(start, start + length).toString('utf8')) as Header;
  } catch {
    throw new CheckpointError(`${path}: damaged checkpoint header`);
  }
  return { header, data: file.subarray(start + length) };
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
  corpus.ref = header.corpus.ref;
  const trainer = new Trainer(header.config, corpus);
  try {
    const read = (name: string): tf.Tensor => {
      const spec = header.tensors.find((t) => t.name === name);
      if (!spec) throw new CheckpointError(`${path}: damaged checkpoint (no ${name})`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const bytes = data.subarray(spec.offset, spec.offset + count * 4);
      const copy = new Uint8Array(bytes).buffer;
      return tf.tensor(
        spec.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy),
        spec.shape,
        spec.dtype,
      );
    };
    const load = (model: Trainer['encoder'], prefix: string) => {
      const weights = model.getWeights().map((_, i) => read(`${prefix}/${i}`));
      model.setWeights(weights);
      weights.forEach((w) => w.dispose());
    };
    load(trainer.encoder, 'encoder');
    load(trainer.decoder, 'decoder');
    const optimizer = header.tensors
      .filter((t) => t.name.startsWith('optimizer/'))
      .map((t) => ({ name: t.name.slice('optimizer/'.length), tensor: read(t.name) }));
    await trainer.optimizer.setWeights(optimizer);
    optimizer.forEach((w) => w.tensor.dispose());
    trainer.epoch = header.epoch;
    trainer.rng.state = header.rng;
    trainer.history = header.history;
    return trainer;
  } catch (err) {
    trainer.dispose();
    throw err;
  }
}
