// The whole API between the UI and the engine (DESIGN.md, "The API between renderer and engine").
//
// This file imports nothing, so the renderer can import its types whatever it runs in. Arguments
// and results are plain data: objects, arrays, strings, numbers, booleans, null, and typed arrays
// for audio. Every transport (MessagePort, child-process IPC, WebSocket) carries exactly these.

/** Which TensorFlow.js backend computes, as `vae-studio info` reports it. */
export interface BackendSummary {
  /** 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' (ml/backend.ts). */
  name: string;
  gpu: boolean;
  /** Threads the backend computes with, where it says; null where it does not. */
  threads: number | null;
}

export interface Hello {
  /** The app's version (package.json). */
  version: string;
  /** The engine's Node.js version, e.g. 'v20.19.0'. */
  node: string;
  /** The engine's platform: 'linux' | 'darwin' | 'win32' ... */
  platform: string;
  backend: BackendSummary;
  /** The FFT implementation: 'pffft-simd' | 'pffft' | 'fft.js'. */
  fft: string;
  /**
   * The engine's thread budget: every core, or VAE_STUDIO_THREADS. A training run on a CPU backend
   * splits its batches over what other runs leave of it; the worker pool takes the rest.
   */
  threads: number;
}

export interface RecentProject {
  path: string;
  name: string;
  /** ISO time it was last opened. */
  openedAt: string;
}

/** A sound in the project (a file copied into its sources/ folder). */
export interface SourceInfo {
  /** Stable within the project: the file's name in sources/ (unique there). */
  id: string;
  /** The name the sound was imported under, for display. */
  name: string;
  durationSeconds: number;
  /** The file's own sample rate (audio is resampled to the project's rate when read). */
  sampleRate: number;
  channels: number;
  /** Damage that was repaired, silence, a missing file: shown beside the sound. */
  warnings: string[];
}

export interface ModelInfo {
  /** The model folder's name under models/. */
  id: string;
  name: string;
  /** 'seed-speech' | 'compact'. */
  preset: string;
  /** Latent dimensions. */
  latent: number;
  /** Epochs trained. */
  epochs: number;
  /** The model's scalar metrics from studio.json (held-out loss, active units, ...). */
  metrics: Record<string, number | string | boolean | null>;
}

export interface ProjectSummary {
  /** The project folder, absolute, on the engine's machine. */
  path: string;
  name: string;
  /** The rate every source is read at (the model rate, DESIGN.md "The 256-dimensional frame"). */
  sampleRate: number;
  sources: SourceInfo[];
  models: ModelInfo[];
  /** What is wrong with the folder but did not stop it opening (an unreadable model folder, ...). */
  warnings: string[];
}

export interface SourceAudio {
  /** The project's rate. */
  sampleRate: number;
  /** Mono, in [-1, 1]. */
  samples: Float32Array;
}

/** What a training run is asked to do (docs/design.md, "The model"). */
export interface TrainSettings {
  /** The model's name; its folder under models/ is this, made safe and unique. */
  name: string;
  preset: 'seed-speech' | 'compact';
  /** Latent dimensions, 2..64. */
  latent: number;
  epochs: number;
  batch: number;
  /** Weight of the KL term after warm-up. */
  beta: number;
  /** Source ids to train on; every source of the project when absent. */
  sources?: string[];
  /**
   * The backend to train on ('webgpu', 'webgl', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'; see
   * `backends()`); absent: the engine's choice.
   */
  backend?: 'tensorflow-gpu' | 'webgpu' | 'webgl' | 'tensorflow' | 'wasm' | 'cpu';
}

/** One backend as the training form's picker shows it (ml/browser/availability.ts). */
export interface BackendChoice {
  name: string;
  /** Whether it can be chosen here. */
  available: boolean;
  /** Why not, or what to know (a software adapter); null when there is nothing to say. */
  reason: string | null;
  /** Whether a GPU would do the work. */
  gpu: boolean;
  /** WebGPU / WebGL: the adapter, in words. */
  adapter: string | null;
  /** Where it computes: the engine's process, or a Chromium page. */
  host: 'node' | 'chromium';
}

