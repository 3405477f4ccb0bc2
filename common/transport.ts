// How protocol messages travel. One small interface, three carriers:
//   - a MessagePort (Node's worker_threads, the browser's, Electron's MessagePortMain and
//     utilityProcess parentPort): structured clone keeps typed arrays as they are;
//   - Node's child-process IPC channel (fork with serialization 'advanced', which structured-
//     clones too);
//   - a WebSocket (the browser's, or the `ws` package's): binary frames in the codec's format;
//     a text frame closes the connection (see webSocketTransport).
// Only structural types are used here (no Node imports), so the browser's client shares it.
import { CodecError, decodeMessage, encodeMessage } from './codec.js';
import { UndecodableMessage } from './protocol.js';

export interface Transport {
  /** Sends one message. Throws TransportClosedError once closed, CodecError for what cannot be sent. */
  send(message: unknown): void;
  /** Every message received, decoded but not yet validated. Returns the unsubscribe. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Called once, when either side closes or the carrier fails. Returns the unsubscribe. */
  onClose(listener: (reason?: Error) => void): () => void;
  readonly closed: boolean;
  /** Closes this side and releases the carrier's listeners. Idempotent. */
  close(): void;
}

export class TransportClosedError extends Error {
  override readonly name = 'DisconnectedError';
  constructor(message = 'the connection to the engine is closed') {
    super(message);
  }
}

/** The listener bookkeeping every transport shares; `detach` releases the carrier. */
function base(detach: () => void, sendRaw: (message: unknown) => void, closeCarrier: () => void) {
  const messageListeners = new Set<(message: unknown) => void>();
  const closeListeners = new Set<(reason?: Error) => void>();
  let closed = false;

  const finish = (reason?: Error) => {
    if (closed) return;
    closed = true;
    detach();
    for (const listener of [...closeListeners]) listener(reason);
    messageListeners.clear();
    closeListeners.clear();
  };

  const transport: Transport = {
    send(message) {
      if (closed) throw new TransportClosedError();
      sendRaw(message);
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose(listener) {
      if (closed) {
        listener();
        return () => {};
      }
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      try {
        closeCarrier();
      } finally {
        finish();
      }
    },
  };
  const deliver = (message: unknown) => {
    if (closed) return;
    for (const listener of [...messageListeners]) listener(message);
  };
  return { transport, deliver, finish };
}

type Listener = (event: { type?: string; data?: unknown }) => void;

/**
 * A MessagePort of any flavour. Ports with addEventListener (browser, Node's worker_threads)
 * deliver MessageEvents; Electron's MessagePortMain and parentPort are EventEmitters whose
 * 'message' listeners also get an event with `data`.
 */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  start?(): void;
  close?(): void;
  addEventListener?(type: 'message' | 'close', listener: Listener): void;
  removeEventListener?(type: 'message' | 'close', listener: Listener): void;
  on?(type: 'message' | 'close', listener: Listener): unknown;
  off?(type: 'message' | 'close', listener: Listener): unknown;
}

export function messagePortTransport(port: MessagePortLike): Transport {
  const onMessage: Listener = (event) => deliver(event.data);
  const onClose: Listener = () => finish(new TransportClosedError('the other side closed the port'));
  const useEvents = typeof port.addEventListener === 'function';
  const add = (type: 'message' | 'close', listener: Listener) =>
    useEvents ? port.addEventListener!(type, listener) : port.on!(type, listener);
  const remove = (type: 'message' | 'close', listener: Listener) =>
    useEvents ? port.removeEventListener!(type, listener) : port.off!(type, listener);
  if (!useEvents && typeof port.on !== 'function') {
    throw new TypeError('a MessagePort needs addEventListener or on');
  }
  const { transport, deliver, finish } = base(
    () => {
      remove('message', onMessage);
      remove('close', onClose);
    },
    (message) => port.postMessage(message),
    () => port.close?.(),
  );
  add('message', onMessage);
  add('close', onClose);
  port.start?.();
  return transport;
}

/**
 * Node's IPC channel: `process` in a forked child, the ChildProcess in its parent. Both sides must
 * use serialization 'advanced' for typed arrays to survive (fork's option; the child inherits it).
 */
export interface IpcChannelLike {
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(type: 'message' | 'disconnect', listener: (message?: unknown) => void): unknown;
  off(type: 'message' | 'disconnect', listener: (message?: unknown) => void): unknown;
  readonly connected?: boolean;
}

