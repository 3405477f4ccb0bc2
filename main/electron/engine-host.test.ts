// EngineHost with the real Supervisor and fake engine processes: ports to windows, before and
// after a crash, and none to windows that did not ask.
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport } from '../../common/transport.js';
import type { EngineStatus } from './preload-api.js';
import { EngineHost, type ConnectableEngine, type RendererLink } from './engine-host.js';

interface FakePort {
  engine: number;
  n: number;
}

/** A process that says 'ready' on its main connection a tick after it starts. */
function fakeEngine(n: number) {
  const messageListeners = new Set<(m: unknown) => void>();
  const exitListeners: ((e: { code: number | null; signal: string | null }) => void)[] = [];
  let connections = 0;
  let closed = false;
  const transport: Transport = {
    send() {},
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose: () => () => {},
    get closed() {
      return closed;
    },
    close() {
      closed = true;
    },
  };
  const crash = (signal = 'SIGKILL') => exitListeners.forEach((l) => l({ code: null, signal }));
  const engine: ConnectableEngine<FakePort> & { crash: typeof crash; killed: boolean } = {
    pid: 1000 + n,
    transport,
    killed: false,
    connect: () => ({ engine: n, n: ++connections }),
    onExit: (listener) => void exitListeners.push(listener),
    kill() {
      engine.killed = true;
      setTimeout(() => crash('SIGKILL'), 0);
    },
    crash,
  };
  setTimeout(
    () => messageListeners.forEach((l) => l({ type: 'event', event: { type: 'ready', version: '0' } })),
    0,
  );
  return engine;
}

function window() {
  const ports: FakePort[] = [];
  const statuses: EngineStatus[] = [];
  const link: RendererLink<FakePort> = {
    sendPort: (p) => void ports.push(p),
    sendStatus: (s) => void statuses.push(s),
  };
  return { link, ports, statuses };
}

const hosts: EngineHost<FakePort>[] = [];
function host() {
  const engines: ReturnType<typeof fakeEngine>[] = [];
  const h = new EngineHost<FakePort>(
    () => {
      const e = fakeEngine(engines.length + 1);
      engines.push(e);
      return e;
    },
    { backoffMs: () => 0, maxCrashes: 3 },
  );
  hosts.push(h);
  return { host: h, engines };
}
const tick = () => new Promise((r) => setTimeout(r, 5));

afterEach(() => {
  hosts.splice(0).forEach((h) => h.stop());
});

describe('EngineHost', () => {
  it('gives a window that asked early one port, once the engine runs', async () => {
    const { host: h } = host();
    const w = window();
    h.attach(w.link);
    h.requestPort(w.link);
    expect(w.ports).toEqual([]);
    await h.start();
    expect(w.ports).toEqual([{ engine: 1, n: 1 }]);
    expect(w.statuses.map((s) => s.state)).toEqual(['stopped', 'starting', 'running']);
  });

  it('gives a port at once to a window that asks while the engine runs', async () => {
    const { host: h } = host();
    await h.start();
    const w = window();
    h.attach(w.link);
    h.requestPort(w.link);
    expect(w.ports).toEqual([{ engine: 1, n: 1 }]);
    expect(w.statuses).toEqual([{ state: 'running', crashes: 0 }]);
  });

  it('after a crash, restarts the engine and hands every window that asked a fresh port', async () => {
    const { host: h, engines } = host();
    const asked = window();
    const quiet = window();
    h.attach(asked.link);
    h.attach(quiet.link);
    await h.start();
    h.requestPort(asked.link);
    engines[0].crash();
    await h.supervisor.whenSettled();
    expect(engines).toHaveLength(2);
    expect(asked.ports).toEqual([
      { engine: 1, n: 1 },
      { engine: 2, n: 1 },
    ]);
    expect(quiet.ports).toEqual([]);
    // Both hear what happened, so the UI can say the engine restarted.
    const states = quiet.statuses.map((s) => s.state);
    expect(states).toEqual(['starting', 'running', 'crashed', 'restarting', 'starting', 'running']);
    expect(quiet.statuses.find((s) => s.state === 'crashed')).toMatchObject({
      crashes: 1,
      reason: 'killed by SIGKILL',
    });
  });

  it('tells the windows when it gives up, and sends no port', async () => {
    const { host: h, engines } = host();
    const w = window();
    h.attach(w.link);
    await h.start();
    h.requestPort(w.link);
    // Each crash after the engine is running again (a fixed pause is not enough on a busy machine).
    for (let i = 0; i < 3; i++) {
      engines.at(-1)!.crash();
      if (i < 2) await h.supervisor.whenSettled();
    }
    for (let waited = 0; h.status.state !== 'failed' && waited < 2000; waited += 5) await tick();
    expect(h.status.state).toBe('failed');
    expect(w.statuses.at(-1)).toMatchObject({ state: 'failed', crashes: 3 });
    expect(w.statuses.at(-1)!.reason).toMatch(/not restarting/);
    expect(w.ports).toHaveLength(3);
  });

  it('forgets a detached window', async () => {
    const { host: h, engines } = host();
    const w = window();
    const detach = h.attach(w.link);
    h.requestPort(w.link);
    detach();
    await h.start();
    engines[0].crash();
    await h.supervisor.whenSettled();
    expect(w.ports).toEqual([]);
    h.requestPort(w.link);
    expect(w.ports).toEqual([]);
  });

  it('stop() kills the engine', async () => {
    const { host: h, engines } = host();
    await h.start();
    h.stop();
    expect(engines[0].killed).toBe(true);
    expect(h.status.state).toBe('stopped');
  });
});
