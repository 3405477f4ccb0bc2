// How many threads the studio's heavy work may keep busy: VAE_STUDIO_THREADS, else every core. The
// engine divides it between training runs and its worker pool (main/engine/threads.ts); a training
// run on a CPU backend splits its batches over that many threads (ml/vae/data-parallel.ts).
import { availableParallelism } from 'node:os';

export const THREADS_ENV = 'VAE_STUDIO_THREADS';

/** VAE_STUDIO_THREADS when it is a whole number ≥ 1, else null. */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env[THREADS_ENV];
  return raw !== undefined && /^\d+$/.test(raw.trim()) && Number(raw) >= 1 ? Number(raw) : null;
}

/** VAE_STUDIO_THREADS when it is a whole number ≥ 1, else every core the machine has. */
export function threadBudget(env: NodeJS.ProcessEnv = process.env): number {
  return threadsFromEnv(env) ?? availableParallelism();
}
