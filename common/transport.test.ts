import { describe, expect, it } from 'vitest';
import { encodeMessage } from './codec.js';
import { UndecodableMessage } from './protocol.js';
import {
  TEXT_FRAME_REFUSED,
  UNSUPPORTED_DATA,
  webSocketTransport,
  type SocketEvent,
  type WebSocketLike,
} from './transport.js';

type Listener = (event: SocketEvent) => void;

/** A browser-like WebSocket: addEventListener only, text frames as strings. */
function fakeSocket(options: { browserCloseCodes?: boolean } = {}) {
  const listeners = new Map<string, Set<Listener>>();
  const closes: [number | undefined, string | undefined][] = [];
  const socket: WebSocketLike & { readyState: number } = {
    binaryType: 'blob',
    readyState: 1,
    send() {},
    close(code?: number, reason?: string) {
      // The browser throws InvalidAccessError for any code but 1000 and 3000-4999.
      if (options.browserCloseCodes && code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
        throw new Error('InvalidAccessError');
      }
      closes.push([code, reason]);
      socket.readyState = 2;
    },
    addEventListener(type, listener) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(listener);
    },
    removeEventListener(type, listener) {
      listeners.get(type)?.delete(listener);
    },
  };
  const emit = (type: string, event: SocketEvent) => {
    for (const listener of [...(listeners.get(type) ?? [])]) listener(event);
  };
  const count = () => [...listeners.values()].reduce((n, set) => n + set.size, 0);
  return { socket, emit, closes, count };
}

describe('webSocketTransport', () => {
  it('delivers binary frames decoded, and frames that are not ours as UndecodableMessage', () => {
    const { socket, emit } = fakeSocket();
    const transport = webSocketTransport(socket, { maxHeaderBytes: 100 });
    expect(socket.binaryType).toBe('arraybuffer');
    const got: unknown[] = [];
    transport.onMessage((m) => got.push(m));
    emit('message', { data: encodeMessage({ id: 1, samples: new Float32Array([0.5]) }).buffer });
    emit('message', { data: new Uint8Array([1, 2, 3]) });
    emit('message', { data: encodeMessage({ id: 2, name: 'x'.repeat(100) }) });
    expect(got[0]).toEqual({ id: 1, samples: new Float32Array([0.5]) });
    expect(got[1]).toEqual(new UndecodableMessage('not a VAE Studio message (bad magic)'));
    expect(got[2]).toBeInstanceOf(UndecodableMessage);
    expect((got[2] as UndecodableMessage).reason).toMatch(/^message header too large/);
    expect(transport.closed).toBe(false);
  });

  it('closes on a text frame with 1003 and the reason, delivering nothing more', () => {
    const { socket, emit, closes, count } = fakeSocket();
    const transport = webSocketTransport(socket);
    const got: unknown[] = [];
    const reasons: (Error | undefined)[] = [];
    transport.onMessage((m) => got.push(m));
    transport.onClose((reason) => reasons.push(reason));
    emit('message', { data: '{"id":1,"type":"call","method":"hello","args":[]}' });
    emit('message', { data: encodeMessage({ id: 2 }) });
    expect(got).toEqual([]);
    expect(closes).toEqual([[UNSUPPORTED_DATA, TEXT_FRAME_REFUSED]]);
    expect(new TextEncoder().encode(TEXT_FRAME_REFUSED).length).toBeLessThanOrEqual(123);
    expect(transport.closed).toBe(true);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({
      name: 'DisconnectedError',
      message: expect.stringMatching(/text frame/),
    });
    expect(count()).toBe(0);
  });

  it('closes without a code where the WebSocket may not send 1003 (a browser)', () => {
    const { socket, emit, closes } = fakeSocket({ browserCloseCodes: true });
    const transport = webSocketTransport(socket);
    emit('message', { data: 'hello' });
    expect(closes).toEqual([[undefined, undefined]]);
    expect(transport.closed).toBe(true);
  });
});