export interface BackendChoices {
  /** What training picks when none is named. */
  automatic: string;
  backends: BackendChoice[];
}

/**
 * The one default model, for the CLI's `train` and the studio's training form alike
 * (ml/vae/trainer.ts DEFAULT_TRAIN_CONFIG takes these; docs/design.md "The model" says why).
 */
export const DEFAULT_TRAIN_SETTINGS: Readonly<Omit<TrainSettings, 'name' | 'sources'>> = Object.freeze({
  // The compact network for 85 epochs takes the time seed-speech took for 30, and with the mixed
  // loss (ml/vae/trainer.ts) resynthesizes its material about 5 dB better (docs/design.md).
  preset: 'compact',
  latent: 16,
  epochs: 85,
  batch: 256,
  beta: 0.01,
});

/**
 * One epoch's figures, as the UI charts them, per frame: reconstruction loss (summed over the bins
 * against dB targets: by default squared error on them and on the magnitudes they stand for, or
 * binary cross-entropy — a loss, not a likelihood), KL (nats), their total.
 */
export interface EpochSummary {
  epoch: number;
  epochs: number;
  reconstruction: number;
  kl: number;
  klPerDim: number[];
  /** reconstruction + kl: lower is better. */
  total: number;
  /** −total under its old name; deprecated (it is not an evidence lower bound). */
  elbo: number;
  heldOut: { reconstruction: number; kl: number; total: number; elbo: number } | null;
  activeUnits: number;
  framesPerSecond: number;
  etaSeconds: number;
}

/**
 * The latent map of a model: every frame of its training sounds that the project still has, as a
 * point on the plane of the first two principal components of the latent means, with what the
 * frame sounds like (meyda's descriptors) and where it came from.
 */
export interface LatentMap {
  model: string;
  /** Source ids, indexed by `source`. */
  sources: string[];
  p1: Float32Array;
  p2: Float32Array;
  /** Index into `sources`. */
  source: Uint16Array;
  /** The frame's index in its source (its centre is at frame × hopSeconds). */
  frame: Uint32Array;
  loudness: Float32Array;
  centroidHz: Float32Array;
  flatness: Float32Array;
  hopSeconds: number;
  /** Standard deviations of the training data along the two axes (the grid spans ±GRID_SPAN of them). */
  std: [number, number];
  /** Training sounds the project no longer has. */
  missing: string[];
  /** The latent space around the map: a point (p1, p2) is mean + p1·axes[0] + p2·axes[1]. */
  mean: Float32Array;
  axes: [Float32Array, Float32Array];
  /** Each latent dimension's range over the training frames' posterior means (for sliders). */
  dimMin: Float32Array;
  dimMax: Float32Array;
}

/**
 * How generated sounds (random sounds, grid cells, previews, export) are made unless asked
 * otherwise: one rule for the UI, export and the CLI. Points are drawn at 0.7 of the material's
 * spread and turned into sound with RTPGHI, as live audition plays them (docs/design.md,
 * "Generated sound": PGHI + Griffin-Lim gave more natural frames but covered a third less of the
 * material and moved half as much).
 */
export const GENERATED_SOUND = { temperature: 0.7, phase: 'rtpghi' } as const;

/**
 * The export grid spans ±GRID_SPAN standard deviations of the map on each axis: the central 90 % of
 * a Gaussian, so its corners stay where the material is.
 */
export const GRID_SPAN = 1.645;

/** How a recording is moved in latent space on its way through a model. */
export interface ResynthOptions {
  /** 'source' (the recording's own phase) by default. */
  phase?: 'source' | 'griffinlim' | 'pghi' | 'pghi-gl' | 'rtpghi';
  /** Every frame moved along a direction: a map axis (1 or 2, in its standard deviations) or a latent dimension (z1…, in units). */
  offset?: { direction: 'axis1' | 'axis2' | number; amount: number };
  /** Every frame blended toward another source's (both stretched to one length): 0 is this one, 1 the other. */
  morph?: { target: string; amount: number };
}