export function ipcTransport(channel: IpcChannelLike, disconnect?: () => void): Transport {
  if (typeof channel.send !== 'function') throw new TypeError('no IPC channel (not started with fork?)');
  const onMessage = (message?: unknown) => deliver(message);
  const onDisconnect = () => finish(new TransportClosedError('the IPC channel was disconnected'));
  const { transport, deliver, finish } = base(
    () => {
      channel.off('message', onMessage);
      channel.off('disconnect', onDisconnect);
    },
    (message) => {
      // A failed send (the other side just died) surfaces as 'disconnect'; without a callback
      // Node would raise it as an 'error' event instead.
      channel.send!(message, () => {});
    },
    () => disconnect?.(),
  );
  channel.on('message', onMessage);
  channel.on('disconnect', onDisconnect);
  if (channel.connected === false) finish(new TransportClosedError('the IPC channel is not connected'));
  return transport;
}

/** What this transport reads from a WebSocket's message, close and error events. */
export interface SocketEvent {
  type?: string;
  data?: unknown;
  code?: number;
  reason?: string;
}

/** The parts of a WebSocket (the browser's or the `ws` package's) this transport uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message' | 'close' | 'error', listener: (event: SocketEvent) => void): void;
  removeEventListener(type: 'message' | 'close' | 'error', listener: (event: SocketEvent) => void): void;
  /**
   * The `ws` package's own 'message' event, whose isBinary tells a text frame apart without
   * decoding it (its addEventListener turns every text frame into a string first). Used where
   * present; the browser's WebSocket has none.
   */
  on?(type: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  off?(type: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
}

export interface WebSocketTransportOptions {
  /** Refuse (unparsed) a received message whose JSON header is longer; default no limit. */
  maxHeaderBytes?: number;
}

const OPEN = 1;

/** The close code for data of a type the endpoint does not accept (RFC 6455, 7.4.1). */
export const UNSUPPORTED_DATA = 1003;
/** The close reason sent with it (at most 123 bytes). */
export const TEXT_FRAME_REFUSED =
  'text frames are not accepted: the VAE Studio API speaks binary frames only';

/**
 * Wraps an open WebSocket. Binary frames that are not our format arrive as UndecodableMessage
 * (the receiver answers them with an error and the connection stays). A text frame is no message
 * of ours at all (the peer speaks another protocol): it is dropped unread, never turned into a
 * string or parsed, and the connection is closed with 1003 "unsupported data" and
 * TEXT_FRAME_REFUSED as the reason, which every WebSocket client reports as it closes. (A browser
 * may close only with 1000 or 3000-4999, so there it closes without a code.)
 */
export function webSocketTransport(
  socket: WebSocketLike,
  options: WebSocketTransportOptions = {},
): Transport {
  socket.binaryType = 'arraybuffer';
  const limits = { maxHeaderBytes: options.maxHeaderBytes };
  const receive = (data: unknown) => {
    let message: unknown;
    try {
      if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) {
        throw new CodecError('an unexpected kind of WebSocket frame');
      }
      message = decodeMessage(data, limits);
    } catch (err) {
      message = new UndecodableMessage(err instanceof Error ? err.message : String(err));
    }
    deliver(message);
  };
  const refuseText = () => {
    if (transport.closed) return;
    try {
      socket.close(UNSUPPORTED_DATA, TEXT_FRAME_REFUSED);
    } catch {
      socket.close();
    }
    finish(new TransportClosedError(`the WebSocket was closed: the other side sent a text frame`));
  };
  // `ws` says whether a frame was text; the browser's gives text frames as strings.
  const onFrame = (data: unknown, isBinary: boolean) => (isBinary ? receive(data) : refuseText());
  const onMessage = (event: SocketEvent) =>
    typeof event.data === 'string' ? refuseText() : receive(event.data);
  const useOn = typeof socket.on === 'function' && typeof socket.off === 'function';
  const onClose = (event: SocketEvent) =>
    finish(
      new TransportClosedError(
        `the WebSocket closed (${event.code ?? 'no code'}${event.reason ? `: ${event.reason}` : ''})`,
      ),
    );
  // Errors are followed by 'close'; listening keeps `ws` from treating them as unhandled.
  const onError = () => {};
  const { transport, deliver, finish } = base(
    () => {
      if (useOn) socket.off!('message', onFrame);
      else socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      socket.removeEventListener('error', onError);
    },
    (message) => {
      if (socket.readyState !== OPEN) throw new TransportClosedError('the WebSocket is not open');
      socket.send(encodeMessage(message));
    },
    () => socket.close(1000, 'closed'),
  );
  if (useOn) socket.on!('message', onFrame);
  else socket.addEventListener('message', onMessage);
  socket.addEventListener('close', onClose);
  socket.addEventListener('error', onError);
  if (socket.readyState !== OPEN) finish(new TransportClosedError('the WebSocket is not open'));
  return transport;
}
