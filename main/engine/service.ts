// The engine: StudioApi over a project folder. The same object serves Electron (in its utility
// process), `vae-studio serve` and tests; transports reach it through serveApi.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend, type BackendName } from '../../ml/backend.js';
import { analyze, peakAmplitude } from '../../ml/features/analyze.js';
import { toUnitFrames } from '../../ml/features/scale.js';
import { DEFAULT_FRAME_SETTINGS } from '../../ml/features/settings.js';
import { createRealFft } from '../../ml/synth/fft.js';
import { packageInfo, packageRoot } from '../package-info.js';
import type {
  CallContext,
  Hello,
  ProjectSummary,
  SourceAudio,
  SourceInfo,
  StudioApi,
  StudioEvent,
  AuditionStream,
  ExportResult,
  ExportSettings,
  LatentMap,
  RecentProject,
  ResynthOptions,
  Snapshot,
  TrainSettings,
  TrainingRun,
} from '../../common/api.js';
import { ensureDemoProject, Project, ProjectError } from './project.js';
import { AudioFileError } from '../../ml/audio/errors.js';
import { Auditions } from './audition.js';
import { recordingToWav } from './recording.js';
import { RecentProjects } from './recent.js';
import { readSnapshots, writeSnapshots } from './snapshots.js';
import { exportSounds, exportZip } from './exports.js';
import { LatentMaps } from './latent-map.js';
import { Training } from './training.js';

export interface EngineOptions {
  /** The user's data folder; the demo project is made in its projects/demo. Default: defaultDataDir(). */
  dataDir?: string;
  /** What openProject() without a path opens. Default: the demo project. */
  defaultProject?: string;
  /** The shipped demo (sources/ and, where present, model/). Default: the package's assets/demo. */
  demoAssets?: string;
  /** Forces a TensorFlow.js backend. Default: VAE_STUDIO_BACKEND, else the automatic choice. */
  backend?: BackendName;
}

/**
 * StudioApi plus what its owner needs. Each method also takes an optional CallContext after its
 * arguments (serveApi passes one), whose signal stops a long call.
 */
export interface Engine extends StudioApi {
  onEvent(listener: (event: StudioEvent) => void): () => void;
  /** Stops listening and lets go of the project; calls after it are refused. */
  dispose(): void;
}

/** Environment variable naming the user's data folder (tests and portable installs set it). */
export const DATA_DIR_ENV = 'VAE_STUDIO_DATA';

/** $VAE_STUDIO_DATA, else ~/.vae-studio. */
export function defaultDataDir(): string {
  return process.env[DATA_DIR_ENV] || join(homedir(), '.vae-studio');
}

