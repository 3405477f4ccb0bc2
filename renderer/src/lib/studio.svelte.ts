import type { Hello, ProjectSummary, RecentProject, StudioEvent } from '../../../common/api.js';
import type { StudioClient } from '../../../common/client.js';
import { connect, isDesktop, onEngineRestart, onEngineState } from './connect.js';
import { Explorer } from './explore.svelte.js';
import { Exporter } from './exporter.svelte.js';
import { PointEditor, project, unproject } from './point.svelte.js';
import { Player } from './player.js';
import { TrainingSession } from './training.svelte.js';
import type { ExportSettings, ResynthOptions, TrainSettings } from './types.js';

export type ConnectionState =
  'connecting' | 'connected' | 'restarting' | 'restarted' | 'failed' | 'disconnected';

/**
 * The studio's state and the one owner of the connection to the engine. Components read its
 * fields and call its methods; they never talk to the engine themselves.
 */
export class Studio {
  connection = $state<ConnectionState>('connecting');
  hello = $state.raw<Hello | null>(null);
  recent = $state.raw<RecentProject[]>([]);
  project = $state.raw<ProjectSummary | null>(null);
  error = $state<string | null>(null);
  playing = $state<string | null>(null);
  /** The source whose waveform and spectrogram are shown. */
  detail = $state.raw<{
    id: string;
    name: string;
    audio: { samples: Float32Array; sampleRate: number };
    frames: { frames: number; bins: number; data: Float32Array; hopSeconds: number };
  } | null>(null);
  /** The last batch of random sounds, and which of them plays. */
  samples = $state.raw<{ samples: Float32Array; sampleRate: number }[]>([]);
  sampling = $state(false);
  /** The resynthesis screen: the last result (B), whether it is being made, which of A/B plays. */
  resynth = $state.raw<{ source: string; samples: Float32Array; sampleRate: number } | null>(null);
  resynthesizing = $state(false);
  playingAB = $state<'A' | 'B' | null>(null);
  playingSample = $state<number | null>(null);
  /** Files the last imports refused, each with the reason (the rest of the project is untouched). */
  problems = $state<{ file: string; reason: string }[]>([]);
  importing = $state(0);
  /** A folder that holds no project yet: the page asks before making one there. */
  createAsk = $state<string | null>(null);
  readonly player = new Player();
  readonly training = new TrainingSession();
  readonly explorer = new Explorer();
  readonly exporter = new Exporter();
  readonly point = new PointEditor();
  /** The point before a slider started moving: one undo step per drag. */
  #dragFrom: Float32Array | null = null;
  readonly desktop = isDesktop();
  #client: StudioClient | null = null;
  #unsubscribe: () => void = () => {};

