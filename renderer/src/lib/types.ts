// The API's types, re-exported for the renderer's modules.
export type {
  AuditionStream,
  EpochSummary,
  ExportResult,
  ExportSettings,
  Hello,
  JobInfo,
  LatentMap,
  ModelInfo,
  ModelTraining,
  ProjectSummary,
  RecentProject,
  ResynthOptions,
  Snapshot,
  SourceInfo,
  StudioApi,
  StudioEvent,
  TrainSettings,
  BackendChoices,
  TrainingRun,
} from '../../../common/api.js';
export type { StudioClient } from '../../../common/client.js';
