// The BrowserSession over a message port, on a real worker_threads MessageChannel: messages come in
// order as the objects themselves, a silent page times out, and a port closed from either side
// fails every receive after it.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { portSession } from './port-session.js';
import type { HostMessage } from './protocol.js';

const browser = { path: '/opt/electron/electron', version: '33.0.0' };
const open: MessagePort[] = [];
afterEach(() => open.splice(0).forEach((p) => p.close()));
function channel() {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  return { host: port1, page: port2 };
}

describe('portSession', () => {
  it('sends and receives the objects themselves, in order', async () => {
    const { host, page } = channel();
    const session = portSession(host, browser);
    expect(session.browser).toEqual(browser);
    const got: HostMessage[] = [];
    page.on('message', (m: HostMessage) => got.push(m));
    session.send({ type: 'matmul', n: 8 });
    session.send({ type: 'cancel' });
    // Sent before anyone waits, and one while a receive waits.
    page.postMessage({ type: 'hello' });
    page.postMessage({ type: 'batch', epoch: 1, done: 1, total: 3 });
    expect(await session.receive(2000)).toEqual({ type: 'hello' });
    expect(await session.receive(2000)).toEqual({ type: 'batch', epoch: 1, done: 1, total: 3 });
    const later = session.receive(2000);
    const values = new Float32Array([1.5, -2, 3]);
    page.postMessage({ type: 'matmul', gflops: 12.5, extra: values });
    const m = (await later) as unknown as { type: string; extra: Float32Array };
    expect(m.type).toBe('matmul');
    expect(m.extra).toBeInstanceOf(Float32Array);
    expect(Array.from(m.extra)).toEqual([1.5, -2, 3]);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([{ type: 'matmul', n: 8 }, { type: 'cancel' }]);
    await session.close();
  });

  it('rejects a receive that waits past its timeout, and the next message still arrives', async () => {
    const { host, page } = channel();
    const session = portSession(host, browser);
    const t0 = Date.now();
    await expect(session.receive(60)).rejects.toThrow(/did not answer within 0.06 s/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    page.postMessage({ type: 'hello' });
    expect(await session.receive(2000)).toEqual({ type: 'hello' });
    await session.close();
  });

  it('fails a waiting receive when the page closes its port, and refuses to send after', async () => {
    const { host, page } = channel();
    const session = portSession(host, browser);
    page.postMessage({ type: 'hello' });
    expect(await session.receive(2000)).toEqual({ type: 'hello' });
    const waiting = session.receive(0);
    page.close();
    await expect(waiting).rejects.toThrow('the compute page closed its port');
    await expect(session.receive(10)).rejects.toThrow('the compute page closed its port');
    expect(() => session.send({ type: 'epoch' })).toThrow('the compute page closed its port');
    await session.close();
  });

  it('close() closes the port: the page sees it and a waiting receive rejects', async () => {
    const { host, page } = channel();
    const session = portSession(host, browser);
    const pageClosed = new Promise<void>((r) => page.once('close', () => r()));
    const waiting = session.receive(0);
    await session.close();
    await expect(waiting).rejects.toThrow('the browser session is closed');
    await pageClosed;
    expect(() => session.send({ type: 'epoch' })).toThrow('the browser session is closed');
  });

  it('fails on a message that is not a protocol object, naming what it was', async () => {
    const { host, page } = channel();
    const session = portSession(host, browser);
    page.postMessage(42);
    await expect(session.receive(2000)).rejects.toThrow(
      'the compute page sent a bad message: a number, not an object with a type',
    );
    await session.close();
  });
});
