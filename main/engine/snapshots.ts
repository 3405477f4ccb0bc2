// A model's snapshots (favourite points of its latent space, with names) live beside it in
// snapshots.json, written atomically; a missing file is no snapshots.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Snapshot } from '../../common/api.js';
import { writeFileAtomic } from '../../ml/audio/files.js';
import { ProjectError } from './project.js';

const FILE = 'snapshots.json';
const schema = z.array(z.object({ name: z.string().min(1).max(120), z: z.array(z.number()) }));

export async function readSnapshots(folder: string): Promise<Snapshot[]> {
  if (!existsSync(join(folder, 'studio.json'))) throw new ProjectError(`${folder} is not a model`);
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(join(folder, FILE), 'utf8')));
    if (!parsed.success) throw new ProjectError(`${join(folder, FILE)}: not a list of snapshots`);
    return parsed.data;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (err instanceof ProjectError) throw err;
    throw new ProjectError(`${join(folder, FILE)}: not valid JSON`);
  }
}

export async function writeSnapshots(folder: string, snapshots: Snapshot[]): Promise<void> {
  if (!existsSync(join(folder, 'studio.json'))) throw new ProjectError(`${folder} is not a model`);
  await writeFileAtomic(
    join(folder, FILE),
    new TextEncoder().encode(`${JSON.stringify(snapshots, null, 2)}\n`),
    { overwrite: true },
  );
}