/** A favourite point of a model's latent space, with a name. */
export interface Snapshot {
  name: string;
  z: number[];
}

/** A finished model's training, as its studio.json keeps it (the one store of its curves). */
export interface ModelTraining {
  model: string;
  /** The settings it was trained with (the trainer's config). */
  settings: Record<string, unknown>;
  /** Epochs trained. */
  epochs: number;
  /** The backend it trained on. */
  backend: string;
  /** Training time, seconds. */
  seconds: number;
  sources: { name: string; frames: number; heldOut: number }[];
  /** Every epoch's figures, in order (a resumed run's earlier epochs included). */
  history: EpochSummary[];
}

/** A training run in the current project. */
export interface TrainingRun {
  /** The model folder's name under models/. */
  model: string;
  /**
   * running: training now; done: the model is written; cancelled: stopped by its caller, the
   * checkpoint kept; failed: stopped by an error (message says which); interrupted: its engine died
   * mid-run (a restarted engine resumes it from its checkpoint).
   */
  status: 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  epoch: number;
  epochs: number;
  message?: string;
}

/**
 * Every call the UI can make, grouped by the engine service that answers it (one interface per
 * service, composed into StudioApi; the client is one object with every method). All are
 * asynchronous and may reject with an Error whose `name` says what kind of failure it is (see
 * ErrorName) and whose `message` can be shown as is.
 */
export interface SessionApi {
  /** Who is answering: versions, the ML backend (GPU or not) and the FFT. */
  hello(): Promise<Hello>;
  /** Which backends can train here, which one is picked when none is named, and why the others are not. */
  backends(): Promise<BackendChoices>;
}

/** Projects: the open project, its sounds, its models' folders and snapshots. */
export interface ProjectsApi {
  /**
   * Opens an existing project folder and makes it the current project. An empty folder, or a new
   * one whose parent exists, becomes a project only with `{create: true}`; without it the call
   * rejects with a NoProjectError (the UI asks "Create a project here?"). A path whose parent does
   * not exist is refused. Without a path: the engine's default project, which is the demo project
   * (copied on first open from the app's assets into the user's data folder) unless the engine was
   * started with another.
   */
  openProject(path?: string, options?: { create?: boolean }): Promise<ProjectSummary>;
  /** Makes a new, empty project named `name` in the user's projects folder and opens it. */
  newProject(name: string): Promise<ProjectSummary>;
  /** The projects opened lately, most recent first (at most ten). */
  recentProjects(): Promise<RecentProject[]>;
  /** A source of the current project, mono at the project's rate (decoded in a worker thread). */
  getSourceAudio(id: string): Promise<SourceAudio>;
  /**
   * Copies an audio file (WAV, AIFF, FLAC, Ogg Vorbis or MP3) into the current project. `name` is the file's own name (it names the file
   * in errors and, made safe, in sources/). A file that cannot be used is refused with an
   * AudioFileError naming it and the reason; the project is then unchanged. The file is decoded and
   * checked in a worker thread, so other calls are answered meanwhile.
   */
  importSource(name: string, bytes: Uint8Array): Promise<SourceInfo>;
  /**
   * A file too big for one message, uploaded in pieces (the browser's import): beginUpload gives a
   * token; uploadChunk takes the pieces in order, each at its byte offset and at most
   * MAX_UPLOAD_CHUNK_BYTES, written straight to a hidden file in sources/ (no limit but the disk);
   * finishUpload decodes it from there in a worker, as importSource checks bytes, and adds it;
   * cancelUpload, a refused piece or a refused file leave nothing behind.
   */
  beginUpload(name: string, size: number): Promise<string>;
  uploadChunk(upload: string, offset: number, bytes: Uint8Array): Promise<void>;
  finishUpload(upload: string): Promise<SourceInfo>;
  cancelUpload(upload: string): Promise<void>;
  /**
   * Imports the file at `path` (absolute) as finishUpload does: copied into sources/ a piece at a
   * time and decoded from there in a worker, no size cap. Honoured only for a file Electron's main
   * process granted after the user picked it in its native import dialog (main/engine/grants.ts,
   * purpose 'import'); any other path is refused with a ProjectError naming it.
   */
  importPath(path: string): Promise<SourceInfo>;
  /**
   * Adds a microphone recording (mono samples at `sampleRate`) to the project as a source:
   * silence trimmed from both ends, written as a 24-bit WAV named after `name`.
   */
  importRecording(name: string, samples: Float32Array, sampleRate: number): Promise<SourceInfo>;
  /** Removes a source from the current project and deletes its copy in sources/. */
  removeSource(id: string): Promise<void>;
  /**
   * The project's source whose file has the same content as the one described by `sha256` (the
   * SHA-256 of its bytes, hex), or null: the UI asks before importing a sound a second time.
   */
  findSource(sha256: string): Promise<SourceInfo | null>;
  /** Renames a source for display; its id stays (models trained on it keep matching it). */
  renameSource(id: string, name: string): Promise<SourceInfo>;
  /** A source's 256-bin frames in [0, 1] (its own peak as the reference), for a spectrogram. */
  getSourceFrames(
    id: string,
  ): Promise<{ frames: number; bins: number; data: Float32Array; hopSeconds: number }>;
  /**
   * Renames a model (its folder under models/); resolves to its new id. Maps and auditions of it go
   * on under the new name; refused while a job uses the model.
   */
  renameModel(id: string, name: string): Promise<string>;
  /**
   * Deletes a model and its folder (the UI asks the user first). Refused while a job uses it or a
   * run trains into its folder, and for a folder without a valid studio.json; auditions of it end
   * with an 'audition' event giving the reason.
   */
  deleteModel(id: string): Promise<void>;
  /** How a model was trained, from its studio.json: its settings, sources and every epoch's figures. */
  getModelTraining(model: string): Promise<ModelTraining>;
  /** A model's snapshots (favourite points), in the order they were saved. */
  getSnapshots(model: string): Promise<Snapshot[]>;
  /** Replaces a model's snapshots (kept in its folder as snapshots.json). */
  setSnapshots(model: string, snapshots: Snapshot[]): Promise<void>;
}

