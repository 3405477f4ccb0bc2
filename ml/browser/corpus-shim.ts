// What trainer.ts takes from ../vae/corpus.js, for the compute page: the page holds its corpus in
// memory (the engine sends the frames), so these are corpus.ts's in-memory paths without its file
// reading (which imports Node and the audio decoders). scripts/build-browser.ts resolves
// trainer.ts's './corpus.js' here; a name trainer.ts starts to import that is missing here fails
// that build.
import type { SeededRandom } from '../random.js';
import type { Corpus } from '../vae/corpus.js';

export function frameTotal(corpus: Corpus): number {
  return corpus.frames.length / corpus.bins;
}

export function corpusRows(corpus: Corpus, indices: Int32Array, from: number, to: number): Float32Array {
  const { bins, frames } = corpus;
  const data = new Float32Array((to - from) * bins);
  for (let i = from; i < to; i++)
    data.set(frames.subarray(indices[i] * bins, (indices[i] + 1) * bins), (i - from) * bins);
  return data;
}

export function epochOrder(corpus: Corpus, rng: SeededRandom): Int32Array {
  return rng.shuffle(Int32Array.from(corpus.train));
}
