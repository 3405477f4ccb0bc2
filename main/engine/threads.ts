// The engine's thread budget: how many threads its heavy work may keep busy at once —
// VAE_STUDIO_THREADS, else every core (ml/threads.ts). A training run on a CPU backend splits its
// batches over as many threads as the budget leaves it (ml/vae/data-parallel.ts; wasm computes on
// one thread in each), and the worker pool (pool.ts) gets what the running trainings leave, less
// the main thread's share, but always one, so the UI's requests are never starved: while a
// training holds the whole budget, a request the pool takes runs beside it on one thread more.
// Live audition runs in a worker of its own outside the budget: it is real-time and light (one
// frame decoded per hop).
import { THREADS_ENV, threadBudget } from '../../ml/threads.js';

export { THREADS_ENV, threadBudget };

/** The pool's size while running trainings hold `training` threads: the budget less them and less the main thread's share. */
export function poolSize(budget: number, training: number): number {
  return Math.max(1, budget - 1 - training);
}

/** Threads a new training run may split its batches over, while others hold `busy`: what is left, at least one. */
export function trainingThreads(budget: number, busy: number): number {
  return Math.max(1, budget - busy);
}
