// The utilityProcess adapter, with Electron's utilityProcess and MessageChannelMain played by an
// EventEmitter and Node's own MessageChannel (the same port semantics: structured clone, 'close').
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_CONNECT_MESSAGE } from './engine-host.js';

class FakeUtilityProcess extends EventEmitter {
  pid: number | undefined = undefined;
  posted: { message: unknown; transfer: MessagePort[] }[] = [];
  kill = vi.fn(() => true);
  postMessage(message: unknown, transfer: MessagePort[] = []) {
    this.posted.push({ message, transfer });
  }
}

const forks: {
  modulePath: string;
  args: string[];
  options: Record<string, unknown>;
  child: FakeUtilityProcess;
}[] = [];

vi.mock('electron', () => ({
  utilityProcess: {
    fork(modulePath: string, args: string[], options: Record<string, unknown>) {
      const child = new FakeUtilityProcess();
      forks.push({ modulePath, args, options, child });
      return child;
    },
  },
  MessageChannelMain: MessageChannel,
}));

const { utilityEngine } = await import('./utility-engine.js');

const open: MessagePort[] = [];
afterEach(() => {
  forks.splice(0);
  open.splice(0).forEach((p) => p.close());
  vi.restoreAllMocks();
});

describe('utilityEngine', () => {
  it('forks the entry with its arguments, under a name of its own', () => {
    utilityEngine({
      entry: '/app/dist/main/engine/process-entry.js',
      args: ['--backend', 'cpu'],
      env: { A: '1' },
    });
    expect(forks).toHaveLength(1);
    expect(forks[0]).toMatchObject({
      modulePath: '/app/dist/main/engine/process-entry.js',
      args: ['--backend', 'cpu'],
      options: { serviceName: 'VAE Studio engine', env: { A: '1' } },
    });
  });

  it("hands the engine main's own port at once, and carries the API over it", async () => {
    const engine = utilityEngine({ entry: 'e.js' });
    const { child } = forks[0];
    expect(child.posted).toHaveLength(1);
    expect(child.posted[0].message).toBe(ENGINE_CONNECT_MESSAGE);
    expect(child.posted[0].transfer).toHaveLength(1);
    const enginePort = child.posted[0].transfer[0];
    open.push(enginePort);

    // engine -> main: the supervisor hears 'ready' here
    const heard = new Promise((resolve) => engine.transport.onMessage(resolve));
    enginePort.postMessage({ type: 'event', event: { type: 'ready', version: '1' } });
    expect(await heard).toEqual({ type: 'event', event: { type: 'ready', version: '1' } });

    // main -> engine, typed arrays intact
    const received = new Promise<unknown>((resolve) => enginePort.once('message', resolve));
    engine.transport.send({ id: 1, type: 'call', method: 'getSourceAudio', args: [new Float32Array([0.5])] });
    expect(await received).toEqual({
      id: 1,
      type: 'call',
      method: 'getSourceAudio',
      args: [new Float32Array([0.5])],
    });
    engine.transport.close();
  });

  it('connect() gives a new port whose other end goes to the engine', () => {
    const engine = utilityEngine({ entry: 'e.js' });
    const { child } = forks[0];
    const port = engine.connect() as unknown as MessagePort;
    open.push(port, ...child.posted.flatMap((p) => p.transfer));
    expect(child.posted).toHaveLength(2);
    expect(child.posted[1].message).toBe(ENGINE_CONNECT_MESSAGE);
    expect(child.posted[1].transfer[0]).not.toBe(port);
    engine.transport.close();
  });

  it('reports the exit once, to listeners before and after it', () => {
    const engine = utilityEngine({ entry: 'e.js' });
    const before = vi.fn();
    engine.onExit(before);
    forks[0].child.emit('exit', 3);
    const after = vi.fn();
    engine.onExit(after);
    expect(before).toHaveBeenCalledWith({ code: 3, signal: null });
    expect(after).toHaveBeenCalledWith({ code: 3, signal: null });
    open.push(...forks[0].child.posted.flatMap((p) => p.transfer));
    engine.transport.close();
  });

  it('kills with SIGKILL once the process has a pid, and not after it exited', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const engine = utilityEngine({ entry: 'e.js' });
    const { child } = forks[0];
    open.push(...child.posted.flatMap((p) => p.transfer));
    child.pid = 4242;
    expect(engine.pid).toBe(4242);
    engine.kill();
    expect(kill).toHaveBeenCalledWith(4242, 'SIGKILL');
    child.emit('exit', null);
    kill.mockClear();
    engine.kill();
    expect(kill).not.toHaveBeenCalled();
    expect(child.kill).not.toHaveBeenCalled();
    engine.transport.close();
  });

  it('before the process has a pid, asks Electron to kill it', () => {
    const engine = utilityEngine({ entry: 'e.js' });
    open.push(...forks[0].child.posted.flatMap((p) => p.transfer));
    engine.kill();
    expect(forks[0].child.kill).toHaveBeenCalled();
    engine.transport.close();
  });
});
