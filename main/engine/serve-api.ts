// The engine's side of the protocol: answers one transport's requests with a StudioApi
// implementation. Every request is validated (protocol.ts) before the engine sees it; a bad one is
// answered with a ProtocolError and the connection goes on. Each call gets a CallContext: an
// AbortSignal that a cancel aborts with an AbortError and the transport closing with a
// DisconnectedError (jobs tell the two apart: only a cancel stops them), and the Connection, which
// owns what the call starts for it (audition streams) and gets the events meant for it alone.
import type { CallContext, Connection, StudioApi, StudioEvent } from '../../common/api.js';
import {
  METHODS,
  parseRequest,
  ProtocolError,
  toWireError,
  type EngineMessage,
} from '../../common/protocol.js';
import type { Transport } from '../../common/transport.js';

/** What serveApi serves: the API, and optionally a source of events to forward. */
export type ServedApi = StudioApi & { onEvent?(listener: (event: StudioEvent) => void): () => void };

export interface ServeApiOptions {
  /** Engine failures that are not the caller's fault (not a ProtocolError, AudioFileError, ...). */
  onInternalError?(error: unknown, method: string): void;
}

export interface ApiConnection {
  /** Aborts the calls in flight and stops listening; the transport is left to its owner. */
  close(): void;
}

/** The reason a call's signal is aborted with when its connection closes. */
export class DisconnectedError extends Error {
  override readonly name = 'DisconnectedError';
  constructor() {
    super('the connection closed');
  }
}

/** Whether a signal was aborted because its connection went away (not by a cancel). */
export function disconnected(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof DisconnectedError;
}

let nextConnection = 1;

/** Error names that describe the request or the user's data, not a bug in the engine. */
const EXPECTED_ERRORS = new Set([
  'ProtocolError',
  'AudioFileError',
  'ProjectError',
  'NoProjectError',
  'AbortError',
]);

export function serveApi(
  engine: ServedApi,
  transport: Transport,
  options: ServeApiOptions = {},
): ApiConnection {
  const inFlight = new Map<number, AbortController>();
  const closeListeners = new Set<() => void>();
  let connectionClosed = false;
  const connection: Connection = {
    id: nextConnection++,
    send: (event) => send({ type: 'event', event }),
    onClose(listener) {
      if (connectionClosed) {
        queueMicrotask(listener);
        return () => {};
      }
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
  };

  const send = (message: EngineMessage) => {
    if (transport.closed) return;
    try {
      transport.send(message);
    } catch (err) {
      // A value the transport cannot carry is the engine's bug; tell the caller rather than hang.
      if (message.type === 'result') {
        send({ id: message.id, type: 'error', error: toWireError(err) });
        options.onInternalError?.(err, 'send');
      }
    }
  };

  const handle = (raw: unknown) => {
    let request;
    try {
      request = parseRequest(raw);
    } catch (err) {
      const id = err instanceof ProtocolError ? err.id : null;
      send({ id, type: 'error', error: toWireError(err) });
      return;
    }
    if (request.type === 'cancel') {
      const controller = inFlight.get(request.id);
      if (controller) {
        inFlight.delete(request.id);
        controller.abort();
        send({ id: request.id, type: 'error', error: { name: 'AbortError', message: 'cancelled' } });
      }
      return;
    }
    const { id, method, args } = request;
    if (inFlight.has(id)) {
      send({
        id,
        type: 'error',
        error: { name: 'ProtocolError', message: `request id ${id} is already in use` },
      });
      return;
    }
    const controller = new AbortController();
    inFlight.set(id, controller);
    const context: CallContext = { signal: controller.signal, connection };
    // The context follows the method's declared parameters, so optional ones are padded.
    const padded = [...args, ...Array(METHODS[method].arity - args.length).fill(undefined), context];
    const fn = engine[method] as (...a: unknown[]) => Promise<unknown>;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(fn.apply(engine, padded));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => {
        if (inFlight.get(id) !== controller) return; // cancelled: the caller has its answer
        inFlight.delete(id);
        send({ id, type: 'result', value });
      },
      (err: unknown) => {
        if (inFlight.get(id) !== controller) return;
        inFlight.delete(id);
        const error = toWireError(err);
        if (!EXPECTED_ERRORS.has(error.name)) options.onInternalError?.(err, method);
        send({ id, type: 'error', error });
      },
    );
  };

  const abortAll = () => {
    for (const controller of inFlight.values()) controller.abort(new DisconnectedError());
    inFlight.clear();
  };

  const unsubscribeMessages = transport.onMessage(handle);
  const unsubscribeEvents = engine.onEvent?.((event) => send({ type: 'event', event }));
  let unsubscribeClose = () => {};
  const close = () => {
    if (connectionClosed) return;
    connectionClosed = true;
    unsubscribeMessages();
    unsubscribeEvents?.();
    unsubscribeClose();
    abortAll();
    for (const listener of [...closeListeners]) {
      try {
        listener();
      } catch (err) {
        options.onInternalError?.(err, 'close');
      }
    }
    closeListeners.clear();
  };
  unsubscribeClose = transport.onClose(close);
  return { close };
}
