import type { Player } from './player.js';
import type { ProjectSummary, SourceInfo, StudioClient } from './types.js';
import type { ChosenSound } from '../../../main/electron/preload-api.js';

/** Files bigger than this go up in pieces (the API takes at most 64 MiB in one message). */
const UPLOAD_ABOVE_BYTES = 32 * 1024 * 1024;
/** Each piece: at most the API's MAX_UPLOAD_CHUNK_BYTES. */
const UPLOAD_PIECE_BYTES = 8 * 1024 * 1024;

export interface SoundDetail {
  id: string;
  audio: { samples: Float32Array; sampleRate: number };
  frames: { frames: number; bins: number; data: Float32Array; hopSeconds: number };
}

/** A refusal of one file, shown next to the import that caused it. */
export interface ImportProblem {
  file: string;
  reason: string;
}

/**
 * The project's sounds as the sidebar and the sound view use them: playing one, the one shown
 * (waveform and spectrogram), imports and recordings with their refusals, renaming and removing.
 * Errors are kept here, next to what caused them.
 */
export class Sounds {
  /** The source playing, by id. */
  playing = $state<string | null>(null);
  /** The sound shown in the stage's sound view. */
  detail = $state.raw<SoundDetail | null>(null);
  loading = $state<string | null>(null);
  /** Files the last imports refused, each with the reason (the rest of the project is untouched). */
  problems = $state<ImportProblem[]>([]);
  importing = $state(0);
  /** A big file going up in pieces: its name and how many of its bytes have gone (null when none). */
  upload = $state<{ file: string; sent: number; total: number } | null>(null);
  #cancelUpload = false;
  /** What went wrong with a sound's play, rename or removal, with the sound's id. */
  error = $state<{ id: string | null; message: string } | null>(null);
  readonly #player: Player;

  constructor(player: Player) {
    this.#player = player;
  }

  async play(client: StudioClient, id: string, offset = 0): Promise<void> {
    this.error = null;
    try {
      const audio = this.detail?.id === id ? this.detail.audio : await client.getSourceAudio(id);
      await this.#player.play(audio.samples, audio.sampleRate, { offset });
      this.playing = id;
    } catch (err) {
      this.error = { id, message: (err as Error).message };
    }
  }

  stop(): void {
    if (this.playing) this.#player.stop();
    this.playing = null;
  }

  /** Loads a sound's audio and frames for the sound view. */
  async show(client: StudioClient, id: string): Promise<void> {
    if (this.detail?.id === id) return;
    this.loading = id;
    try {
      const [audio, frames] = await Promise.all([client.getSourceAudio(id), client.getSourceFrames(id)]);
      if (this.loading === id) this.detail = { id, audio, frames };
    } catch (err) {
      this.error = { id, message: (err as Error).message };
    } finally {
      if (this.loading === id) this.loading = null;
    }
  }

  /** Forgets a shown sound that the project no longer has. */
  sync(project: ProjectSummary): void {
    if (this.detail && !project.sources.some((s) => s.id === this.detail!.id)) this.detail = null;
    if (this.playing && !project.sources.some((s) => s.id === this.playing)) this.stop();
  }

  async rename(client: StudioClient, id: string, name: string): Promise<SourceInfo | null> {
    this.error = null;
    try {
      return await client.renameSource(id, name);
    } catch (err) {
      this.error = { id, message: (err as Error).message };
      return null;
    }
  }

  async remove(client: StudioClient, id: string): Promise<boolean> {
    this.error = null;
    try {
      if (this.playing === id) this.stop();
      await client.removeSource(id);
      if (this.detail?.id === id) this.detail = null;
      return true;
    } catch (err) {
      this.error = { id, message: (err as Error).message };
      return false;
    }
  }

