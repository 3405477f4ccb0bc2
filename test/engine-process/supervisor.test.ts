// The supervisor with a real engine process: dist/main/engine/process-entry.js forked, killed
// with SIGKILL, restarted, and given up on. `npm test` builds dist/ before vitest runs.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../common/client.js';
import { forkEngine } from '../../main/engine/fork-engine.js';
import { Supervisor, type StateChange } from '../../main/engine/supervisor.js';
import { packageRoot } from '../../main/package-info.js';

const entry = join(packageRoot(), 'dist', 'main', 'engine', 'process-entry.js');
const built = existsSync(entry);
const title = built
  ? 'the engine process under the supervisor'
  : 'the engine process under the supervisor (skipped: dist/main/engine/process-entry.js is missing; run `npm run build`)';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-engine-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function supervise() {
  const pids: number[] = [];
  const states: StateChange[] = [];
  const supervisor = new Supervisor({
    spawn: () => {
      const proc = forkEngine({ entry, args: ['--data-dir', join(dir, 'data'), '--backend', 'cpu'] });
      pids.push(proc.pid!);
      return proc;
    },
    backoffMs: () => 20,
  });
  supervisor.onState((s) => states.push(s));
  return { supervisor, pids, states };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!built)(title, () => {
  it('serves the API over IPC, restarts after SIGKILL, and gives up after three crashes', async () => {
    const { supervisor, pids, states } = supervise();
    try {
      const first = await supervisor.start();
      const client = createClient(first.transport);
      expect((await client.hello()).backend.name).toBe('cpu');
      const project = await client.openProject();
      expect(project.sources.length).toBeGreaterThan(0);
      const audio = await client.getSourceAudio(project.sources[0].id);
      expect(audio.samples).toBeInstanceOf(Float32Array); // structured clone over IPC
      expect(audio.samples.length).toBeGreaterThan(1000);

      // A call in flight when the engine dies is rejected, not left hanging (unless its answer
      // got out first).
      const inFlight = client.getSourceAudio(project.sources[0].id).catch((e: Error) => e);
      let next = supervisor.whenSettled();
      process.kill(first.pid!, 'SIGKILL');
      const second = await next;
      const outcome = await inFlight;
      if (outcome instanceof Error) expect(outcome.name).toBe('DisconnectedError');
      expect(client.closed).toBe(true);
      expect(second.pid).not.toBe(first.pid);
      expect(alive(first.pid!)).toBe(false);
      expect(states.map((s) => s.state)).toEqual([
        'starting',
        'running',
        'crashed',
        'restarting',
        'starting',
        'running',
      ]);
      expect(states[2]).toMatchObject({ pid: first.pid, reason: 'killed by SIGKILL', crashes: 1 });

      // The restarted engine serves a new client, and the demo project it made is still there.
      const again = createClient(second.transport);
      expect((await again.openProject()).sources.map((s) => s.id)).toEqual(project.sources.map((s) => s.id));

      next = supervisor.whenSettled();
      process.kill(second.pid!, 'SIGKILL');
      const third = await next;
      next = supervisor.whenSettled();
      process.kill(third.pid!, 'SIGKILL');
      await expect(next).rejects.toThrow(
        /stopped 3 times within 60 s \(last: killed by SIGKILL\); not restarting/,
      );
      expect(supervisor.state).toBe('failed');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pids).toHaveLength(3);
      expect(pids.some(alive)).toBe(false);
    } finally {
      supervisor.stop();
    }
  });

  it('ends the engine when its channel closes or the supervisor stops, without counting a crash', async () => {
    const { supervisor, states } = supervise();
    const proc = await supervisor.start();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      proc.onExit(resolve),
    );
    supervisor.stop();
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(states.map((s) => s.state)).toEqual(['starting', 'running', 'stopped']);

    // Left alone, an engine whose app closed the channel exits by itself.
    const orphan = forkEngine({ entry, args: ['--data-dir', join(dir, 'data'), '--backend', 'cpu'] });
    const gone = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      orphan.onExit(resolve),
    );
    await new Promise<void>((resolve) => orphan.transport.onMessage(() => resolve()));
    orphan.transport.close();
    expect(await gone).toEqual({ code: 0, signal: null });
  });
});
