import { isDesktop } from './connect.js';
import type { ExportResult, ExportSettings, StudioClient } from './types.js';

/** The export dialog's state: one export at a time, with progress, cancel and the result. */
export class Exporter {
  progress = $state.raw<{ done: number; total: number } | null>(null);
  result = $state.raw<ExportResult | null>(null);
  error = $state<string | null>(null);
  /** Under Electron: the folder the user chose (else the project's exports/). */
  folder = $state<string | null>(null);
  #abort: AbortController | null = null;
  /** This window's export job ('export/<name>'), once the engine has said which it is. */
  #job: string | null = null;

  get running(): boolean {
    return this.#abort !== null;
  }

  /** An export job started: while this window's export waits for its id, the first to start is it. */
  onJob(id: string, kind: string, state: string): void {
    if (this.#abort && this.#job === null && kind === 'export' && state === 'running') this.#job = id;
  }

  /** An export's progress: shown for this window's export only (others may run beside it). */
  onProgress(job: string, done: number, total: number): void {
    if (this.#abort && (this.#job === null || this.#job === job)) this.progress = { done, total };
  }

  async chooseFolder(): Promise<void> {
    if (isDesktop()) this.folder = (await window.vaeStudio!.chooseExportFolder()) ?? this.folder;
  }

  async start(client: StudioClient, settings: ExportSettings): Promise<void> {
    this.error = null;
    this.result = null;
    this.progress = { done: 0, total: 1 };
    const abort = new AbortController();
    this.#abort = abort;
    this.#job = null;
    try {
      this.result = await client
        .with({ signal: abort.signal, timeoutMs: 0 })
        .exportSounds({ ...settings, ...(this.folder ? { folder: this.folder } : {}) });
      // Under Electron the folder opens when the export is done.
      if (isDesktop()) await window.vaeStudio!.showFolder(this.result.folder).catch(() => undefined);
    } catch (err) {
      this.error =
        (err as Error).name === 'AbortError'
          ? 'Export cancelled; the files written so far are kept.'
          : (err as Error).message;
    } finally {
      this.#abort = null;
      this.#job = null;
      this.progress = null;
    }
  }

  cancel(): void {
    this.#abort?.abort();
  }

  /** The browser's way out: the export as a zip download. */
  async download(client: StudioClient, which?: string): Promise<void> {
    const name = which ?? this.result?.name;
    if (!name) return;
    const bytes = await client.getExportZip(name);
    const url = URL.createObjectURL(
      new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
    );
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.zip`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
