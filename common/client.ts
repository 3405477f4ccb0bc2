// The UI's side of the API: a typed StudioApi whose calls travel over a Transport. Imports
// nothing from Node, so the renderer uses it as is.
import type { ErrorName, StudioApi, StudioEvent, StudioMethod } from './api.js';
import { METHODS, messageSize, parseEngineMessage, STUDIO_METHODS } from './protocol.js';
import type { Transport } from './transport.js';

export interface CallOptions {
  /** Aborting it rejects the call with an AbortError and tells the engine to stop. */
  signal?: AbortSignal;
  /** Overrides the client's time limit for these calls (milliseconds; 0 for none). */
  timeoutMs?: number;
}

export interface StudioClient extends StudioApi {
  /** Every event the engine sends. Returns the unsubscribe. */
  onEvent(listener: (event: StudioEvent) => void): () => void;
  /** The same API with a signal and/or time limit applied to every call made through it. */
  with(options: CallOptions): StudioApi;
  /** Rejects every pending call with a DisconnectedError and closes the transport. */
  close(): void;
  readonly closed: boolean;
}

export interface ClientOptions {
  /** Time limit per call, in milliseconds; 0 for none. Default 60 s. */
  timeoutMs?: number;
}

/** An error the engine (or this client) reported; `name` is one of ErrorName or the engine's own. */
export class StudioError extends Error {
  constructor(name: ErrorName | string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Undoes the timer and the signal listener. */
  cleanup(): void;
}

export function createClient(transport: Transport, options: ClientOptions = {}): StudioClient {
  const defaultTimeout = options.timeoutMs ?? 60_000;
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: StudioEvent) => void>();
  let nextId = 1;
  let closed = false;

  const settle = (id: number): Pending | undefined => {
    const entry = pending.get(id);
    if (!entry) return undefined;
    pending.delete(id);
    entry.cleanup();
    return entry;
  };

  const failAll = (error: Error) => {
    for (const id of [...pending.keys()]) settle(id)?.reject(error);
  };

  const unsubscribeMessages = transport.onMessage((raw) => {
    const message = parseEngineMessage(raw);
    // Not from our engine, or the answer to a call this client already gave up on: ignore it.
    if (!message) return;
    if (message.type === 'event') {
      for (const listener of [...eventListeners]) listener(message.event);
    } else if (message.type === 'result') {
      settle(message.id)?.resolve(message.value);
    } else if (message.id !== null) {
      settle(message.id)?.reject(new StudioError(message.error.name, message.error.message));
    }
  });

  let unsubscribeClose = () => {};
  const shutdown = (error: Error) => {
    if (closed) return;
    closed = true;
    unsubscribeMessages();
    unsubscribeClose();
    failAll(error);
    eventListeners.clear();
  };

  unsubscribeClose = transport.onClose((reason) =>
    shutdown(new StudioError('DisconnectedError', reason?.message ?? 'the connection to the engine closed')),
  );

  const call = (method: StudioMethod, args: unknown[], callOptions: CallOptions): Promise<unknown> => {
    if (closed) {
      return Promise.reject(new StudioError('DisconnectedError', 'the client is closed'));
    }
    const { signal } = callOptions;
    if (signal?.aborted) return Promise.reject(abortError(method));
    // Trailing undefined arguments are left out, as if the caller had not passed them.
    let count = args.length;
    while (count > 0 && args[count - 1] === undefined) count--;
    const message = { id: nextId++, type: 'call' as const, method, args: args.slice(0, count) };
    // Refused here too, so an oversized import fails at once instead of after the upload.
    const size = messageSize(message);
    if (size > METHODS[method].maxBytes) {
      return Promise.reject(
        new StudioError(
          'ProtocolError',
          `${method}: request too large (${size} bytes; the limit is ${METHODS[method].maxBytes})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = callOptions.timeoutMs ?? defaultTimeout;
      const cancel = (error: Error) => {
        if (!settle(message.id)) return;
        reject(error);
        try {
          transport.send({ id: message.id, type: 'cancel' });
        } catch {
          // Closed meanwhile: the engine has dropped the call anyway.
        }
      };
      const onAbort = () => cancel(abortError(method));
      const timer =
        timeoutMs > 0
          ? setTimeout(
              () => cancel(new StudioError('TimeoutError', `${method}: no answer within ${timeoutMs} ms`)),
              timeoutMs,
            )
          : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(message.id, {
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
      try {
        transport.send(message);
      } catch (err) {
        settle(message.id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  };

  const api = (callOptions: CallOptions): StudioApi => {
    const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of STUDIO_METHODS) {
      methods[method] = (...args) => call(method, args, callOptions);
    }
    return methods as unknown as StudioApi;
  };

  return {
    ...api({}),
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    with: api,
    close() {
      shutdown(new StudioError('DisconnectedError', 'the client was closed'));
      transport.close();
    },
    get closed() {
      return closed;
    },
  };
}

function abortError(method: StudioMethod): StudioError {
  return new StudioError('AbortError', `${method}: cancelled`);
}