/**
 * Jobs: training runs and exports are owned by the engine, not by the call that started them. A
 * closed connection only stops watching; any connection can list and cancel them; their records
 * live in the project and survive an engine restart.
 */
export interface JobsApi {
  /**
   * Trains a new model on the project's sounds in a worker thread, as a job; resolves when the run
   * ends (done, or failed with its message). Progress arrives as 'training' events and the job's
   * changes as 'job' events, to every connection. Cancelling this call (not closing the connection)
   * cancels the run at the next batch and keeps its checkpoint, so resumeTraining can continue it.
   */
  train(settings: TrainSettings): Promise<TrainingRun>;
  /** Continues a cancelled or interrupted run from its last checkpoint (as a job, like train). */
  resumeTraining(model: string): Promise<TrainingRun>;
  /** The runs of the current project that are running, cancelled, failed or interrupted. */
  listTraining(): Promise<TrainingRun[]>;
  /** The current project's jobs: those running, then the finished ones, newest first. */
  listJobs(): Promise<JobInfo[]>;
  /** Cancels a job, whichever connection started it (a run keeps its checkpoint). */
  cancelJob(id: string): Promise<void>;
}

/** Synthesis: maps, renders and sampling, computed in the engine's worker threads. */
export interface SynthesisApi {
  /**
   * Random sounds from a model (the one sampler, ml/vae/sampler.ts, as export and the CLI): `count`
   * points drawn where the model's material lies (the aggregate posterior; temperature scales the
   * spread), each moving as the material does, `seconds` long, seeded (sound i uses seed + i), at
   * the material's loudness; for listening (export writes files).
   */
  sample(
    model: string,
    count: number,
    seconds: number,
    temperature: number,
    seed: number,
    options?: SoundOptions,
  ): Promise<SourceAudio[]>;
  /** A source through a model (level-matched), optionally moved in latent space; the audio at the source's length. */
  resynthesize(model: string, source: string, options: ResynthOptions): Promise<SourceAudio>;
  /** The latent map of one of the project's models (computed once per model, then cached). */
  getMap(model: string): Promise<LatentMap>;
  /**
   * The sound of a latent vector for `seconds`, moving as the material does around it (or held),
   * PGHI + Griffin-Lim, at the material's loudness; far-off vectors are clamped.
   */
  renderLatent(model: string, z: Float32Array, seconds: number, options?: SoundOptions): Promise<SourceAudio>;
  /** The sound of a map point, as renderLatent (only its two map coordinates are fixed; the rest follow the material). */
  renderPoint(
    model: string,
    p1: number,
    p2: number,
    seconds: number,
    options?: SoundOptions,
  ): Promise<SourceAudio>;
}

