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

const { utilityEngine, MAX_COMPUTE_WINDOWS } = await import('./utility-engine.js');
const { COMPUTE_CLOSE_MESSAGE, COMPUTE_FAILED_MESSAGE, COMPUTE_OPEN_MESSAGE, COMPUTE_OPENED_MESSAGE } =
  await import('../engine/process-entry-protocol.js');

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

  describe('compute windows', () => {
    /** An engine whose compute windows are fake: each a real channel, its close counted. */
    function withWindows(opening?: () => Promise<{ port: MessagePort; close(): void }>) {
      const windows: { port: MessagePort; page: MessagePort; close: ReturnType<typeof vi.fn> }[] = [];
      const opener =
        opening ??
        (() => {
          const { port1: page, port2: port } = new MessageChannel();
          open.push(page, port);
          const window = { port, page, close: vi.fn() };
          windows.push(window);
          return Promise.resolve(window);
        });
      const engine = utilityEngine({
        entry: 'e.js',
        openComputeWindow: opener as never,
      });
      const { child } = forks[forks.length - 1];
      open.push(...child.posted.flatMap((p) => p.transfer));
      const answers = () => child.posted.slice(1);
      const ask = async (type: string, id: number) => {
        child.emit('message', { type, id });
        await new Promise((r) => setTimeout(r, 0));
      };
      return { engine, child, windows, answers, ask };
    }

    it("answers an open with the window page's port, and closes that window when the engine asks", async () => {
      const { engine, windows, answers, ask } = withWindows();
      await ask(COMPUTE_OPEN_MESSAGE, 7);
      expect(windows).toHaveLength(1);
      expect(answers()).toEqual([
        { message: { type: COMPUTE_OPENED_MESSAGE, id: 7 }, transfer: [windows[0].port] },
      ]);
      await ask(COMPUTE_CLOSE_MESSAGE, 7);
      expect(windows[0].close).toHaveBeenCalledTimes(1);
      // A second close, or one for an id never opened, does nothing.
      await ask(COMPUTE_CLOSE_MESSAGE, 7);
      await ask(COMPUTE_CLOSE_MESSAGE, 8);
      expect(windows[0].close).toHaveBeenCalledTimes(1);
      engine.transport.close();
    });

    it('closes every window it opened when the engine exits', async () => {
      const { engine, child, windows, ask } = withWindows();
      await ask(COMPUTE_OPEN_MESSAGE, 1);
      await ask(COMPUTE_OPEN_MESSAGE, 2);
      child.emit('exit', 0);
      expect(windows.map((w) => w.close.mock.calls.length)).toEqual([1, 1]);
      engine.transport.close();
    });

    it('says why when no window opens, and refuses a duplicate id, too many windows, or an app without them', async () => {
      const failing = withWindows(() => Promise.reject(new Error('GPU process gone')));
      await failing.ask(COMPUTE_OPEN_MESSAGE, 1);
      expect(failing.answers()).toEqual([
        { message: { type: COMPUTE_FAILED_MESSAGE, id: 1, message: 'GPU process gone' }, transfer: [] },
      ]);
      failing.engine.transport.close();

      const busy = withWindows();
      for (let id = 1; id <= MAX_COMPUTE_WINDOWS; id++) await busy.ask(COMPUTE_OPEN_MESSAGE, id);
      await busy.ask(COMPUTE_OPEN_MESSAGE, 1);
      await busy.ask(COMPUTE_OPEN_MESSAGE, 99);
      const refusals = busy
        .answers()
        .filter((a) => (a.message as { type: string }).type === COMPUTE_FAILED_MESSAGE);
      expect(refusals.map((a) => a.message)).toEqual([
        { type: COMPUTE_FAILED_MESSAGE, id: 1, message: 'compute window 1 is already open' },
        {
          type: COMPUTE_FAILED_MESSAGE,
          id: 99,
          message: `${MAX_COMPUTE_WINDOWS} compute windows are open already`,
        },
      ]);
      expect(busy.windows).toHaveLength(MAX_COMPUTE_WINDOWS);
      busy.engine.transport.close();

      const none = utilityEngine({ entry: 'e.js' });
      const { child } = forks[forks.length - 1];
      open.push(...child.posted.flatMap((p) => p.transfer));
      child.emit('message', { type: COMPUTE_OPEN_MESSAGE, id: 3 });
      expect(child.posted.slice(1).map((p) => p.message)).toEqual([
        { type: COMPUTE_FAILED_MESSAGE, id: 3, message: 'this app opens no compute windows' },
      ]);
      none.transport.close();
    });

    it('closes a window the engine gave up on while it opened, and sends no port for it', async () => {
      let finish!: () => void;
      const close = vi.fn();
      const { port1, port2 } = new MessageChannel();
      open.push(port1, port2);
      const { engine, answers, ask } = withWindows(
        () => new Promise((resolve) => (finish = () => resolve({ port: port2, close }))),
      );
      await ask(COMPUTE_OPEN_MESSAGE, 5);
      await ask(COMPUTE_CLOSE_MESSAGE, 5);
      finish();
      await new Promise((r) => setTimeout(r, 0));
      expect(close).toHaveBeenCalledTimes(1);
      expect(answers()).toEqual([]);
      engine.transport.close();
    });

    it('ignores messages that are not compute requests', async () => {
      const { engine, answers, ask, windows } = withWindows();
      await ask('vae-studio:something-else', 1);
      await ask(COMPUTE_OPEN_MESSAGE, Number.NaN);
      expect(answers()).toEqual([]);
      expect(windows).toHaveLength(0);
      engine.transport.close();
    });
  });
});
