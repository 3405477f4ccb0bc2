// Reads the WAV files picked in the native import dialog, for the page to import as bytes (the one
// import path it has for pickers, drops and recordings alike). A file that is too large or cannot
// be read comes back with the reason instead, so one bad pick does not lose the others.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ChosenSound } from './preload-api.js';

const MiB = 1024 * 1024;

export async function readChosenSounds(paths: readonly string[], maxBytes: number): Promise<ChosenSound[]> {
  return Promise.all(
    paths.map(async (path): Promise<ChosenSound> => {
      const name = basename(path);
      try {
        const info = await stat(path);
        if (!info.isFile()) return { name, error: `${name} is not a file` };
        if (info.size > maxBytes) {
          return {
            name,
            error: `${name} is too large (${(info.size / MiB).toFixed(1)} MiB; the limit is ${maxBytes / MiB} MiB)`,
          };
        }
        const buffer = await readFile(path);
        return { name, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) };
      } catch (err) {
        const reason =
          (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
        return { name, error: `${name} could not be read (${reason})` };
      }
    }),
  );
}