export function createEngine(options: EngineOptions = {}): Engine {
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const demoTarget = join(dataDir, 'projects', 'demo');
  const demoAssets = options.demoAssets ?? join(packageRoot(), 'assets', 'demo');
  const listeners = new Set<(event: StudioEvent) => void>();
  let project: Project | null = null;
  let disposed = false;
  /** One demo copy at a time, even when two windows open it together. */
  let demoCopy: Promise<void> | null = null;

  const emit = (event: StudioEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  // Without options.backend, initBackend (here and in the training worker) reads VAE_STUDIO_BACKEND.
  const backendChoice = options.backend;
  const training = new Training((event) => {
    emit(event);
    // A finished run is a new model: the project's listing changed.
    if (event.type === 'training' && event.run.status === 'done' && project) void announce(project);
  }, backendChoice);
  const maps = new LatentMaps();
  const recent = new RecentProjects(dataDir);
  const auditions = new Auditions(emit);

  const current = (): Project => {
    if (disposed) throw new ProjectError('the engine has shut down');
    if (!project) throw new ProjectError('no project is open; open one first');
    return project;
  };

  const announce = async (changed: Project) => {
    if (changed === project) emit({ type: 'project', project: await changed.summary() });
  };

  return {
    async hello(): Promise<Hello> {
      const backend = await initBackend(backendChoice);
      const fft = await createRealFft(DEFAULT_FRAME_SETTINGS.windowSize);
      const implementation = fft.implementation;
      fft.dispose();
      return {
        version: packageInfo.version,
        node: process.version,
        platform: process.platform,
        backend: { name: backend.name, gpu: backend.gpu, threads: backend.threads ?? null },
        fft: implementation,
      };
    },

    async openProject(path?: string, context?: CallContext): Promise<ProjectSummary> {
      let folder = path ?? options.defaultProject;
      if (folder === undefined) {
        demoCopy ??= ensureDemoProject(demoAssets, demoTarget).finally(() => (demoCopy = null));
        await demoCopy;
        folder = demoTarget;
      }
      const opened = await Project.open(folder);
      context?.signal.throwIfAborted();
      if (disposed) throw new ProjectError('the engine has shut down');
      project = opened;
      await recent.add(opened.path, opened.name).catch(() => undefined);
      // Runs an engine died in (a crash, a kill) go on from their checkpoints.
      await training.resumeInterrupted(opened);
      return opened.summary();
    },

    async newProject(name: string, context?: CallContext): Promise<ProjectSummary> {
      const folder = await recent.freeProjectFolder(name);
      context?.signal.throwIfAborted();
      return this.openProject(folder);
    },

    async recentProjects(): Promise<RecentProject[]> {
      return recent.list();
    },

    async getSourceAudio(id: string): Promise<SourceAudio> {
      const audio = await current().readSource(id);
      return { sampleRate: audio.sampleRate, samples: audio.samples };
    },

    async importSource(name: string, bytes: Uint8Array, context?: CallContext): Promise<SourceInfo> {
      const target = current();
      const info = await target.importSource(name, bytes, context?.signal);
      await announce(target);
      return info;
    },

    async importRecording(
      name: string,
      samples: Float32Array,
      sampleRate: number,
      context?: CallContext,
    ): Promise<SourceInfo> {
      const target = current();
      const file = /\.wav$/i.test(name) ? name : `${name}.wav`;
      let bytes: Uint8Array;
      try {
        bytes = recordingToWav(samples, sampleRate);
      } catch (err) {
        throw new AudioFileError(file, (err as Error).message.replace(/^the recording is /, ''));
      }
      const info = await target.importSource(file, bytes, context?.signal);
      await announce(target);
      return info;
    },

    async removeSource(id: string): Promise<void> {
      const target = current();
      await target.removeSource(id);
      await announce(target);
    },

    async train(settings: TrainSettings, context?: CallContext): Promise<TrainingRun> {
      return training.train(current(), settings, context?.signal);
    },

    async resumeTraining(model: string, context?: CallContext): Promise<TrainingRun> {
      return training.resume(current(), model, context?.signal);
    },

    async renameModel(id: string, name: string): Promise<string> {
      const project = current();
      const folder = project.modelFolder(id);
      if (training.isRunning(folder)) throw new ProjectError(`${id} is training; rename it when it is done`);
      maps.forget(folder);
      const renamed = await project.renameModel(id, name);
      await announce(project);
      return renamed;
    },

    async deleteModel(id: string): Promise<void> {
      const project = current();
      const folder = project.modelFolder(id);
      if (training.isRunning(folder)) throw new ProjectError(`${id} is training; cancel it first`);
      maps.forget(folder);
      await project.deleteModel(id);
      await announce(project);
    },

    async getSourceFrames(id: string) {
      const project = current();
      const audio = await project.readSource(id);
      const settings = { ...DEFAULT_FRAME_SETTINGS, sampleRate: project.sampleRate };
      const a = analyze(audio.samples, settings);
      const peak = peakAmplitude(a.amplitude);
      const data =
        peak > 0 ? toUnitFrames(a.amplitude, peak, settings.floorDb) : new Float32Array(a.amplitude.length);
      return { frames: a.frames, bins: settings.bins, data, hopSeconds: settings.hop / settings.sampleRate };
    },

    async sample(
      model: string,
      count: number,
      seconds: number,
      temperature: number,
      seed: number,
    ): Promise<SourceAudio[]> {
      await initBackend(backendChoice);
      return maps.sample(current(), model, count, seconds, temperature, seed);
    },

    async listTraining(): Promise<TrainingRun[]> {
      return training.list(current());
    },

    async getMap(model: string, context?: CallContext): Promise<LatentMap> {
      await initBackend(backendChoice);
      return maps.map(current(), model, context?.signal);
    },

    async renderPoint(model: string, p1: number, p2: number, seconds: number): Promise<SourceAudio> {
      await initBackend(backendChoice);
      return maps.renderPoint(current(), model, p1, p2, seconds);
    },

    async resynthesize(model: string, source: string, options: ResynthOptions): Promise<SourceAudio> {
      await initBackend(backendChoice);
      return maps.resynthesize(current(), model, source, options);
    },

    async renderLatent(model: string, z: Float32Array, seconds: number): Promise<SourceAudio> {
      await initBackend(backendChoice);
      return maps.renderLatent(current(), model, z, seconds);
    },

    async getSnapshots(model: string): Promise<Snapshot[]> {
      return readSnapshots(current().modelFolder(model));
    },

    async setSnapshots(model: string, snapshots: Snapshot[]): Promise<void> {
      await writeSnapshots(current().modelFolder(model), snapshots);
    },

    async moveAuditionTo(stream: number, z: Float32Array, sentAt: number): Promise<void> {
      auditions.moveTo(stream, z, sentAt);
    },

    async startAudition(model: string, p1: number, p2: number): Promise<AuditionStream> {
      await initBackend(backendChoice);
      return auditions.start(await maps.model(current(), model), p1, p2);
    },

    async moveAudition(stream: number, p1: number, p2: number, sentAt: number): Promise<void> {
      auditions.move(stream, p1, p2, sentAt);
    },

    async stopAudition(stream: number): Promise<void> {
      auditions.stop(stream);
    },

    async exportSounds(settings: ExportSettings, context?: CallContext): Promise<ExportResult> {
      await initBackend(backendChoice);
      const project = current();
      return exportSounds(
        project,
        await maps.model(project, settings.model),
        settings,
        emit,
        context?.signal,
      );
    },

    async getExportZip(name: string): Promise<Uint8Array> {
      return exportZip(current(), name);
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    dispose() {
      disposed = true;
      training.dispose();
      auditions.dispose();
      maps.dispose();
      project = null;
      listeners.clear();
    },
  };
}