  async start(): Promise<void> {
    this.player.onEnded = () => {
      this.playing = null;
      this.playingAB = null;
      this.playingSample = null;
    };
    // Under Electron main's supervisor reports the engine process: say so when it crashes.
    onEngineState((status) => {
      if (status.state === 'crashed' || status.state === 'restarting') this.connection = 'restarting';
      else if (status.state === 'failed') {
        this.connection = 'failed';
        this.error = `The engine stopped and could not be restarted: ${status.reason ?? 'unknown reason'}`;
      }
    });
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
      if (event.type === 'project') {
        const moved = this.project?.path !== event.project.path;
        this.project = event.project;
        this.explorer.forget();
        // Another window opened another project (the engine has one): show its runs.
        if (moved) void this.training.load(client, event.project.path).catch(() => undefined);
      } else if (event.type === 'progress' && event.job.startsWith('export/')) {
        this.exporter.onProgress(event.job, event.done, event.total);
      } else if (event.type === 'job') {
        this.exporter.onJob(event.job.id, event.job.kind, event.job.state);
        this.training.onJob(client, event.job);
      } else if (event.type === 'audition') {
        this.explorer.onEnded(event.stream, event.reason);
      } else if (event.type === 'audio') {
        this.explorer.onAudio(event.stream, event.samples, event.echo, event.trace, event.echoAt);
      } else if (event.type === 'training') {
        this.training.onEvent(event.run, event.report, event.batch, event.preview);
        // The engine sends a run's end after recording it: now the list of resumable runs is current.
        if (event.run.status !== 'running') void this.training.refresh(client).catch(() => undefined);
      }
    });
  }

  async #load(): Promise<void> {
    const client = this.#client!;
    this.hello = await client.hello();
    await this.#switch(() => client.openProject(this.project?.path));
  }

  /**
   * Opens another project: the explorer, details and results of the last one are let go, and a run
   * training in the new one is shown. `refused` may take an error over (true: handled).
   */
  async #switch(
    open: () => Promise<ProjectSummary>,
    refused: (err: Error) => boolean = () => false,
  ): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const opened = await open();
      if (this.explorer.audition) await this.explorer.stopAudition(client);
      this.project = opened;
      this.error = null;
      this.explorer.close();
      this.explorer.forget();
      this.detail = null;
      this.resynth = null;
      this.samples = [];
      this.recent = await client.recentProjects();
      await this.training.load(client, this.project.path);
    } catch (err) {
      if (!refused(err as Error)) this.error = (err as Error).message;
    }
  }

  async newProject(name: string): Promise<void> {
    const client = this.#client;
    if (client) await this.#switch(() => client.newProject(name));
  }

  /** Opens a project by its folder; a folder with no project yet is asked about first (createAsk). */
  async openProject(path: string): Promise<void> {
    const client = this.#client;
    this.createAsk = null;
    if (client)
      await this.#switch(
        () => client.openProject(path),
        (err) => {
          if (err.name !== 'NoProjectError') return false;
          this.createAsk = path;
          return true;
        },
      );
  }

  /** The answer to "Create a project here?": yes makes and opens it; no leaves everything as it was. */
  async answerCreate(create: boolean): Promise<void> {
    const path = this.createAsk;
    const client = this.#client;
    this.createAsk = null;
    if (create && path && client) await this.#switch(() => client.openProject(path, { create: true }));
  }

  /** Under Electron: the native folder picker. */
  async chooseProject(): Promise<void> {
    const path = await window.vaeStudio?.chooseProjectFolder();
    if (path) await this.openProject(path);
  }

  async explore(model: string): Promise<void> {
    if (!this.#client) return;
    await this.explorer.open(this.#client, model);
    if (this.explorer.map) await this.point.open(this.#client, this.explorer.map);
  }

  /** The edited point on the map (its projection). */
  get cursor(): [number, number] {
    const map = this.explorer.map;
    return map && this.point.z.length === map.mean.length ? project(map, this.point.z) : [0, 0];
  }

  /** A click or a key on the map moves the edited point there (other components at the mean). */
  moveCursor(p1: number, p2: number): void {
    const map = this.explorer.map;
    if (map) this.point.set(unproject(map, p1, p2));
  }

  /** A slider: `live` while it moves, then once more when let go (one undo step). */
  changePoint(z: Float32Array, live: boolean): void {
    if (live) {
      this.#dragFrom ??= this.point.z;
      this.point.preview(z);
      const audition = this.explorer.audition;
      if (audition && this.#client)
        void this.#client.moveAuditionTo(audition.stream, z, performance.now()).catch(() => undefined);
    } else {
      this.point.set(z, this.#dragFrom ?? this.point.z);
      this.#dragFrom = null;
    }
  }

  async hearPoint(): Promise<void> {
    const model = this.explorer.model;
    if (!this.#client || !model) return;
    try {
      const audio = await this.#client.renderLatent(model, this.point.z, 1);
      await this.player.play(audio.samples, audio.sampleRate);
      this.explorer.hearing = 'the edited point';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async exportSnapshotPath(): Promise<void> {
    const model = this.explorer.model;
    if (!this.#client || !model) return;
    await this.exporter.start(this.#client, {
      model,
      kind: 'path',
      latents: this.point.snapshots.map((s) => s.z),
      seconds: 1,
      bitDepth: '16',
      normalize: 'peak',
      name: 'snapshot path',
    });
  }

  async playFrame(index: number): Promise<void> {
    if (!this.#client) return;
    await this.explorer.playFrame(this.#client, this.player, index);
    this.playing = null;
  }

  async playPoint(p1: number, p2: number): Promise<void> {
    if (!this.#client) return;
    await this.explorer.playPoint(this.#client, this.player, p1, p2);
    this.playing = null;
  }

  async setLiveAudition(on: boolean, p1 = 0, p2 = 0): Promise<void> {
    if (!this.#client) return;
    if (on) await this.explorer.startAudition(this.#client, this.player, p1, p2);
    else await this.explorer.stopAudition(this.#client);
  }

  /** `eventTime`: the pointer or key event's timeStamp (performance.now()'s clock). */
  auditionMove(p1: number, p2: number, eventTime: number): void {
    if (this.#client) this.explorer.moveAudition(this.#client, p1, p2, eventTime);
  }

  async exportSounds(settings: ExportSettings): Promise<void> {
    if (this.#client) await this.exporter.start(this.#client, settings);
  }

  async downloadExport(): Promise<void> {
    if (!this.#client) return;
    try {
      await this.exporter.download(this.#client);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async train(settings: TrainSettings): Promise<void> {
    if (this.#client) await this.training.start(this.#client, settings);
  }

  /** Cancels the run the training panel shows, whichever window started it. */
  async cancelTraining(): Promise<void> {
    if (this.#client) await this.training.cancel(this.#client);
  }

  async resumeTraining(model: string): Promise<void> {
    if (this.#client) await this.training.resume(this.#client, model);
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

  async showSource(id: string): Promise<void> {
    if (!this.#client || !this.project) return;
    if (this.detail?.id === id) {
      this.detail = null;
      return;
    }
    try {
      const name = this.project.sources.find((s) => s.id === id)?.name ?? id;
      const [audio, frames] = await Promise.all([
        this.#client.getSourceAudio(id),
        this.#client.getSourceFrames(id),
      ]);
      this.detail = { id, name, audio, frames };
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async renameModel(id: string, name: string): Promise<void> {
    if (!this.#client) return;
    try {
      const renamed = await this.#client.renameModel(id, name);
      if (this.explorer.model === id) await this.explore(renamed);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async deleteModel(id: string): Promise<void> {
    if (!this.#client) return;
    try {
      if (this.explorer.model === id) await this.explorer.stopAudition(this.#client);
      await this.#client.deleteModel(id);
      if (this.explorer.model === id) this.explorer.close();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async resynthesize(source: string, options: ResynthOptions): Promise<void> {
    const model = this.explorer.model;
    if (!this.#client || !model) return;
    this.resynthesizing = true;
    try {
      const audio = await this.#client.with({ timeoutMs: 0 }).resynthesize(model, source, options);
      this.resynth = { source, ...audio };
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.resynthesizing = false;
    }
  }

  /** The last resynthesis in words: which sound, how long, how loud. */
  get resynthSummary(): string | null {
    const r = this.resynth;
    if (!r) return null;
    let sum = 0;
    for (const v of r.samples) sum += v * v;
    const rms = Math.sqrt(sum / Math.max(1, r.samples.length));
    const name = this.project?.sources.find((s) => s.id === r.source)?.name ?? r.source;
    return `${name}: ${(r.samples.length / r.sampleRate).toFixed(2)} s, RMS ${rms > 0 ? (20 * Math.log10(rms)).toFixed(1) : '−∞'} dBFS`;
  }

  /** A/B: the original recording, or its resynthesis. */
  async playAB(which: 'A' | 'B', source: string): Promise<void> {
    if (!this.#client) return;
    const audio = which === 'A' ? await this.#client.getSourceAudio(source) : this.resynth;
    if (!audio) return;
    await this.player.play(audio.samples, audio.sampleRate);
    this.playing = null;
    this.playingAB = which;
  }

  async sample(count: number, seconds: number, temperature: number, seed: number): Promise<void> {
    const model = this.explorer.model;
    if (!this.#client || !model) return;
    this.sampling = true;
    try {
      this.samples = await this.#client
        .with({ timeoutMs: 0 })
        .sample(model, count, seconds, temperature, seed);
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.sampling = false;
    }
  }

  async playSample(index: number): Promise<void> {
    const s = this.samples[index];
    if (!s) return;
    await this.player.play(s.samples, s.sampleRate);
    this.playingSample = index;
    this.playing = null;
  }

  /** Adds a microphone recording to the project (the engine trims its silence). */
  async addRecording(samples: Float32Array, sampleRate: number): Promise<void> {
    if (!this.#client || !this.project) return;
    const taken = new Set(this.project.sources.map((s) => s.name));
    let n = 1;
    while (taken.has(`recording ${n}.wav`)) n++;
    const name = `recording ${n}.wav`;
    try {
      await this.#client.importRecording(name, samples, sampleRate);
      this.project = await this.#client.openProject(this.project.path);
    } catch (err) {
      this.problems = [
        ...this.problems,
        { file: name, reason: (err as Error).message.replace(/^.*?\.wav: /, '') },
      ];
    }
  }

  /** Imports WAV files (from a picker or a drop) one after another; refusals are listed, not thrown. */
  async importFiles(files: Iterable<File>): Promise<void> {
    if (!this.#client) return;
    const list = [...files];
    this.importing += list.length;
    try {
      for (const file of list) {
        try {
          await this.#client.importSource(file.name, new Uint8Array(await file.arrayBuffer()));
          this.problems = this.problems.filter((p) => p.file !== file.name);
        } catch (err) {
          const reason = (err as Error).message.replace(new RegExp(`^.*?${escapeRegExp(file.name)}: `), '');
          this.problems = [...this.problems.filter((p) => p.file !== file.name), { file: file.name, reason }];
        } finally {
          this.importing--;
        }
      }
      this.project = await this.#client.openProject(this.project?.path);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  dismissProblems(): void {
    this.problems = [];
  }

  stop(): void {
    this.player.stop();
    this.playing = null;
  }

  dispose(): void {
    if (this.#client) void this.explorer.stopAudition(this.#client);
    this.#unsubscribe();
    this.#client?.close();
    void this.player.dispose();
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
