// The page's messages waiting for a BrowserSession's receive(), shared by the WebSocket session
// (host.ts) and the port session (port-session.ts): one receive at a time, in order, with a
// timeout. After fail() nothing more is delivered, and every receive — once the messages that came
// before the failure are taken — rejects with the first failure.
export class Inbox<T> {
  readonly #queue: T[] = [];
  #waiting: { resolve: (m: T) => void; reject: (e: Error) => void } | null = null;
  #failure: Error | null = null;

  /** The first failure, or null while the session is sound. */
  get failure(): Error | null {
    return this.#failure;
  }

  deliver(message: T): void {
    if (this.#failure) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = null;
      w.resolve(message);
    } else this.#queue.push(message);
  }

  fail(error: Error): void {
    this.#failure ??= error;
    const w = this.#waiting;
    this.#waiting = null;
    w?.reject(this.#failure);
  }

  /** The next message; rejects on failure, or after `timeoutMs` (0: no limit). */
  receive(timeoutMs = 0): Promise<T> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift()!);
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiting)
      return Promise.reject(new Error('the browser session is already waiting for a message'));
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#waiting = null;
              reject(new Error(`the compute page did not answer within ${timeoutMs / 1000} s`));
            }, timeoutMs)
          : null;
      this.#waiting = {
        resolve: (m) => {
          if (timer) clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
    });
  }
}