/**
 * Live audition: streams belong to the connection that started them (only it can move or stop
 * them, and they end when it closes), at most MAX_AUDITIONS per connection, and never more than a
 * few hops ahead of real time. A stream that ends for any other reason than stopAudition says why
 * in an 'audition' event.
 */
export interface AuditionApi {
  /**
   * Starts live audition of a model at a map point: its sound streams as 'audio' events to this
   * connection, frame by frame (RTPGHI), until stopAudition (or a minute without a move). A move
   * glides to its point over GLIDE_HOPS hops. With `trace`, each chunk also carries the latent
   * vector of every hop (for checking the stream against an offline render).
   */
  startAudition(
    model: string,
    p1: number,
    p2: number,
    options?: { trace?: boolean },
  ): Promise<AuditionStream>;
  /** Moves a live audition to another map point; `sentAt` (the caller's clock, ms) comes back as the `echo` of the first chunk that sounds the move. */
  moveAudition(stream: number, p1: number, p2: number, sentAt: number): Promise<void>;
  /** Moves a live audition to a latent vector (a slider's edit), like moveAudition. */
  moveAuditionTo(stream: number, z: Float32Array, sentAt: number): Promise<void>;
  stopAudition(stream: number): Promise<void>;
}

/**
 * Live input (docs/design.md, "Live input"): a sound input (the microphone) through a model in real
 * time. The caller streams its input in chunks; the engine's live worker analyses every frame,
 * encodes and decodes it (moved by the settings) and gives it the input's own phase
 * (ml/synth/live-resynth.ts), and sends the result back as 'liveAudio' events to this connection
 * alone. Streams belong to their connection as auditions do, at most MAX_LIVE_INPUTS at once.
 */
export interface LiveInputApi {
  /** Starts a stream for input at `inputRate` Hz (resampled to the model's rate in the engine). */
  startLiveInput(model: string, inputRate: number, settings?: LiveInputSettings): Promise<LiveInputStream>;
  /**
   * The next chunk of input (mono, at the stream's input rate). `sentAt` is the caller's clock at
   * the chunk's first sample (for the page: the audio context's frame); the output chunk holding
   * the sound of an input sample echoes that clock, advanced to that sample, with its offset.
   */
  liveInput(stream: number, samples: Float32Array, sentAt: number): Promise<void>;
  /** Changes mix, gain, offset or morph from the next frame on. */
  setLiveInput(stream: number, settings: LiveInputSettings): Promise<void>;
  stopLiveInput(stream: number): Promise<void>;
}

/** How live input sounds; fields left out keep their value. */
export interface LiveInputSettings {
  /** 0: the input alone (dry), 1: the model alone (wet). Default 1. */
  mix?: number;
  /** Linear gain on the input, dry included. Default 1. */
  gain?: number;
  /** Every frame moved along a map axis (in its standard deviations) or a latent dimension; null: none. */
  offset?: { direction: 'axis1' | 'axis2' | number; amount: number } | null;
  /** Every frame blended toward a latent vector (a snapshot): 0 the input's own, 1 the vector; null: none. */
  morph?: { z: number[]; amount: number } | null;
}

export interface LiveInputStream {
  stream: number;
  /** The rate of the 'liveAudio' chunks (the model's). */
  sampleRate: number;
  hop: number;
  /** The live path's own latency (one analysis window), ms. */
  latencyMs: number;
}

/** Live input streams one connection may run at once. */
export const MAX_LIVE_INPUTS = 2;

