// The sound files picked in main's native import dialog, for the page to import BY PATH
// (StudioApi.importPath): main grants each one to the engine for 'import' (main.ts), and the engine
// copies and decodes it from the disk, a piece at a time, with no size cap. Nothing here reads the
// audio. A pick that is not a file, cannot be reached, or is past MAX_GRANTS in one pick comes back
// with the reason instead, so one bad pick does not lose the others.
import { stat } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import type { ChosenSound } from './preload-api.js';

/** The formats the import dialog offers (the engine decodes each: ml/audio). */
export const SOUND_EXTENSIONS = ['wav', 'wave', 'flac', 'ogg', 'oga', 'mp3', 'aif', 'aiff', 'aifc'];

export async function chosenSounds(paths: readonly string[], maxFiles: number): Promise<ChosenSound[]> {
  return Promise.all(
    paths.map(async (path, i): Promise<ChosenSound> => {
      const name = basename(path);
      if (!isAbsolute(path) || path.includes('\0')) return { name, error: `${name} is not a file path` };
      if (i >= maxFiles)
        return { name, error: `${name} was not imported: pick at most ${maxFiles} files at once` };
      try {
        const info = await stat(path);
        if (!info.isFile()) return { name, error: `${name} is not a file` };
        return { name, path };
      } catch (err) {
        const reason =
          (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
        return { name, error: `${name} could not be read (${reason})` };
      }
    }),
  );
}
