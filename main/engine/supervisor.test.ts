import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, type EngineProcess, type StateChange } from './supervisor.js';
import { messagePortTransport } from '../../common/transport.js';

/** An engine process in memory: says ready unless told not to, exits when the test says. */
class FakeProcess implements EngineProcess {
  static nextPid = 1000;
  readonly pid = FakeProcess.nextPid++;
  private readonly channel = new MessageChannel();
  readonly transport = messagePortTransport(this.channel.port1);
  private exitListeners: ((e: { code: number | null; signal: string | null }) => void)[] = [];
  killed = false;

  constructor(ready: boolean) {
    if (ready) this.channel.port2.postMessage({ type: 'event', event: { type: 'ready', version: 'test' } });
  }

  onExit(listener: (e: { code: number | null; signal: string | null }) => void) {
    this.exitListeners.push(listener);
  }

  exit(code: number | null, signal: string | null = null) {
    this.channel.port2.close();
    for (const listener of this.exitListeners) listener({ code, signal });
    this.exitListeners = [];
  }

  kill() {
    this.killed = true;
    setImmediate(() => this.exit(null, 'SIGKILL'));
  }
}

const supervisors: Supervisor[] = [];
afterEach(() => {
  for (const s of supervisors.splice(0)) s.stop();
});

function supervise(
  options: { ready?: (n: number) => boolean; readyTimeoutMs?: number; spawnError?: boolean } = {},
) {
  const spawned: FakeProcess[] = [];
  const states: StateChange[] = [];
  const supervisor = new Supervisor({
    spawn: () => {
      if (options.spawnError) throw new Error('no such file');
      const proc = new FakeProcess(options.ready?.(spawned.length) ?? true);
      spawned.push(proc);
      return proc;
    },
    backoffMs: (n) => n * 10,
    readyTimeoutMs: options.readyTimeoutMs,
  });
  supervisor.onState((s) => states.push(s));
  supervisors.push(supervisor);
  return { supervisor, spawned, states, names: () => states.map((s) => s.state) };
}

describe('Supervisor', () => {
  it('starts the engine and is running once it says ready', async () => {
    const { supervisor, spawned, names } = supervise();
    const proc = await supervisor.start();
    expect(proc).toBe(spawned[0]);
    expect(supervisor.process).toBe(proc);
    expect(names()).toEqual(['starting', 'running']);
  });

  it('restarts a crashed engine after a backoff and runs again', async () => {
    const { supervisor, spawned, states, names } = supervise();
    await supervisor.start();
    const next = supervisor.whenSettled();
    spawned[0].exit(null, 'SIGKILL');
    expect(supervisor.process).toBeNull();
    expect(await next).toBe(spawned[1]);
    expect(names()).toEqual(['starting', 'running', 'crashed', 'restarting', 'starting', 'running']);
    expect(states[2]).toMatchObject({ pid: spawned[0].pid, crashes: 1, reason: 'killed by SIGKILL' });
    expect(states[5]).toMatchObject({ pid: spawned[1].pid });
    expect(spawned[0].transport.closed).toBe(true);
  });

  it('gives up after three crashes within the window, with the reason', async () => {
    const { supervisor, spawned, states, names } = supervise();
    await supervisor.start();
    for (let i = 0; i < 3; i++) {
      const next = supervisor.whenSettled();
      spawned[i].exit(1);
      if (i < 2) await next;
      else
        await expect(next).rejects.toThrow(
          /stopped 3 times within 60 s \(last: exited with code 1\); not restarting/,
        );
    }
    expect(supervisor.state).toBe('failed');
    expect(names().slice(-2)).toEqual(['crashed', 'failed']);
    expect(states.at(-1)!.crashes).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spawned).toHaveLength(3); // no restart after failing
    // A new start() is a fresh count.
    await supervisor.start();
    expect(spawned).toHaveLength(4);
  });

  it('counts an engine that never says ready as a crash, and kills it', async () => {
    const { supervisor, spawned, states } = supervise({ ready: (n) => n > 0, readyTimeoutMs: 30 });
    const proc = await supervisor.start();
    expect(spawned[0].killed).toBe(true);
    expect(proc).toBe(spawned[1]);
    expect(states.find((s) => s.state === 'crashed')?.reason).toBe('did not start within 30 ms');
  });

  it('fails, without looping, when the engine cannot even be spawned', async () => {
    const { supervisor, names } = supervise({ spawnError: true });
    await expect(supervisor.start()).rejects.toThrow(/not restarting/);
    expect(names().filter((s) => s === 'crashed')).toHaveLength(3);
  });

  it('stop() kills the engine, is not a crash, and cancels a pending restart', async () => {
    const { supervisor, spawned, names } = supervise();
    await supervisor.start();
    supervisor.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(spawned[0].killed).toBe(true);
    expect(names()).toEqual(['starting', 'running', 'stopped']);

    await supervisor.start();
    spawned[1].exit(1); // now restarting, with a timer pending
    supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spawned).toHaveLength(2);
    expect(supervisor.state).toBe('stopped');
  });
});