/**
 * Control (docs/design.md, "Control: OSC and MIDI"): the engine keeps what each window plays and
 * which window was most recently active; control surfaces (OSC) change that window's state, and
 * every change is a 'control' event, which the window it belongs to follows.
 */
export interface ControlApi {
  /**
   * A window says what it plays now (only the fields given change) and, unless `active` is false,
   * becomes the most recently active window. Resolves to its window id (the `window` of the
   * 'control' events about it) and its whole state.
   */
  reportControl(patch: ControlPatch): Promise<ControlReport>;
  /** The most recently active window and its state, how many windows have reported, and the OSC server. */
  getControl(): Promise<ControlView>;
  /**
   * The open project's MIDI mappings (midi.json in the project folder; none when there is no file).
   * A file that cannot be read gives no mappings and says why in `problem`.
   */
  getMidiMap(): Promise<MidiMap & { problem: string | null }>;
  /** Replaces the project's MIDI mappings (an unreadable midi.json is kept as midi.json.unreadable first). */
  setMidiMap(map: MidiMap): Promise<void>;
}

/** What a MIDI message comes from: a controller (CC), a note, or the pitch bend wheel; channels 0–15. */
export type MidiSource =
  | { kind: 'cc'; channel: number; controller: number }
  | { kind: 'note'; channel: number; note: number }
  | { kind: 'pitchbend'; channel: number };

/**
 * What a MIDI control moves: the map point's X or Y, a latent dimension (0-based), the live mix, the
 * master volume; a note recalls a snapshot (1-based) or plays its sound one-shot (`play`); `keys`
 * lays the snapshots on the keyboard from the source's note upward (that note is snapshot 1).
 */
export type MidiTarget =
  | { kind: 'mapX' }
  | { kind: 'mapY' }
  | { kind: 'latent'; dim: number }
  | { kind: 'mix' }
  | { kind: 'volume' }
  | { kind: 'snapshot'; index: number; play: boolean }
  | { kind: 'keys'; play: boolean };

/**
 * One mapping: a continuous source (0..1) goes through its curve, then spans min..max of the
 * target's control units (0..1, as OSC's; min > max turns it around). Notes ignore the range.
 */
export interface MidiMapping {
  source: MidiSource;
  target: MidiTarget;
  min: number;
  max: number;
  /** linear; exponential (x², fine control low); logarithmic (√x, fine control high). */
  curve: 'linear' | 'exponential' | 'logarithmic';
}

export interface MidiMap {
  mappings: MidiMapping[];
}

/** What one window plays, as the engine's control state keeps it. */
export interface ControlState {
  /** The model the window explores. */
  model: string | null;
  /** Its point on the model's map (map coordinates, as LatentMap's p1 and p2). */
  point: [number, number] | null;
  /** The full latent vector of that point. */
  z: number[] | null;
  /** Live audition on: an audition switched on by a control surface or a key is latched (it stays on until switched off). */
  audition: boolean;
  /** Live input through the model on. */
  live: boolean;
  /** Live input's dry/wet mix, 0 (the input) to 1 (the model). */
  mix: number;
  /** The snapshot (1-based) the point was last recalled from, until the point moves. */
  snapshot: number | null;
}

export type ControlPatch = Partial<ControlState> & { active?: boolean };

export interface ControlReport {
  window: number;
  state: ControlState;
}

export interface ControlView {
  /** The most recently active window, or null when none is open. */
  window: number | null;
  state: ControlState | null;
  windows: number;
  /** The OSC server, where one runs: its address and how many packets it ignored as malformed. */
  osc: { host: string; port: number; ignored: number } | null;
}

/**
 * What a control surface asks of the most recently active window. `x`, `y` and a latent's `value`
 * are in control units, 0..1: the map's ±2 standard deviations along each axis, a dimension's range
 * over the training frames (dimMin to dimMax; the slider reaches a quarter of it further each way).
 */
export type ControlCommand =
  | { kind: 'point'; x: number; y: number }
  | { kind: 'latent'; dim: number; value: number }
  | { kind: 'snapshot'; which: number | string }
  | { kind: 'audition'; on: boolean }
  | { kind: 'live'; on: boolean }
  | { kind: 'mix'; value: number }
  | { kind: 'get' };

