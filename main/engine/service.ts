// The engine: StudioApi over a project folder, composed here from one service per concern —
// projects, jobs (training), synthesis (maps, renders, sampling), audition, export — each a class
// that owns what it starts and disposes it. The same object serves Electron (in its utility
// process), `vae-studio serve` and tests; transports reach it through serveApi. The main thread
// keeps the ownership records and answers; heavy work runs in the worker pool (pool.ts), live
// audition in its own worker, training in a worker per run, all within one thread budget.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type {
  AuditionApi,
  LiveInputApi,
  ControlApi,
  ExportApi,
  Hello,
  JobsApi,
  ProjectsApi,
  StudioApi,
  StudioEvent,
  SynthesisApi,
} from '../../common/api.js';
import type { BackendName } from '../../ml/backend.js';
import { listBackends } from '../../ml/browser/availability.js';
import { computeWindowBackends, type ComputeWindows } from './compute-relay.js';
import { packageInfo, packageRoot } from '../package-info.js';
import { AuditionService } from './audition.js';
import { LiveInputService } from './live.js';
import { ControlService } from './control.js';
import { startOscServer, type OscOptions, type OscServer } from './osc.js';
import { ExportService } from './export-service.js';
import { PathGrants, type GrantPurpose } from './grants.js';
import type { Project } from './project.js';
import { JobService } from './jobs.js';
import { WorkerPool } from './pool.js';
import { ProjectService } from './projects.js';
import { SynthesisService } from './synthesis.js';
import { poolSize, threadBudget } from './threads.js';
import { workerUrl } from '../../ml/worker-url.js';

export interface EngineOptions {
  /** The user's data folder; the demo project is made in its projects/demo. Default: defaultDataDir(). */
  dataDir?: string;
  /** What openProject() without a path opens. Default: the demo project. */
  defaultProject?: string;
  /** The shipped demo (sources/ and, where present, model/). Default: the package's assets/demo. */
  demoAssets?: string;
  /** Forces a TensorFlow.js backend. Default: VAE_STUDIO_BACKEND, else the automatic choice. */
  backend?: BackendName;
  /** Threads the engine's heavy work may use at once. Default: threadBudget() (VAE_STUDIO_THREADS). */
  threads?: number;
  /** A live audition with no move for this long ends (default a minute). */
  auditionIdleMs?: number;
  /** A live input with no input for this long ends (default 10 s). */
  liveIdleMs?: number;
  /**
   * Under Electron (process-entry.ts in a utilityProcess): the app's compute windows, where webgpu
   * and webgl train and are probed, instead of an external browser.
   */
  computeWindows?: ComputeWindows;
}

/**
 * StudioApi plus what its owner needs. Each method also takes an optional CallContext after its
 * arguments (serveApi passes one): its signal stops a long call, its connection owns what the call
 * starts for it.
 */
export interface Engine extends StudioApi {
  onEvent(listener: (event: StudioEvent) => void): () => void;
  /**
   * Lets the engine write into `path`: a folder main's native dialog produced, or for 'import' read
   * a file main's import dialog produced (Electron only; never reachable from a client).
   */
  grantPath(path: string, purpose: GrantPurpose): void;
  /**
   * Starts the OSC server (osc.ts) on UDP, 127.0.0.1 unless told otherwise, port 0 for any free
   * one; it controls the most recently active window and closes with the engine. Never reachable
   * from a client: the engine's owner (`serve --osc`, the desktop app's setting) starts it.
   */
  startOsc(options: OscOptions): Promise<{ host: string; port: number }>;
  /** What the engine runs now (diagnostics and tests). */
  stats(): { auditions: number; liveInputs: number; runningJobs: number; poolBusy: number };
  /** Stops listening, cancels jobs (runs keep their checkpoints), ends the workers. */
  dispose(): Promise<void>;
}

/** Environment variable naming the user's data folder (tests and portable installs set it). */
export const DATA_DIR_ENV = 'VAE_STUDIO_DATA';

/** $VAE_STUDIO_DATA, else ~/.vae-studio. */
export function defaultDataDir(): string {
  return process.env[DATA_DIR_ENV] || join(homedir(), '.vae-studio');
}

const PROJECT_METHODS = [
  'openProject',
  'newProject',
  'recentProjects',
  'getSourceAudio',
  'importSource',
  'beginUpload',
  'uploadChunk',
  'finishUpload',
  'cancelUpload',
  'importPath',
  'importRecording',
  'removeSource',
  'renameSource',
  'findSource',
  'getSourceFrames',
  'renameModel',
  'deleteModel',
  'getModelTraining',
  'getSnapshots',
  'setSnapshots',
] as const satisfies readonly (keyof ProjectsApi)[];
const JOB_METHODS = [
  'train',
  'resumeTraining',
  'listTraining',
  'listJobs',
  'cancelJob',
] as const satisfies readonly (keyof JobsApi)[];
const SYNTHESIS_METHODS = [
  'getMap',
  'sample',
  'resynthesize',
  'renderLatent',
  'renderPoint',
] as const satisfies readonly (keyof SynthesisApi)[];
const LIVE_METHODS = [
  'startLiveInput',
  'liveInput',
  'setLiveInput',
  'stopLiveInput',
] as const satisfies readonly (keyof LiveInputApi)[];
const AUDITION_METHODS = [
  'startAudition',
  'moveAudition',
  'moveAuditionTo',
  'stopAudition',
] as const satisfies readonly (keyof AuditionApi)[];
const EXPORT_METHODS = ['exportSounds', 'getExportZip'] as const satisfies readonly (keyof ExportApi)[];
const CONTROL_METHODS = [
  'reportControl',
  'getControl',
  'getMidiMap',
  'setMidiMap',
] as const satisfies readonly (keyof ControlApi)[];

