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