/** Export: batches of WAVs, as jobs. */
export interface ExportApi {
  /**
   * Writes a batch of WAVs with manifest.json and manifest.csv, as a job ('export/<name>'); the
   * files go into a temporary folder renamed into place when all are written, so a failure or a
   * cancel leaves nothing behind. Progress arrives as 'progress' events with the job's id.
   */
  exportSounds(settings: ExportSettings): Promise<ExportResult>;
  /** An export of the project's exports/ as one zip file (the browser's download). */
  getExportZip(name: string): Promise<Uint8Array>;
}

export interface StudioApi
  extends SessionApi, ProjectsApi, JobsApi, SynthesisApi, AuditionApi, LiveInputApi, ExportApi, ControlApi {}

/** How a generated sound is made. */
export interface SoundOptions {
  /** 'material' (default): it moves as the nearest stretch of the training material does; 'hold': a drone. */
  motion?: 'material' | 'hold';
  /** Where random points are drawn: 'posterior' (default, where the material lies) or the N(0, I) 'prior'. */
  from?: 'posterior' | 'prior';
}

/** Live audition streams one connection may run at once. */
export const MAX_AUDITIONS = 4;

/** A long piece of work the engine owns (a training run or an export). */
export interface JobInfo {
  /** 'train/<model>' or 'export/<name>': stable across engine restarts. */
  id: string;
  kind: 'train' | 'export';
  /** The project folder it belongs to. */
  project: string;
  /** The model it trains or exports from. */
  model: string;
  /**
   * queued: waiting for a thread; running; done; failed (error says why); cancelled (a run keeps
   * its checkpoint); interrupted: its engine died mid-run (resumed by itself when its inputs are the
   * project's own sources, else offered for resume).
   */
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
  /** Epochs (train) or files (export) done of the total. */
  progress: { done: number; total: number };
  /** A training run's figures, every epoch so far; empty for an export. */
  history: EpochSummary[];
  /** What it made: the training run's end, or the export's files. */
  result: TrainingRun | ExportResult | null;
  error: string | null;
  /** ISO times. */
  startedAt: string;
  endedAt: string | null;
}

/** What the export dialog asks for (docs/design.md, "The project": exports). */
export interface ExportSettings {
  model: string;
  /** random: `count` sounds; grid: a count × count grid over ±2 standard deviations of the map;
   * path: one sound through `points`; resynth: the sources `sources` through the model. */
  kind: 'random' | 'grid' | 'path' | 'resynth';
  count?: number;
  points?: { p1: number; p2: number }[];
  /** A path through latent vectors (snapshots) instead of map points. */
  latents?: number[][];
  sources?: string[];
  /** Length of generated sounds (per point for a path). */
  seconds: number;
  bitDepth: '16' | '24' | '32f';
  /** Output rate; the model's when absent. */
  rate?: number;
  /** material: the training material's loudness (resyntheses keep their recording's level); peak: −1 dBFS. */
  normalize: 'material' | 'peak' | 'none';
  /** Random sounds: the first sound's seed (sound i uses seed + i); 0 when absent. */
  seed?: number;
  /** Random sounds' temperature (GENERATED_SOUND.temperature when absent). */
  temperature?: number;
  /** How generated sounds move ('material' when absent). */
  motion?: 'material' | 'hold';
  /** Fade in and out, seconds (default: 10 ms for generated sound, none for resyntheses). */
  fadeSeconds?: number;
  /** File names start with this (default: the kind — random, grid, path — or nothing before a resynthesis). */
  filePrefix?: string;
  /** The export's name: its folder under the project's exports/ (made safe and unique). */
  name: string;
  /**
   * Under Electron: a folder the user chose in main's native dialog, written into instead of
   * exports/ (it must be empty). Honoured only when main granted the engine that path; refused from
   * a browser.
   */
  folder?: string;
}

