// The user's recent projects (recent.json in the data folder, newest first, at most ten) and new
// projects' folders (projects/<name> in the data folder, never an existing one).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { RecentProject } from '../../common/api.js';
import { writeFileAtomic } from '../../ml/audio/files.js';
import { ProjectError, safeStem } from './project.js';

const MAX = 10;
const schema = z.array(z.object({ path: z.string(), name: z.string(), openedAt: z.string() }));

export class RecentProjects {
  readonly #file: string;
  readonly #projects: string;

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'recent.json');
    this.#projects = join(dataDir, 'projects');
  }

  async list(): Promise<RecentProject[]> {
    try {
      const parsed = schema.safeParse(JSON.parse(await readFile(this.#file, 'utf8')));
      // A project moved or deleted since is left out.
      return parsed.success ? parsed.data.filter((p) => existsSync(join(p.path, 'project.json'))) : [];
    } catch {
      return [];
    }
  }

  async add(path: string, name: string): Promise<void> {
    const list = [
      { path, name, openedAt: new Date().toISOString() },
      ...(await this.list()).filter((p) => p.path !== path),
    ];
    await mkdir(join(this.#file, '..'), { recursive: true });
    await writeFileAtomic(
      this.#file,
      new TextEncoder().encode(`${JSON.stringify(list.slice(0, MAX), null, 2)}\n`),
      { overwrite: true },
    );
  }

  /** A folder for a new project called `name` that does not exist yet. */
  async freeProjectFolder(name: string): Promise<string> {
    const stem = safeStem(name);
    // The projects folder is the app's own: made here, so a first new project has a parent.
    await mkdir(this.#projects, { recursive: true });
    for (let n = 1; n <= 1000; n++) {
      const folder = join(this.#projects, n === 1 ? stem : `${stem} (${n})`);
      if (!existsSync(folder)) return folder;
    }
    throw new ProjectError(`too many projects named ${name}`);
  }
}
