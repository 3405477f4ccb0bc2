import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Network shapes (docs/design.md, "The model"). */
export const PRESETS = {
  /** The seed article's speech network made a true VAE: 1024-512-256 / 256-512-1024. */
  'seed-speech': { encoder: [1024, 512, 256], decoder: [256, 512, 1024] },
  /** Smaller, for fast CPU training. */
  compact: { encoder: [512, 256], decoder: [256, 512] },
} as const;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export const MIN_LATENT = 2;
export const MAX_LATENT = 64;

export interface ModelShape {
  preset: PresetName;
  /** Frame size (bins). */
  bins: number;
  latent: number;
}

export function checkShape(shape: ModelShape): void {
  if (!(shape.preset in PRESETS))
    throw new RangeError(`unknown preset '${shape.preset}' (${PRESET_NAMES.join(', ')})`);
  if (!Number.isInteger(shape.latent) || shape.latent < MIN_LATENT || shape.latent > MAX_LATENT) {
    throw new RangeError(
      `latent size must be an integer from ${MIN_LATENT} to ${MAX_LATENT}, got ${shape.latent}`,
    );
  }
}

/**
 * The encoder maps a frame to 2·latent numbers: the posterior mean, then its log variance (one Dense
 * head for both, equivalent to two heads). The decoder maps a latent vector to a frame through a
 * sigmoid; its last layer is a separate Activation so training can use the logits.
 */
export function buildModels(
  shape: ModelShape,
  seed: number,
): { encoder: tfl.Sequential; decoder: tfl.Sequential } {
  checkShape(shape);
  const { encoder: enc, decoder: dec } = PRESETS[shape.preset];
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  const encoder = tfl.sequential({ name: 'encoder' });
  enc.forEach((units, i) =>
    encoder.add(
      tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: init(),
        ...(i === 0 ? { inputShape: [shape.bins] } : {}),
      }),
    ),
  );
  encoder.add(tfl.layers.dense({ units: 2 * shape.latent, kernelInitializer: init(), name: 'posterior' }));
  const decoder = tfl.sequential({ name: 'decoder' });
  dec.forEach((units, i) =>
    decoder.add(
      tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: init(),
        ...(i === 0 ? { inputShape: [shape.latent] } : {}),
      }),
    ),
  );
  decoder.add(tfl.layers.dense({ units: shape.bins, kernelInitializer: init(), name: 'logits' }));
  decoder.add(tfl.layers.activation({ activation: 'sigmoid', name: 'frame' }));
  return { encoder, decoder };
}

export function parameterCount(...models: tfl.LayersModel[]): number {
  return models.reduce((n, m) => n + m.countParams(), 0);
}

/** Runs a model's layers up to (not including) the last, e.g. the decoder's logits. */
export function applyUpToLast(model: tfl.Sequential, x: tf.Tensor): tf.Tensor {
  let y = x;
  for (const layer of model.layers.slice(0, -1)) y = layer.apply(y) as tf.Tensor;
  return y;
}

/** Splits the encoder's output into posterior mean and log variance. */
export function splitPosterior(h: tf.Tensor2D, latent: number): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
  const [mu, logVar] = tf.split(h, [latent, latent], 1) as [tf.Tensor2D, tf.Tensor2D];
  return { mu, logVar };
}
