import {
  GENERATED_SOUND,
  type Hello,
  type ProjectSummary,
  type RecentProject,
  type StudioEvent,
} from '../../../common/api.js';
import type { StudioClient } from '../../../common/client.js';
import { isDesktop } from './connect.js';
import { Connection } from './connection.svelte.js';
import { Explorer } from './explore.svelte.js';
import { Exporter } from './exporter.svelte.js';
import { Listening } from './listen.svelte.js';
import { ModelRecords } from './models.svelte.js';
import { PointEditor, project, unproject } from './point.svelte.js';
import { Player } from './player.js';
import {
  loadApp,
  loadProject,
  saveApp,
  saveProject,
  type AppSettings,
  type InspectorView,
  type ProjectSettings,
  type StageView,
} from './settings.js';
import { Sounds } from './sounds.svelte.js';
import { TrainingSession } from './training.svelte.js';
import type { ExportSettings, ResynthOptions, TrainSettings } from './types.js';

/** How soon after a change the app's settings are written (a drag writes once, at its end). */
const SAVE_DELAY_MS = 250;
/** Seconds of sound a slider drag or a snapshot step plays when live audition is off. */
const STEP_SECONDS = 0.6;

/**
 * The studio: the one owner of the connection's client, the project shown, what is selected (the
 * stage's view, the inspector's), and the app's settings that bring them back after a reload.
 * Each concern keeps its own state class (sounds, training, the explorer and its point, listening,
 * exports, model records); components read their fields and call the studio's methods, never the
 * engine themselves.
 */
export class Studio {
  readonly link = new Connection();
  hello = $state.raw<Hello | null>(null);
  recent = $state.raw<RecentProject[]>([]);
  project = $state.raw<ProjectSummary | null>(null);
  /** A failure that belongs to no one area (opening a project, ...). */
  error = $state<string | null>(null);
  /** A folder that holds no project yet: the page asks before making one there. */
  createAsk = $state<string | null>(null);
  stage = $state<StageView>('map');
  inspector = $state<InspectorView>('point');
  /** The model the model inspector shows. */
  inspected = $state<string | null>(null);
  /** Live audition stays on when the pointer leaves the map or something else plays (the keyboard, MIDI, OSC latch it). */
  latched = $state(false);
  /** The random batch's settings (its seed makes the same sounds again). */
  batch = $state<{ count: number; seconds: number; temperature: number; seed: number }>({
    count: 6,
    seconds: 1.5,
    temperature: GENERATED_SOUND.temperature,
    seed: 0,
  });
  /** Exports made from this project, newest first. */
  exports = $state.raw<ProjectSettings['exports']>([]);
  /** The map's view and colouring as last reported (restored after a reload where the map takes them). */
  mapState = $state.raw<ProjectSettings['map']>(null);
  /** What played last, once it has ended (the bottom bar says "Played …", not a stale "Playing …"). */
  lastHeard = $state<string | null>(null);
  /** Master volume, 0..1 (the app's settings keep it). */
  volume = $state(0.8);
  readonly player = new Player();
  readonly sounds = new Sounds(this.player);
  readonly training = new TrainingSession();
  readonly explorer = new Explorer();
  readonly exporter = new Exporter();
  readonly point = new PointEditor();
  readonly listening = new Listening(this.player);
  readonly records = new ModelRecords();
  readonly desktop = isDesktop();
  #app: AppSettings = loadApp();
  /** The point before a slider started moving: one undo step per drag. */
  #dragFrom: Float32Array | null = null;
  /** The live audition whose moves already made their undo step. */
  #liveStepFor: object | null = null;
  #unsubscribe: () => void = () => {};
  #stopSaving: () => void = () => {};
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Settings are written only once the project's own were read back (else a reload would overwrite them). */
  #restored = false;
  /** The latest step sound asked for: an older render that finishes later is not played. */
  #stepTicket = 0;

  get client(): StudioClient | null {
    return this.link.client;
  }

