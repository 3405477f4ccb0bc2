import type { Hello, ProjectSummary, StudioEvent } from '../../../common/api.js';
import type { StudioClient } from '../../../common/client.js';
import { connect, onEngineRestart } from './connect.js';
import { Player } from './player.js';

export type ConnectionState = 'connecting' | 'connected' | 'restarted' | 'disconnected';

/**
 * The studio's state and the one owner of the connection to the engine. Components read its
 * fields and call its methods; they never talk to the engine themselves.
 */
export class Studio {
  connection = $state<ConnectionState>('connecting');
  hello = $state.raw<Hello | null>(null);
  project = $state.raw<ProjectSummary | null>(null);
  error = $state<string | null>(null);
  playing = $state<string | null>(null);
  readonly player = new Player();
  #client: StudioClient | null = null;
  #unsubscribe: () => void = () => {};

  async start(): Promise<void> {
    this.player.onEnded = () => (this.playing = null);
    onEngineRestart((client) => {
      this.#adopt(client);
      this.connection = 'restarted';
      void this.#load();
    });
    try {
      this.#adopt(await connect());
      this.connection = 'connected';
      await this.#load();
    } catch (err) {
      this.connection = 'disconnected';
      this.error = (err as Error).message;
    }
  }

  #adopt(client: StudioClient): void {
    this.#unsubscribe();
    this.#client?.close();
    this.#client = client;
    this.#unsubscribe = client.onEvent((event: StudioEvent) => {
      if (event.type === 'project') this.project = event.project;
    });
  }

  async #load(): Promise<void> {
    const client = this.#client!;
    this.hello = await client.hello();
    this.project = await client.openProject();
  }

  async play(sourceId: string): Promise<void> {
    if (!this.#client) return;
    this.error = null;
    try {
      const audio = await this.#client.getSourceAudio(sourceId);
      await this.player.play(audio.samples, audio.sampleRate);
      this.playing = sourceId;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  stop(): void {
    this.player.stop();
    this.playing = null;
  }

  dispose(): void {
    this.#unsubscribe();
    this.#client?.close();
    void this.player.dispose();
  }
}