/** The named methods of a service, bound to it. */
function bind<T extends object, K extends keyof T>(service: T, names: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const name of names) {
    const method = service[name];
    out[name] = (typeof method === 'function' ? method.bind(service) : method) as T[K];
  }
  return out;
}

export function createEngine(options: EngineOptions = {}): Engine {
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const listeners = new Set<(event: StudioEvent) => void>();
  let disposed = false;
  const emit = (event: StudioEvent) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the engine and the other listeners go on.
      }
    }
  };
  // Without options.backend, initBackend (in every worker) reads VAE_STUDIO_BACKEND.
  const backend = options.backend;
  const budget = options.threads ?? threadBudget();
  const current = (): Project => projects.current();

  const grants = new PathGrants();
  const pool: WorkerPool = new WorkerPool(
    workerUrl('./compute-worker.js', import.meta.url),
    () => poolSize(budget, jobs.trainingThreads),
    { backend },
  );
  const jobs: JobService = new JobService({
    project: current,
    emit,
    backend,
    threads: budget,
    compute: options.computeWindows,
    onTrainingChange: (project) => void projects.announce(project).catch(() => undefined),
  });
  const auditions = new AuditionService(current, emit, { backend, idleMs: options.auditionIdleMs });
  const live = new LiveInputService(current, emit, { backend, idleMs: options.liveIdleMs });
  const projects: ProjectService = new ProjectService(
    pool,
    emit,
    {
      busy: (folder): string | null =>
        jobs.usesModel(folder) ? 'is in use by a job (training or export)' : null,
      renamed: (from, to) => {
        control.forget();
        pool.broadcast('rekey', [from, to]);
        auditions.rekey(from, to);
        live.rekey(from, to);
      },
      deleting: (folder) => {
        control.forget();
        auditions.endModel(folder, 'its model was deleted');
        live.endModel(folder, 'its model was deleted');
        pool.broadcast('forget', [folder]);
      },
      opened: async (project) => {
        // Runs an engine died in go on from their checkpoints, when they train on the project's own sounds.
        await jobs.resumeInterrupted(project);
      },
    },
    {
      dataDir,
      defaultProject: options.defaultProject,
      demoAssets: options.demoAssets ?? join(packageRoot(), 'assets', 'demo'),
      grants,
    },
  );
  const synthesis = new SynthesisService(pool, current);
  const exports = new ExportService(pool, jobs, grants, current);
  let osc: OscServer | null = null;
  const control: ControlService = new ControlService({
    emit,
    map: (model) => synthesis.getMap(model),
    snapshots: (model) => projects.getSnapshots(model),
    midiFile: () => current().resolveInside('midi.json'),
    projectPath: () => {
      try {
        return current().path;
      } catch {
        return null;
      }
    },
  });

  // The backend and FFT are a worker's to say: asked once, then answered at once (a hello never
  // waits behind an import or a render).
  let computed: Promise<Pick<Hello, 'backend' | 'fft'>> | null = null;
  const api: StudioApi = {
    async hello(): Promise<Hello> {
      computed ??= pool.run<Pick<Hello, 'backend' | 'fft'>>('hello', []).catch((err: unknown) => {
        computed = null;
        throw err;
      });
      return {
        version: packageInfo.version,
        node: process.version,
        platform: process.platform,
        threads: budget,
        ...(await computed),
      };
    },
    // What can train here: from what is installed and the browser's probe (ml/browser/), without
    // loading a backend on this thread.
    backends: () => (options.computeWindows ? computeWindowBackends(options.computeWindows) : listBackends()),
    ...bind(projects, PROJECT_METHODS),
    ...bind(jobs, JOB_METHODS),
    ...bind(synthesis, SYNTHESIS_METHODS),
    ...bind(auditions, AUDITION_METHODS),
    ...bind(live, LIVE_METHODS),
    ...bind(exports, EXPORT_METHODS),
    ...bind(control, CONTROL_METHODS),
  };

  return {
    ...api,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats() {
      return {
        auditions: auditions.count,
        liveInputs: live.count,
        runningJobs: jobs.runningCount,
        poolBusy: pool.busy,
      };
    },
    grantPath(path, purpose) {
      grants.grant(path, purpose);
    },
    async startOsc(oscOptions) {
      if (disposed) throw new Error('the engine has shut down');
      if (osc) throw new Error(`the OSC server already listens on ${osc.host}:${osc.port}`);
      osc = await startOscServer(control, oscOptions);
      return { host: osc.host, port: osc.port };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      jobs.dispose();
      await osc?.close();
      control.dispose();
      projects.dispose();
      listeners.clear();
      await Promise.all([auditions.dispose(), live.dispose(), pool.dispose()]);
    },
  };
}
