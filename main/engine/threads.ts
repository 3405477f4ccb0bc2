// The engine's thread budget: how many threads its heavy work may keep busy at once. The worker
// pool (pool.ts) and training runs draw from it together: each running training takes one thread,
// and the pool gets what is left (at least one, so the UI's requests are never starved). Live
// audition runs in a worker of its own outside the budget: it is real-time and light (one frame
// decoded per hop). The GPU/threads issue exposes the budget to users as VAE_STUDIO_THREADS.
import { availableParallelism } from 'node:os';

export const THREADS_ENV = 'VAE_STUDIO_THREADS';

/** VAE_STUDIO_THREADS when it is a whole number ≥ 1, else every core the machine has. */
export function threadBudget(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[THREADS_ENV];
  if (raw !== undefined && /^\d+$/.test(raw.trim()) && Number(raw) >= 1) return Number(raw);
  return availableParallelism();
}

/** The pool's size while `training` runs are training: the budget less them and less the main thread's share. */
export function poolSize(budget: number, training: number): number {
  return Math.max(1, budget - 1 - training);
}
