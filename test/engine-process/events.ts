import type { StudioEvent } from '../../common/api.js';
import type { StudioClient } from '../../common/client.js';

/** Resolves with the first event `pick` accepts (not undefined), and stops listening. */
export function when<T>(client: StudioClient, pick: (event: StudioEvent) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const stop = client.onEvent((event) => {
      const value = pick(event);
      if (value !== undefined) {
        stop();
        resolve(value);
      }
    });
  });
}
