import type { StudioClient } from '../../../common/client.js';
import { connect, isDesktop, onEngineRestart, onEngineState, serverAnswers } from './connect.js';

/**
 * connecting: the first connection is being made; connected; reconnecting: the connection dropped
 * and is being made again; lost: it could not be (the advice says what to do); restarting /
 * restarted / failed: under Electron, main's supervisor restarts a crashed engine; unreachable: the
 * page never reached its engine.
 */
export type LinkState =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'lost'
  | 'restarting'
  | 'restarted'
  | 'failed'
  | 'unreachable';

export const LINK_WORDS: Record<LinkState, string> = {
  connecting: 'Connecting to the engine…',
  connected: 'Engine connected',
  reconnecting: 'Reconnecting to the engine…',
  lost: 'Engine lost',
  restarting: 'The engine stopped; restarting it…',
  restarted: 'The engine restarted and is connected again',
  failed: 'The engine failed',
  unreachable: 'Engine not reachable',
};

/** How long a dropped connection is retried before it counts as lost (the engine is then told to be gone). */
export const RECONNECT_MS = 2000;
/** Retries go on while lost, this far apart, in case the engine comes back at the same address. */
const LOST_RETRY_MS = 5000;

/**
 * The one owner of the connection to the engine: makes it, notices when it drops (the WebSocket
 * closes when the engine's process dies), tries again, and says in words what is wrong and what to
 * do. `onclient` is called with each new client (the first, and each one after a reconnect or an
 * engine restart); the studio then reloads what it shows.
 */
export class Connection {
  state = $state<LinkState>('connecting');
  /** What to do about the state, in words; null when nothing needs doing. */
  advice = $state<string | null>(null);
  client = $state.raw<StudioClient | null>(null);
  #onclient: (client: StudioClient) => void | Promise<void> = () => {};
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lostAt = 0;
  #disposed = false;
  /** Which connection is the current one: a close of any other is not a drop. */
  #gen = 0;
  #stopState: () => void = () => {};

  async start(onclient: (client: StudioClient) => void | Promise<void>): Promise<void> {
    this.#onclient = onclient;
    // Under Electron main's supervisor reports the engine process: say so when it crashes.
    this.#stopState = onEngineState((status) => {
      if (status.state === 'crashed' || status.state === 'restarting') {
        this.state = 'restarting';
        this.advice = 'Work in progress is kept; training runs resume from their checkpoints.';
      } else if (status.state === 'failed') {
        this.state = 'failed';
        this.advice = `The engine stopped and could not be restarted (${status.reason ?? 'unknown reason'}). Quit and start the app again.`;
      }
    });
    onEngineRestart((client) => {
      this.#gen++;
      this.#adopt(client);
      this.state = 'restarted';
      this.advice = null;
    });
    try {
      const gen = ++this.#gen;
      const client = await connect(() => this.#dropped(gen));
      this.#adopt(client);
      this.state = 'connected';
      this.advice = null;
    } catch (err) {
      this.state = 'unreachable';
      this.advice = isDesktop()
        ? (err as Error).message
        : `${(err as Error).message}. Open the address \`vae-studio serve\` printed, with its token, and check that it still runs.`;
    }
  }

  #adopt(client: StudioClient): void {
    this.client?.close();
    this.client = client;
    void this.#onclient(client);
  }

  /** The WebSocket closed: try again for a few seconds, then say it is lost and why. */
  #dropped(gen: number): void {
    // A connection this window closed itself (replaced, or the page going) is no loss.
    if (this.#disposed || gen !== this.#gen) return;
    this.state = 'reconnecting';
    this.advice = 'The connection to the engine dropped; trying again…';
    this.#lostAt = performance.now() + RECONNECT_MS;
    this.#retry(500);
  }

  #retry(delay: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#attempt();
    }, delay);
  }

  async #attempt(): Promise<void> {
    if (this.#disposed) return;
    try {
      const gen = this.#gen + 1;
      const client = await connect(() => this.#dropped(gen));
      if (this.#disposed) {
        client.close();
        return;
      }
      this.#gen = gen;
      this.state = 'connected';
      this.advice = null;
      this.#adopt(client);
      return;
    } catch {
      // Not yet: below.
    }
    if (this.#disposed) return;
    if (this.state === 'reconnecting' && performance.now() >= this.#lostAt) {
      const answers = await serverAnswers(800);
      if (this.#disposed) return;
      this.state = 'lost';
      this.advice = answers
        ? 'The engine is running again but refuses this page: it was restarted with a new address. Open the URL `vae-studio serve` printed.'
        : 'The engine stopped. Start it again (`vae-studio serve`) and open the address it prints; work saved in the project is kept.';
    }
    this.#retry(this.state === 'lost' ? LOST_RETRY_MS : 700);
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stopState();
    this.client?.close();
    this.client = null;
  }
}
