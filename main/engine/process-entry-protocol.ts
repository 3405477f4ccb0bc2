/**
 * The message that hands the engine process one end of a new MessageChannel (the port travels in
 * the message's transfer list), through process.parentPort under Electron's utilityProcess. The
 * engine serves StudioApi on each port it is given; the first is main's own (the supervisor's),
 * later ones are windows'.
 */
export const ENGINE_CONNECT_MESSAGE = 'vae-studio:connect';

/**
 * The type of the message by which Electron's main process grants the engine one folder (or, for
 * 'import', one file) the user chose in main's native dialog (main/engine/grants.ts). It travels on process.parentPort, which
 * only main can write to; a window's port cannot send it (those carry StudioApi calls only).
 */
export const ENGINE_GRANT_MESSAGE = 'vae-studio:grant';

/**
 * What a grant may be used for; a grant for one purpose never allows another. 'export' and
 * 'project' grant folders; 'import' grants one file picked in main's import dialog.
 */
export type GrantPurpose = 'export' | 'project' | 'import';
export const GRANT_PURPOSES: readonly GrantPurpose[] = ['export', 'project', 'import'];

export interface EngineGrantMessage {
  type: typeof ENGINE_GRANT_MESSAGE;
  /** The folder or file as main's dialog returned it (absolute). */
  path: string;
  purpose: GrantPurpose;
}

/**
 * How many grants of each purpose the engine keeps (and main replays to a restarted engine); older
 * ones lapse. One import pick is held to this many files.
 */
export const MAX_GRANTS = 64;

/** Longer paths than this are not paths any dialog returns. */
const MAX_PATH_LENGTH = 4096;

export function grantMessage(path: string, purpose: GrantPurpose): EngineGrantMessage {
  return { type: ENGINE_GRANT_MESSAGE, path, purpose };
}

/** True for a well-formed grant message: the type, a non-empty path without NUL, a known purpose. */
export function isGrantMessage(data: unknown): data is EngineGrantMessage {
  const message = data as Partial<EngineGrantMessage> | null;
  return (
    typeof message === 'object' &&
    message !== null &&
    message.type === ENGINE_GRANT_MESSAGE &&
    typeof message.path === 'string' &&
    message.path.length > 0 &&
    message.path.length <= MAX_PATH_LENGTH &&
    !message.path.includes('\0') &&
    GRANT_PURPOSES.includes(message.purpose as GrantPurpose)
  );
}

/**
 * The compute window (docs/design.md, "Backends"): under Electron the engine trains on WebGPU/WebGL
 * in a hidden window that main opens. The engine asks on process.parentPort (ComputeRequest: open
 * or close window `id`); main answers (ComputeAnswer) with the window page's port in the transfer
 * list, or why it could not open one. main/engine/compute-relay.ts is the engine's side,
 * main/electron/utility-engine.ts main's.
 */
export const COMPUTE_OPEN_MESSAGE = 'vae-studio:compute-open';
export const COMPUTE_CLOSE_MESSAGE = 'vae-studio:compute-close';
export const COMPUTE_OPENED_MESSAGE = 'vae-studio:compute-opened';
export const COMPUTE_FAILED_MESSAGE = 'vae-studio:compute-failed';

export type ComputeRequest = {
  type: typeof COMPUTE_OPEN_MESSAGE | typeof COMPUTE_CLOSE_MESSAGE;
  id: number;
};
export type ComputeAnswer =
  /** The page's port travels in the message's transfer list. */
  | { type: typeof COMPUTE_OPENED_MESSAGE; id: number }
  | { type: typeof COMPUTE_FAILED_MESSAGE; id: number; message: string };

function hasId(data: unknown): data is { type: unknown; id: number } {
  const id = (data as { id?: unknown } | null)?.id;
  return typeof data === 'object' && data !== null && typeof id === 'number' && Number.isSafeInteger(id);
}

/** An engine's request to main (open or close compute window `id`). */
export function isComputeRequest(data: unknown): data is ComputeRequest {
  return hasId(data) && (data.type === COMPUTE_OPEN_MESSAGE || data.type === COMPUTE_CLOSE_MESSAGE);
}

/** Main's answer to an engine's open request. */
export function isComputeAnswer(data: unknown): data is ComputeAnswer {
  if (!hasId(data)) return false;
  if (data.type === COMPUTE_OPENED_MESSAGE) return true;
  return data.type === COMPUTE_FAILED_MESSAGE && typeof (data as { message?: unknown }).message === 'string';
}