export interface ExportResult {
  /** Where the files are, on the engine's machine. */
  folder: string;
  /** The export's name under exports/ (for getExportZip); null when written to a chosen folder. */
  name: string | null;
  files: string[];
}

export interface AuditionStream {
  stream: number;
  sampleRate: number;
  /** Samples per frame hop: chunks come in multiples of it. */
  hop: number;
}

export type StudioMethod = keyof StudioApi;

/** Events the engine sends without being asked. */
export type StudioEvent =
  /** The engine is up and answering (sent once per engine process, and again after a restart). */
  | { type: 'ready'; version: string }
  /** A long job's progress: `done` of `total` units (`job` is the JobInfo id). */
  | { type: 'progress'; job: string; done: number; total: number }
  /** A job started, ended or changed state (sent to every connection). */
  | { type: 'job'; job: JobInfo }
  /** A live audition of this connection ended by itself: idle, its model deleted, an error. */
  | { type: 'audition'; stream: number; state: 'ended'; reason: string }
  /**
   * A window's control state changed (`from` the window itself or a control surface), or the most
   * recently active window closed (then `window` is the one now most recently active, or null).
   * Sent to every connection; the window whose id is `window` follows a change from a surface.
   */
  | {
      type: 'control';
      window: number | null;
      active: number | null;
      state: ControlState | null;
      from: 'window' | 'osc';
    }
  /** The current project changed (a source imported or removed, by this or another window). */
  | { type: 'project'; project: ProjectSummary }
  /** A chunk of a live audition's sound, to be played straight after the previous one. */
  | {
      type: 'audio';
      stream: number;
      samples: Float32Array;
      /** A move's sentAt, on the chunk where its glide begins: at sample `echoAt` of it. */
      echo?: number;
      echoAt?: number;
      trace?: Float32Array;
    }
  /** Live input through the model, a chunk after another; `echo` is the input's clock at sample `echoAt` of it. */
  | { type: 'liveAudio'; stream: number; samples: Float32Array; echo?: number; echoAt?: number }
  /** A live input stream of this connection ended by itself: idle, its model deleted, an error. */
  | { type: 'liveInput'; stream: number; state: 'ended'; reason: string }
  /** A training run moved on: a batch (`batch`), an epoch (`report`), or its end (`run.status`). */
  | {
      type: 'training';
      /** The job's id ('train/<model>'). */
      job: string;
      run: TrainingRun;
      report?: EpochSummary;
      batch?: { done: number; total: number };
      /** Now and then: the start of the first training sound as the model reconstructs it. */
      preview?: SourceAudio & { epoch: number };
    };

/**
 * The `name` of errors that cross the API, so the UI can tell them apart. Anything else is an
 * engine bug, shown with its message.
 */
export type ErrorName =
  /** A user's file cannot be used; the message names it and says why. */
  | 'AudioFileError'
  /** The project folder or an id in it is wrong (no project open, unknown source, ...). */
  | 'ProjectError'
  /** openProject on an empty or new folder without `create`: the UI asks before making a project. */
  | 'NoProjectError'
  /** The request was malformed: unknown method, wrong arguments, too large, not decodable. */
  | 'ProtocolError'
  /** The call was cancelled by its caller. */
  | 'AbortError'
  /** No answer within the client's time limit. */
  | 'TimeoutError'
  /** The connection to the engine closed before the answer came. */
  | 'DisconnectedError';

/** What a method gets besides its arguments when it is called through the protocol. */
export interface CallContext {
  /**
   * Aborted when the caller cancels (reason: an AbortError) or its connection closes (reason: a
   * DisconnectedError); long calls check it and stop. Jobs stop only on a cancel: a closed
   * connection merely stops watching them.
   */
  signal: AbortSignal;
  /** The connection the call came over: what it starts and owns (audition streams) ends with it. */
  connection?: Connection;
}

/** One client's connection to the engine, as the engine's services see it. */
export interface Connection {
  /** Unique in the engine process. */
  readonly id: number;
  /** Sends an event to this connection only. */
  send(event: StudioEvent): void;
  /** Runs `listener` once when the connection closes; returns the unsubscribe. */
  onClose(listener: () => void): () => void;
}