  async start(): Promise<void> {
    this.player.volume = this.#app.volume;
    this.volume = this.player.volume;
    if (this.#app.output) void this.player.setOutput(this.#app.output).catch(() => undefined);
    this.player.onEnded = () => {
      this.lastHeard = this.nowPlaying;
      this.sounds.playing = null;
      this.listening.ended();
      // What was heard has ended: the line says so instead of going stale.
      if (!this.explorer.audition) {
        this.explorer.hearing = null;
        this.explorer.played = null;
      }
    };
    this.#stopSaving = $effect.root(() => {
      $effect(() => {
        const state = this.#collect();
        if (!this.#restored || !this.project) return;
        const path = this.project.path;
        if (this.#saveTimer !== null) clearTimeout(this.#saveTimer);
        this.#saveTimer = setTimeout(() => {
          this.#saveTimer = null;
          saveProject(path, state);
        }, SAVE_DELAY_MS);
      });
    });
    // A reload or a closed window writes what the last moments changed.
    window.addEventListener('pagehide', this.#flush);
    await this.link.start((client) => this.#adopt(client));
  }

  /** Writes the project's settings now if a write is pending. */
  readonly #flush = (): void => {
    if (this.#saveTimer === null) return;
    clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    if (this.#restored && this.project) saveProject(this.project.path, this.#collect());
  };

  /** Everything a reload brings back for the open project (read here, so the effect tracks it). */
  #collect(): ProjectSettings {
    const point = this.explorer.map ? this.point.stored() : { z: null, past: [], future: [] };
    return {
      model: this.explorer.model,
      z: point.z,
      past: point.past,
      future: point.future,
      stage: this.stage,
      inspector: this.inspector,
      sound: this.sounds.detail?.id ?? null,
      inspected: this.inspected,
      batch: this.listening.samples.length > 0 ? { ...this.batch } : null,
      exports: this.exports,
      map: this.mapState,
    };
  }

  #saveApp(patch: Partial<AppSettings>): void {
    this.#app = { ...this.#app, ...patch };
    saveApp(this.#app);
  }

  /** A new client (the first, or after a reconnect or an engine restart): follow its events, reload. */
  async #adopt(client: StudioClient): Promise<void> {
    this.#unsubscribe();
    this.#unsubscribe = client.onEvent((event: StudioEvent) => this.#onEvent(client, event));
    // Whatever this window's audition was, it ended with the old connection.
    if (this.explorer.audition) await this.explorer.stopAudition(client).catch(() => undefined);
    try {
      this.hello = await client.hello();
      const reopen = this.project?.path ?? this.#app.project ?? undefined;
      await this.#switch(
        () => client.openProject(reopen),
        (err) => {
          if (!reopen || (err as Error & { name: string }).name === 'DisconnectedError') return false;
          // The last project is gone or unreadable: open the default one and say why.
          void this.#switch(() => client.openProject()).then(() => {
            this.error = `The last project (${reopen}) could not be opened: ${err.message}`;
          });
          return true;
        },
      );
    } catch (err) {
      this.#fail(err);
    }
  }

  #onEvent(client: StudioClient, event: StudioEvent): void {
    if (event.type === 'project') {
      const moved = this.project?.path !== event.project.path;
      this.project = event.project;
      this.explorer.forget();
      this.sounds.sync(event.project);
      // Another window opened another project (the engine has one): show its runs.
      if (moved) void this.training.load(client, event.project.path).catch(() => undefined);
    } else if (event.type === 'progress' && event.job.startsWith('export/')) {
      this.exporter.onProgress(event.job, event.done, event.total);
    } else if (event.type === 'progress' && event.job.startsWith('train/')) {
      this.training.onProgress(event.job, event.done, event.total);
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
  }

  /** An error for the general line, unless it is only the connection going (the link says that). */
  #fail(err: unknown): void {
    if ((err as Error).name === 'DisconnectedError') return;
    this.error = (err as Error).message;
  }

  /**
   * Opens another project: the explorer, details and results of the last one are let go, the
   * new one's view comes back from the app's settings, and a run training in it is shown.
   * `refused` may take an error over (true: handled).
   */
  async #switch(
    open: () => Promise<ProjectSummary>,
    refused: (err: Error) => boolean = () => false,
  ): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const opened = await open();
      if (this.explorer.audition) await this.explorer.stopAudition(client);
      const same = this.project?.path === opened.path;
      this.project = opened;
      this.error = null;
      this.#saveApp({ project: opened.path });
      if (!same || !this.#restored) {
        this.#restored = false;
        this.explorer.close();
        this.explorer.forget();
        this.sounds.detail = null;
        this.listening.clear();
        this.records.clear();
        await this.#restore(client, opened);
      }
      this.recent = await client.recentProjects();
      await this.training.load(client, opened.path);
    } catch (err) {
      if (!refused(err as Error)) this.#fail(err);
    }
  }

  /** The project's view as this window left it: model and point, stage, inspector, sound, batch, exports. */
  async #restore(client: StudioClient, opened: ProjectSummary): Promise<void> {
    const saved = loadProject(opened.path);
    try {
      this.stage = saved.stage;
      this.inspector = saved.inspector;
      this.inspected = opened.models.some((m) => m.id === saved.inspected) ? saved.inspected : null;
      this.exports = saved.exports;
      this.mapState = saved.map;
      if (saved.batch) this.batch = saved.batch;
      if (saved.sound && opened.sources.some((s) => s.id === saved.sound))
        await this.sounds.show(client, saved.sound);
      if (saved.model && opened.models.some((m) => m.id === saved.model)) {
        await this.explorer.open(client, saved.model);
        if (this.explorer.map) await this.point.open(client, this.explorer.map, saved);
        if (saved.batch && this.explorer.map) await this.listening.sample(client, saved.model, saved.batch);
      }
    } finally {
      this.#restored = true;
    }
  }

  async newProject(name: string): Promise<void> {
    const client = this.client;
    if (client) await this.#switch(() => client.newProject(name));
  }

  /** Opens a project by its folder; a folder with no project yet is asked about first (createAsk). */
  async openProject(path: string): Promise<void> {
    const client = this.client;
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
    const client = this.client;
    this.createAsk = null;
    if (create && path && client) await this.#switch(() => client.openProject(path, { create: true }));
  }

  /** Under Electron: the native folder picker. */
  async chooseProject(): Promise<void> {
    const path = await window.vaeStudio?.chooseProjectFolder();
    if (path) await this.openProject(path);
  }

  // ── Selection ────────────────────────────────────────────────────────────

  show(stage: StageView): void {
    this.stage = stage;
  }

  inspect(view: InspectorView, model?: string): void {
    this.inspector = view;
    if (model) this.inspected = model;
    if (view === 'model' && model && this.client) {
      const info = this.project?.models.find((m) => m.id === model);
      if (info) void this.records.load(this.client, info);
    }
  }

  // ── Models and the map ──────────────────────────────────────────────────

  async explore(model: string): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.explorer.audition) await this.explorer.stopAudition(client);
    this.listening.clear();
    this.stage = 'map';
    this.inspector = 'point';
    await this.explorer.open(client, model);
    if (this.explorer.map) await this.point.open(client, this.explorer.map);
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

  /** A slider: `live` while it moves, then once more when let go (one undo step); it sounds at once. */
  changePoint(z: Float32Array, live: boolean): void {
    const audition = this.explorer.audition;
    if (live) {
      this.#dragFrom ??= this.point.z;
      this.point.preview(z);
      if (audition && this.client)
        void this.client.moveAuditionTo(audition.stream, z, performance.now()).catch(() => undefined);
      else void this.#step(z);
    } else {
      this.point.set(z, this.#dragFrom ?? this.point.z);
      this.#dragFrom = null;
      if (!audition) void this.#step(z);
    }
  }

  /** A snapshot recalled (or an interpolation step): the point moves there and sounds. */
  recall(index: number): void {
    this.point.recall(index);
    const audition = this.explorer.audition;
    if (audition && this.client)
      void this.client
        .moveAuditionTo(audition.stream, this.point.z, performance.now())
        .catch(() => undefined);
    else void this.#step(this.point.z);
  }

  /** A short sound of a point, for edits made without live audition; a newer edit drops an older render. */
  async #step(z: Float32Array): Promise<void> {
    const model = this.explorer.model;
    const client = this.client;
    if (!client || !model) return;
    const ticket = ++this.#stepTicket;
    try {
      const audio = await client.renderLatent(model, z, STEP_SECONDS);
      if (ticket !== this.#stepTicket) return;
      this.#beforePlay();
      await this.player.play(audio.samples, audio.sampleRate);
      this.explorer.hearing = 'the edited point';
    } catch (err) {
      this.explorer.error = (err as Error).message;
    }
  }

  async hearPoint(): Promise<void> {
    const model = this.explorer.model;
    const client = this.client;
    if (!client || !model) return;
    try {
      const audio = await client.renderLatent(model, this.point.z, 1);
      this.#beforePlay();
      await this.player.play(audio.samples, audio.sampleRate);
      this.explorer.hearing = 'the edited point';
    } catch (err) {
      this.explorer.error = (err as Error).message;
    }
  }

  async exportSnapshotPath(): Promise<void> {
    const model = this.explorer.model;
    if (!model) return;
    await this.exportSounds({
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
    if (!this.client) return;
    this.#beforePlay();
    await this.explorer.playFrame(this.client, this.player, index);
  }

  async playPoint(p1: number, p2: number): Promise<void> {
    if (!this.client) return;
    this.#beforePlay();
    await this.explorer.playPoint(this.client, this.player, p1, p2);
  }

  /**
   * Live audition on or off. `latch`: it stays on when the pointer leaves the map or another sound
   * plays (the keyboard, MIDI and OSC latch it; the pointer's checkbox does not).
   */
  async setLiveAudition(on: boolean, p1 = 0, p2 = 0, latch = false): Promise<void> {
    if (!this.client) return;
    this.latched = on && latch;
    if (on) {
      this.sounds.stop();
      this.listening.ended();
      await this.explorer.startAudition(this.client, this.player, p1, p2);
    } else await this.explorer.stopAudition(this.client);
  }

  /** The pointer left the map: an unlatched live audition stops. */
  pointerLeftMap(): void {
    if (this.explorer.audition && !this.latched) void this.setLiveAudition(false);
  }

  /** Something else is about to play: an unlatched live audition stops first. */
  #beforePlay(): void {
    this.sounds.playing = null;
    this.listening.ended();
    if (this.explorer.audition && !this.latched && this.client) void this.explorer.stopAudition(this.client);
  }

  /**
   * `eventTime`: the pointer or key event's timeStamp (performance.now()'s clock). The crosshair and
   * the sliders follow what is heard: an audition's first move is one undo step (back to where the
   * point was before it), its later moves only move the point.
   */
  auditionMove(p1: number, p2: number, eventTime: number): void {
    if (!this.client) return;
    this.explorer.moveAudition(this.client, p1, p2, eventTime);
    const map = this.explorer.map;
    const audition = this.explorer.audition;
    if (!map || !audition) return;
    const z = unproject(map, p1, p2);
    if (this.#liveStepFor === audition) this.point.preview(z);
    else {
      this.#liveStepFor = audition;
      this.point.set(z);
    }
  }

  // ── Export ──────────────────────────────────────────────────────────────

  async exportSounds(settings: ExportSettings): Promise<void> {
    if (!this.client) return;
    await this.exporter.start(this.client, settings);
    const result = this.exporter.result;
    if (result)
      this.exports = [
        {
          name: result.name,
          folder: result.folder,
          files: result.files.length,
          at: new Date().toISOString(),
        },
        ...this.exports,
      ].slice(0, 20);
  }

  async downloadExport(name?: string | null): Promise<void> {
    if (!this.client) return;
    try {
      await this.exporter.download(this.client, name ?? undefined);
    } catch (err) {
      this.exporter.error = (err as Error).message;
    }
  }

  // ── Training ────────────────────────────────────────────────────────────

  async train(settings: TrainSettings): Promise<void> {
    if (!this.client) return;
    this.stage = 'training';
    await this.training.start(this.client, settings);
  }

  /** Cancels the run the training view shows, whichever window started it. */
  async cancelTraining(): Promise<void> {
    if (this.client) await this.training.cancel(this.client);
  }

  async resumeTraining(model: string): Promise<void> {
    if (!this.client) return;
    this.stage = 'training';
    await this.training.resume(this.client, model);
  }

  async renameModel(id: string, name: string): Promise<void> {
    if (!this.client) return;
    try {
      const renamed = await this.client.renameModel(id, name);
      if (this.inspected === id) this.inspected = renamed;
      if (this.explorer.model === id) await this.explore(renamed);
    } catch (err) {
      this.#fail(err);
    }
  }

  async deleteModel(id: string): Promise<void> {
    if (!this.client) return;
    try {
      if (this.explorer.model === id) await this.explorer.stopAudition(this.client);
      await this.client.deleteModel(id);
      if (this.explorer.model === id) this.explorer.close();
      if (this.inspected === id) this.inspected = null;
    } catch (err) {
      this.#fail(err);
    }
  }

  // ── Sounds ──────────────────────────────────────────────────────────────

  async play(sourceId: string): Promise<void> {
    if (!this.client) return;
    this.#beforePlay();
    this.explorer.hearing = null;
    await this.sounds.play(this.client, sourceId);
  }

  stop(): void {
    this.player.stop();
    this.sounds.playing = null;
    this.listening.ended();
    if (!this.explorer.audition) this.explorer.hearing = null;
  }

  /** Shows a sound: its waveform and spectrogram on the stage, its details in the inspector. */
  async showSource(id: string): Promise<void> {
    if (!this.client) return;
    this.stage = 'sound';
    this.inspector = 'sound';
    await this.sounds.show(this.client, id);
  }

  async renameSource(id: string, name: string): Promise<void> {
    if (this.client) await this.sounds.rename(this.client, id, name);
  }

  /** Removes a sound after saying which models were trained on it (they keep working; their maps lose it). */
  async removeSource(id: string, confirm: (message: string) => boolean): Promise<void> {
    const client = this.client;
    const project = this.project;
    if (!client || !project) return;
    const name = project.sources.find((s) => s.id === id)?.name ?? id;
    const models = await this.records.trainedOn(client, project.models, id);
    const message =
      models.length > 0
        ? `Remove “${name}” from the project? The models trained on it (${models.join(', ')}) keep working, but their maps and resynthesis lose this sound. Its copy in the project folder is deleted.`
        : `Remove “${name}” from the project? Its copy in the project folder is deleted.`;
    if (!confirm(message)) return;
    await this.sounds.remove(client, id);
  }

  /** Imports WAV files; a file whose content the project already has is asked about first. */
  async importFiles(files: Iterable<File>, ask: (file: string, existing: string) => boolean): Promise<void> {
    const client = this.client;
    if (!client) return;
    await this.sounds.importFiles(client, files, ask, () => this.project?.sources ?? []);
  }

  /**
   * Desktop only: Electron's native import dialog; the files picked are granted to the engine by
   * main and imported by path (no bytes through the page, no size cap).
   */
  async chooseSounds(): Promise<void> {
    const client = this.client;
    const bridge = window.vaeStudio;
    if (!client || !bridge) return;
    try {
      const chosen = await bridge.chooseSounds();
      if (chosen.length > 0) await this.sounds.importChosen(client, chosen);
    } catch (err) {
      // The dialog itself failed (main refused or threw): said where imports' refusals are.
      this.sounds.problems = [
        ...this.sounds.problems,
        { file: 'Import sounds', reason: (err as Error).message },
      ];
    }
  }

  async addRecording(samples: Float32Array, sampleRate: number): Promise<void> {
    if (!this.client || !this.project) return;
    await this.sounds.addRecording(
      this.client,
      samples,
      sampleRate,
      this.project.sources.map((s) => s.name),
    );
  }

  // ── Listening ───────────────────────────────────────────────────────────

  async resynthesize(source: string, options: ResynthOptions): Promise<void> {
    const model = this.explorer.model;
    if (this.client && model) await this.listening.resynthesize(this.client, model, source, options);
  }

  async playAB(which: 'A' | 'B'): Promise<void> {
    this.#beforePlay();
    this.explorer.hearing = null;
    await this.listening.playAB(which);
  }

  async sample(batch: { count: number; seconds: number; temperature: number; seed: number }): Promise<void> {
    const model = this.explorer.model;
    this.batch = batch;
    if (this.client && model) await this.listening.sample(this.client, model, batch);
  }

  async playSample(index: number): Promise<void> {
    this.#beforePlay();
    this.explorer.hearing = null;
    await this.listening.playSample(index);
  }

  // ── Output ──────────────────────────────────────────────────────────────

  setVolume(volume: number): void {
    this.player.volume = volume;
    this.volume = this.player.volume;
    this.#saveApp({ volume: this.player.volume });
  }

  async setOutput(id: string): Promise<void> {
    await this.player.setOutput(id);
    this.#saveApp({ output: id });
  }

  get output(): string {
    return this.#app.output;
  }

  /** What is being heard now, in words, for the bottom bar (null: nothing). */
  get nowPlaying(): string | null {
    const id = this.sounds.playing;
    if (id) return this.project?.sources.find((s) => s.id === id)?.name ?? id;
    const ab = this.listening.playingAB;
    const r = this.listening.resynth;
    if (ab && r) {
      const name = this.project?.sources.find((s) => s.id === r.source)?.name ?? r.source;
      return ab === 'A' ? `${name} (A: the original)` : `${name} (B: through ${this.explorer.model})`;
    }
    const i = this.listening.playingSample;
    if (i !== null) return `random sound ${i + 1} from ${this.explorer.model}`;
    return this.explorer.hearing;
  }

  dispose(): void {
    if (this.client) void this.explorer.stopAudition(this.client);
    this.#unsubscribe();
    this.#stopSaving();
    window.removeEventListener('pagehide', this.#flush);
    this.#flush();
    this.link.dispose();
    void this.player.dispose();
  }
}