  /**
   * Imports audio files (from a picker or a drop) one after another; refusals are listed, not thrown.
   * `ask` is asked before a file whose content the project has already (under `existing`'s name).
   */
  async importFiles(
    client: StudioClient,
    files: Iterable<File>,
    ask: (file: string, existing: string) => boolean,
    known: () => SourceInfo[],
  ): Promise<void> {
    const list = [...files];
    this.importing += list.length;
    for (const file of list) {
      try {
        if (file.size > UPLOAD_ABOVE_BYTES) {
          await this.#uploadFile(client, file);
          this.problems = this.problems.filter((p) => p.file !== file.name);
          continue;
        }
        const bytes = new Uint8Array(await file.arrayBuffer());
        const same = known().length > 0 ? await client.findSource(await contentHash(bytes)) : null;
        if (same && !ask(file.name, same.name)) {
          this.problems = [
            ...this.problems.filter((p) => p.file !== file.name),
            {
              file: file.name,
              reason: `not imported: the same sound as ${same.name}, already in the project`,
            },
          ];
          continue;
        }
        await client.importSource(file.name, bytes);
        this.problems = this.problems.filter((p) => p.file !== file.name);
      } catch (err) {
        const reason = (err as Error).message.replace(new RegExp(`^.*?${escapeRegExp(file.name)}: `), '');
        this.problems = [...this.problems.filter((p) => p.file !== file.name), { file: file.name, reason }];
      } finally {
        this.importing--;
      }
    }
  }

  /**
   * Imports the files picked in Electron's native import dialog BY PATH (StudioApi.importPath): main
   * granted each to the engine, which copies and decodes it from the disk with no size cap, so the
   * page never reads their bytes. Picks main could not take, and refusals, are listed, not thrown.
   * (No duplicate question here: that needs the content hash of bytes the page does not read.)
   */
  async importChosen(client: StudioClient, chosen: readonly ChosenSound[]): Promise<void> {
    this.importing += chosen.length;
    for (const sound of chosen) {
      try {
        if ('error' in sound) throw new Error(sound.error);
        await client.importPath(sound.path);
        this.problems = this.problems.filter((p) => p.file !== sound.name);
      } catch (err) {
        // The engine's errors start with the file's name or path; the list names the file already.
        const reason = (err as Error).message.replace(new RegExp(`^.*?${escapeRegExp(sound.name)}: `), '');
        this.problems = [...this.problems.filter((p) => p.file !== sound.name), { file: sound.name, reason }];
      } finally {
        this.importing--;
      }
    }
  }

  /** Stops the upload in progress; the engine keeps nothing of it. */
  cancelUpload(): void {
    if (this.upload) this.#cancelUpload = true;
  }

  /**
   * A file too big for one message goes up in pieces read from the disk one at a time (the page
   * never holds it whole), with progress; the engine decodes and checks it when all has arrived.
   */
  async #uploadFile(client: StudioClient, file: File): Promise<void> {
    this.#cancelUpload = false;
    this.upload = { file: file.name, sent: 0, total: file.size };
    const token = await client.beginUpload(file.name, file.size);
    try {
      for (let at = 0; at < file.size; at += UPLOAD_PIECE_BYTES) {
        if (this.#cancelUpload) throw new Error(`${file.name}: cancelled`);
        const piece = new Uint8Array(await file.slice(at, at + UPLOAD_PIECE_BYTES).arrayBuffer());
        await client.uploadChunk(token, at, piece);
        this.upload = { file: file.name, sent: at + piece.length, total: file.size };
      }
      await client.finishUpload(token);
    } catch (err) {
      await client.cancelUpload(token).catch(() => undefined);
      throw err;
    } finally {
      this.upload = null;
    }
  }

  /** Adds a microphone recording to the project (the engine trims its silence). */
  async addRecording(
    client: StudioClient,
    samples: Float32Array,
    sampleRate: number,
    taken: string[],
  ): Promise<void> {
    const names = new Set(taken);
    let n = 1;
    while (names.has(`recording ${n}.wav`)) n++;
    const name = `recording ${n}.wav`;
    try {
      await client.importRecording(name, samples, sampleRate);
    } catch (err) {
      this.problems = [
        ...this.problems,
        { file: name, reason: (err as Error).message.replace(/^.*?\.wav: /, '') },
      ];
    }
  }

  dismissProblems(): void {
    this.problems = [];
  }
}

/** Hex SHA-256 of bytes (the browser's digest; content, not names, decides what is a duplicate). */
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
