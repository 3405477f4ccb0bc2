// A BrowserSession over a message port (docs/design.md, "Backends"): in the desktop app the compute
// page lives in Electron's hidden compute window, and main hands the training worker one end of a
// channel whose other end the page's portChannel (page.ts) holds. Messages travel as the objects
// themselves (structured clone), not as common/codec.ts frames. The session owns the port: close()
// closes it, and a port closed from the other side fails the session.
import type { BrowserSession } from './host.js';
import { Inbox } from './inbox.js';
import type { HostMessage, PageMessage } from './protocol.js';

/** A worker_threads MessagePort, or anything alike (Electron's MessagePortMain bridged to one). */
export interface PortLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off?(event: 'message', listener: (message: unknown) => void): unknown;
  off?(event: 'close', listener: () => void): unknown;
  removeListener?(event: 'message', listener: (message: unknown) => void): unknown;
  removeListener?(event: 'close', listener: () => void): unknown;
  /** Electron's MessagePortMain queues messages until started; worker_threads ports start by themselves. */
  start?(): void;
  close(): void;
}

/** The session over `port`; `browser` is what the app knows of the browser the page runs in. */
export function portSession(port: PortLike, browser: { path: string; version: string }): BrowserSession {
  const inbox = new Inbox<PageMessage>();
  let closed = false;

  const fail = (error: Error) => inbox.fail(error);
  const onMessage = (message: unknown) => {
    if (inbox.failure) return;
    if (
      typeof message !== 'object' ||
      message === null ||
      typeof (message as { type?: unknown }).type !== 'string'
    ) {
      fail(new Error(`the compute page sent a bad message: ${describe(message)}, not an object with a type`));
      return;
    }
    inbox.deliver(message as PageMessage);
  };
  const onClose = () => {
    release();
    fail(new Error('the compute page closed its port'));
  };
  const release = () => {
    if (port.off) {
      port.off('message', onMessage);
      port.off('close', onClose);
    } else if (port.removeListener) {
      port.removeListener('message', onMessage);
      port.removeListener('close', onClose);
    }
  };
  port.on('message', onMessage);
  port.on('close', onClose);
  port.start?.();

  return {
    browser: { ...browser },
    send(message: HostMessage) {
      if (inbox.failure) throw inbox.failure;
      port.postMessage(message);
    },
    receive: (timeoutMs = 0) => inbox.receive(timeoutMs),
    close() {
      fail(new Error('the browser session is closed'));
      if (!closed) {
        closed = true;
        release();
        port.close();
      }
      return Promise.resolve();
    },
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without a string type' : `a ${typeof value}`;
}
