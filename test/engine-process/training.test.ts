// A training run survives its engine: the engine process is killed with SIGKILL mid-run, the
// supervisor starts a new one, and reopening the project resumes the run from its checkpoint.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingRun } from '../../common/api.js';
import { createClient } from '../../common/client.js';
import { forkEngine } from '../../main/engine/fork-engine.js';
import { Supervisor } from '../../main/engine/supervisor.js';
import { packageRoot } from '../../main/package-info.js';
import { when } from './events.js';

const entry = join(packageRoot(), 'dist', 'main', 'engine', 'process-entry.js');
const built = existsSync(entry);
const demo = join(packageRoot(), 'assets', 'demo', 'sources');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-training-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!built)(
  `training across an engine crash${built ? '' : ' (skipped: run `npm run build` first)'}`,
  () => {
    it('resumes from the checkpoint after SIGKILL and finishes the model', async () => {
      const supervisor = new Supervisor({
        spawn: () => forkEngine({ entry, args: ['--data-dir', join(dir, 'data')] }),
        backoffMs: () => 20,
      });
      const project = join(dir, 'project');
      try {
        const first = await supervisor.start();
        const client = createClient(first.transport);
        await client.openProject(project, { create: true });
        for (const name of ['vowels.wav', 'plucks.wav'])
          await client.importSource(name, await readFile(join(demo, name)));

        const settings = {
          name: 'tiny',
          preset: 'compact' as const,
          latent: 4,
          epochs: 8,
          batch: 128,
          beta: 0.01,
        };
        const reachedTwo = when(client, (e) =>
          e.type === 'training' && e.report && e.report.epoch >= 2 ? e.report.epoch : undefined,
        );
        const running = client.train(settings).catch((err: Error) => err);
        expect(await reachedTwo).toBeGreaterThanOrEqual(2);
        // The checkpoint of epoch 2 is written right after its report; give it a moment, then kill.
        await new Promise((r) => setTimeout(r, 300));
        const next = supervisor.whenSettled();
        first.kill();
        expect(((await running) as Error).name).toBe('DisconnectedError');

        const second = await next;
        expect(second.pid).not.toBe(first.pid);
        const again = createClient(second.transport);
        const ended = when(again, (e) =>
          e.type === 'training' && e.run.status !== 'running' ? e.run : undefined,
        );
        const resumedEpochs: number[] = [];
        again.onEvent((e) => {
          if (e.type === 'training' && e.report) resumedEpochs.push(e.report.epoch);
        });
        const reopened = await again.openProject(project);
        expect(reopened.models).toHaveLength(0); // no model yet: the run is still going
        const end: TrainingRun = await ended;
        expect(end).toMatchObject({ model: 'tiny', status: 'done', epoch: 8, epochs: 8 });
        // It went on from its checkpoint: the first epoch after the restart is not epoch 1.
        expect(resumedEpochs[0]).toBeGreaterThanOrEqual(2);
        expect(resumedEpochs.at(-1)).toBe(8);
        const done = await again.openProject(project);
        expect(done.models.map((m) => [m.id, m.epochs])).toEqual([['tiny', 8]]);
        expect(await again.listTraining()).toEqual([]);
        again.close();
      } finally {
        supervisor.stop();
      }
    }, 120_000);
  },
);
