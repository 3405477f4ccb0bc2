import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AudioFileError } from '../../ml/audio/errors.js';
import { encodeWav } from '../../ml/audio/wav.js';
import { tinyStudio } from '../../ml/vae/testing.js';
import { sine } from '../../test/signals.js';
import { packageRoot } from '../package-info.js';
import {
  ensureDemoProject,
  NoProjectError,
  Project,
  PROJECT_FILE,
  ProjectError,
  safeFileName,
} from './project.js';

const tone = (seconds = 0.2, rate = 22050) =>
  encodeWav(sine(440, rate, Math.round(seconds * rate), 0.5), rate, '16');

/** Every file under a folder with its hash, to show that nothing else changed. */
async function snapshot(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(folder.length)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

let dir: string;
beforeEach(async () => {
  // Real path: on macOS the tmp folder is itself behind a symbolic link.
  dir = await realpath(await mkdtemp(join(tmpdir(), 'vae-project-')));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('safeFileName', () => {
  it('keeps ordinary names and makes the rest safe', () => {
    expect(safeFileName('bells.wav')).toBe('bells.wav');
    expect(safeFileName('Take 1 (final).WAV')).toBe('Take 1 (final).wav');
    expect(safeFileName('vowels')).toBe('vowels.wav');
    expect(safeFileName('../../etc/passwd')).toBe('passwd.wav');
    expect(safeFileName('C:\\Users\\me\\kick.wav')).toBe('kick.wav');
    expect(safeFileName('..')).toBe('sound.wav');
    expect(safeFileName('.hidden.wav')).toBe('hidden.wav');
    expect(safeFileName('a<b>c:d|e?f*g"h.wav')).toBe('a_b_c_d_e_f_g_h.wav');
    expect(safeFileName('nul\u0000byte.wav')).toBe('nul_byte.wav');
    expect(safeFileName('CON.wav')).toBe('_CON.wav');
    expect(safeFileName('Grüße 音.wav')).toBe('Grüße 音.wav');
    expect(safeFileName(`${'x'.repeat(300)}.wav`)).toBe(`${'x'.repeat(100)}.wav`);
  });
});

describe('Project', () => {
  it('makes a new project in an absent or empty folder and reopens it', async () => {
    const folder = join(dir, 'new');
    const project = await Project.open(folder, { create: true });
    expect((await readdir(folder)).sort()).toEqual(['exports', 'models', PROJECT_FILE, 'sources']);
    expect(await project.summary()).toEqual({
      path: folder,
      name: 'new',
      sampleRate: 22050,
      sources: [],
      models: [],
      warnings: [],
    });
    const again = await Project.open(folder);
    expect(again.name).toBe('new');
  });

  it('refuses a folder with other files, and a damaged project.json, naming them', async () => {
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(Project.open(dir)).rejects.toThrow(
      /not a VAE Studio project \(no project.json\) and not empty/,
    );
    expect(await readdir(dir)).toEqual(['notes.txt']);

    const broken = join(dir, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, PROJECT_FILE), '{"format":"vae-studio-project"');
    await expect(Project.open(broken)).rejects.toThrow(`${join(broken, PROJECT_FILE)}: not valid JSON`);
    await writeFile(
      join(broken, PROJECT_FILE),
      JSON.stringify({
        format: 'vae-studio-project',
        version: 1,
        name: 'x',
        sampleRate: 22050,
        sources: [{ id: '../x' }],
      }),
    );
    await expect(Project.open(broken)).rejects.toThrow(ProjectError);
  });

  it('imports a good WAV byte for byte and lists it', async () => {
    const project = await Project.open(dir, { create: true });
    const bytes = tone(0.5, 44100);
    const info = await project.importSource('My take.wav', bytes);
    expect(info).toEqual({
      id: 'My take.wav',
      name: 'My take.wav',
      durationSeconds: expect.closeTo(0.5, 3),
      sampleRate: 44100,
      channels: 1,
      warnings: [],
    });
    expect(new Uint8Array(await readFile(join(dir, 'sources', 'My take.wav')))).toEqual(bytes);
    expect((await project.summary()).sources).toEqual([info]);
    // It is in project.json, so a reopened project lists it too.
    expect((await (await Project.open(dir)).summary()).sources).toEqual([info]);
    const audio = await project.readSource(info.id);
    expect(audio.sampleRate).toBe(22050);
    expect(audio.samples.length).toBe(11025);
  });

  it('adds a source decoded elsewhere, as importSource does', async () => {
    const project = await Project.open(dir, { create: true });
    const bytes = tone(0.5, 44100);
    const audio = { durationSeconds: 0.5, sourceRate: 44100, channels: 1, warnings: ['w'] };
    const info = await project.addSource('taken.wav', bytes, audio);
    expect(info).toEqual({
      id: 'taken.wav',
      name: 'taken.wav',
      durationSeconds: 0.5,
      sampleRate: 44100,
      channels: 1,
      warnings: ['w'],
    });
    expect(new Uint8Array(await readFile(join(dir, 'sources', 'taken.wav')))).toEqual(bytes);
    expect((await project.addSource('taken.wav', bytes, audio)).id).toBe('taken (2).wav');
    const aborted = AbortSignal.abort();
    await expect(project.addSource('late.wav', bytes, audio, aborted)).rejects.toThrow();
    expect((await readdir(join(dir, 'sources'))).sort()).toEqual(['taken (2).wav', 'taken.wav']);
  });

  it('refuses garbage naming the file and the reason, and changes nothing', async () => {
    const project = await Project.open(dir, { create: true });
    await project.importSource('keep.wav', tone());
    const before = await snapshot(dir);
    const cases: [string, Uint8Array, RegExp][] = [
      ['notes.wav', new TextEncoder().encode('hello, not audio'), /^notes\.wav: not a wav file/],
      ['empty.wav', new Uint8Array(0), /^empty\.wav: empty file/],
      ['cut.wav', tone().subarray(0, 30), /^cut\.wav: truncated/],
      ['blip.wav', encodeWav(new Float32Array(100), 22050, '16'), /^blip\.wav: too short/],
    ];
    for (const [name, bytes, message] of cases) {
      const err = await project.importSource(name, bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AudioFileError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await snapshot(dir)).toEqual(before);
    expect((await project.summary()).sources.map((s) => s.id)).toEqual(['keep.wav']);
  });

  it('never overwrites: a taken name gets a number, a stray file of that name is kept', async () => {
    const project = await Project.open(dir, { create: true });
    const first = tone(0.2);
    const second = tone(0.3);
    await project.importSource('kick.wav', first);
    expect((await project.importSource('kick.wav', second)).id).toBe('kick (2).wav');
    expect((await project.importSource('KICK.wav', second)).id).toBe('KICK (3).wav');
    // A file in sources/ that project.json does not list (copied there by hand) is not replaced.
    await writeFile(join(dir, 'sources', 'snare.wav'), 'not ours');
    expect((await project.importSource('snare.wav', first)).id).toBe('snare (2).wav');
    expect(await readFile(join(dir, 'sources', 'snare.wav'), 'utf8')).toBe('not ours');
    expect(new Uint8Array(await readFile(join(dir, 'sources', 'kick.wav')))).toEqual(first);
    // Unsafe names land inside sources/, nowhere else.
    expect((await project.importSource('../../escape.wav', first)).id).toBe('escape.wav');
    expect(await readdir(dir)).not.toContain('escape.wav');
    // Concurrent imports of one name do not collide.
    const ids = await Promise.all([1, 2, 3].map(() => project.importSource('same.wav', first)));
    expect(ids.map((i) => i.id).sort()).toEqual(['same (2).wav', 'same (3).wav', 'same.wav']);
  });

  it('removes a source and its copy, and refuses unknown ids without touching files', async () => {
    const project = await Project.open(dir, { create: true });
    const a = await project.importSource('a.wav', tone());
    await project.importSource('b.wav', tone());
    await project.removeSource(a.id);
    expect((await project.summary()).sources.map((s) => s.id)).toEqual(['b.wav']);
    expect(await readdir(join(dir, 'sources'))).toEqual(['b.wav']);
    const before = await snapshot(dir);
    await expect(project.removeSource('../project.json')).rejects.toThrow(/no source "\.\.\/project\.json"/);
    await expect(project.readSource('a.wav')).rejects.toThrow(ProjectError);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('renames a source for display only: its id and file stay, an empty name is refused', async () => {
    const project = await Project.open(dir, { create: true });
    const a = await project.importSource('speech1.wav', tone());
    const renamed = await project.renameSource(a.id, '  my voice  ');
    expect(renamed).toMatchObject({ id: 'speech1.wav', name: 'my voice' });
    const reopened = await Project.open(dir);
    expect((await reopened.summary()).sources.map((s) => [s.id, s.name])).toEqual([
      ['speech1.wav', 'my voice'],
    ]);
    expect(await readdir(join(dir, 'sources'))).toEqual(['speech1.wav']);
    await expect(project.renameSource(a.id, '   ')).rejects.toThrow(/needs a name \(renaming my voice\)/);
    await expect(project.renameSource('nope.wav', 'x')).rejects.toThrow(/no source "nope\.wav"/);
  });

  it('finds a source by the hash of its content, also in a project imported before hashes were kept', async () => {
    const project = await Project.open(dir, { create: true });
    const bytes = tone();
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(await project.findSource(hash)).toBeNull();
    await project.importSource('speech1.wav', bytes);
    expect((await project.findSource(hash))?.id).toBe('speech1.wav');
    // project.json of an older version: no hash kept; the file is hashed when asked.
    const json = JSON.parse(await readFile(join(dir, 'project.json'), 'utf8'));
    expect(json.sources[0].sha256).toBe(hash);
    delete json.sources[0].sha256;
    await writeFile(join(dir, 'project.json'), JSON.stringify(json));
    const older = await Project.open(dir);
    expect((await older.findSource(hash))?.name).toBe('speech1.wav');
    expect(await older.findSource('0'.repeat(64))).toBeNull();
  });

  it("reads a model's training record: settings, sources and every epoch's figures", async () => {
    const project = await Project.open(dir, { create: true });
    const epoch = (n: number) => ({ epoch: n, epochs: 2, reconstruction: 3 - n, kl: 0.5, total: 3.5 - n });
    const studio = tinyStudio(3);
    studio.training = { ...studio.training, epochs: 2, seconds: 4, history: [epoch(1), epoch(2)] };
    await mkdir(join(dir, 'models', 'm'), { recursive: true });
    await writeFile(join(dir, 'models', 'm', 'studio.json'), JSON.stringify(studio));
    const training = await project.modelTraining('m');
    expect(training).toMatchObject({ model: 'm', epochs: 2, seconds: 4, backend: 'wasm' });
    expect(training.history.map((h) => [h.epoch, h.total])).toEqual([
      [1, 2.5],
      [2, 1.5],
    ]);
    expect(training.sources).toEqual([{ name: 'a.wav', frames: 100, heldOut: 10 }]);
    await mkdir(join(dir, 'models', 'half'));
    await expect(project.modelTraining('half')).rejects.toThrow(
      /models\/half\/studio.json cannot be read \(ENOENT\)/,
    );
  });

  it('warns about a missing source file and a bad model, and lists good models', async () => {
    const project = await Project.open(dir, { create: true });
    await project.importSource('gone.wav', tone());
    await rm(join(dir, 'sources', 'gone.wav'));
    await mkdir(join(dir, 'models', 'good'));
    await writeFile(join(dir, 'models', 'good', 'studio.json'), JSON.stringify(tinyStudio(3)));
    await mkdir(join(dir, 'models', 'half'));
    const summary = await project.summary();
    expect(summary.sources[0].warnings).toEqual(['missing: sources/gone.wav is gone']);
    expect(summary.models).toEqual([
      {
        id: 'good',
        name: 'good',
        preset: 'compact',
        latent: 3,
        epochs: expect.any(Number),
        metrics: expect.any(Object),
      },
    ]);
    expect(summary.warnings).toEqual(['models/half: not a model yet (no studio.json)']);
  });
});

/** Whether anything (even a broken link) has this name. */
const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** A finished model folder: a valid studio.json. */
async function makeModel(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'studio.json'), JSON.stringify(tinyStudio(3)));
}

describe('Project.open: existing projects, and new ones only when asked', () => {
  it('opens an existing project without being asked to create', async () => {
    await Project.open(join(dir, 'p'), { create: true, name: 'Mine' });
    expect((await Project.open(join(dir, 'p'))).name).toBe('Mine');
    expect((await Project.open(join(dir, 'p'), { create: true })).name).toBe('Mine');
  });

  it('makes an empty folder a project only with create, else NoProjectError and nothing written', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const err = await Project.open(empty).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoProjectError);
    expect(err).toBeInstanceOf(ProjectError);
    expect((err as Error).name).toBe('NoProjectError');
    expect((err as Error).message).toBe(
      `${empty}: an empty folder, not a project yet; create a project here?`,
    );
    expect(await readdir(empty)).toEqual([]);
    await Project.open(empty, { create: true });
    expect((await readdir(empty)).sort()).toEqual(['exports', 'models', PROJECT_FILE, 'sources']);
  });

  it('makes a new folder whose parent exists only with create, else NoProjectError', async () => {
    const fresh = join(dir, 'fresh');
    const err = await Project.open(fresh).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoProjectError);
    expect((err as Error).message).toBe(`${fresh}: no such folder; create a project here?`);
    expect(await exists(fresh)).toBe(false);
    const project = await Project.open(fresh, { create: true, name: 'Fresh', sampleRate: 16000 });
    expect([project.name, project.sampleRate]).toEqual(['Fresh', 16000]);
    expect(await exists(join(fresh, PROJECT_FILE))).toBe(true);
  });

  it('refuses a path whose parent does not exist, even with create, and makes no folder', async () => {
    const typo = join(dir, 'no-such-parent', 'deeper', 'project');
    for (const options of [{}, { create: true }]) {
      const err = await Project.open(typo, options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProjectError);
      expect(err).not.toBeInstanceOf(NoProjectError);
      expect((err as Error).message).toBe(
        `${typo}: the folder ${join(dir, 'no-such-parent', 'deeper')} does not exist`,
      );
    }
    expect(await readdir(dir)).toEqual([]);
    // A file where the parent folder should be is no parent either.
    await writeFile(join(dir, 'file.txt'), 'x');
    await expect(Project.open(join(dir, 'file.txt', 'p'), { create: true })).rejects.toThrow(
      /the folder .*file\.txt does not exist/,
    );
    await expect(Project.open(join(dir, 'file.txt'), { create: true })).rejects.toThrow(
      /is a file, not a project folder/,
    );
    expect(await readdir(dir)).toEqual(['file.txt']);
  });

  it('refuses a project.json that is a symbolic link, at open and at save', async () => {
    const real = join(dir, 'real');
    await Project.open(real, { create: true });
    const linked = join(dir, 'linked');
    await mkdir(linked);
    await symlink(join(real, PROJECT_FILE), join(linked, PROJECT_FILE));
    await expect(Project.open(linked)).rejects.toThrow(
      `${join(linked, PROJECT_FILE)}: a symbolic link; a project's project.json must be a file in it`,
    );
    // Swapped for a link after opening: the next save is refused and the link's target kept.
    const project = await Project.open(join(dir, 'p'), { create: true });
    const outside = join(dir, 'outside.json');
    await writeFile(outside, 'theirs');
    await rm(join(dir, 'p', PROJECT_FILE));
    await symlink(outside, join(dir, 'p', PROJECT_FILE));
    await expect(project.importSource('a.wav', tone())).rejects.toThrow(
      `${join(dir, 'p', PROJECT_FILE)}: leads outside the project`,
    );
    expect(await readFile(outside, 'utf8')).toBe('theirs');
    expect(await readdir(join(dir, 'p', 'sources'))).toEqual([]);
    // A link to a file inside the project is refused too: a save would replace the link.
    await writeFile(join(dir, 'p', 'copy.json'), 'inside');
    await rm(join(dir, 'p', PROJECT_FILE));
    await symlink(join(dir, 'p', 'copy.json'), join(dir, 'p', PROJECT_FILE));
    await expect(project.importSource('a.wav', tone())).rejects.toThrow(
      `${join(dir, 'p', PROJECT_FILE)}: a symbolic link; a project's project.json must be a file in it`,
    );
    expect(await readFile(join(dir, 'p', 'copy.json'), 'utf8')).toBe('inside');
    expect((await lstat(join(dir, 'p', PROJECT_FILE))).isSymbolicLink()).toBe(true);
    expect(await readdir(join(dir, 'p', 'sources'))).toEqual([]);
  });
});

describe('paths inside a project stay inside it', () => {
  let root: string;
  let outside: string;
  let project: Project;
  beforeEach(async () => {
    root = join(dir, 'project');
    outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.wav'), tone());
    project = await Project.open(root, { create: true });
  });

  /** Replaces a sub-folder of the project with a link to the outside folder. */
  const linkOut = async (sub: string) => {
    await rm(join(root, sub), { recursive: true });
    await symlink(outside, join(root, sub));
  };

  it('resolves paths under the folder and refuses ".." and links that lead out', async () => {
    expect(await project.resolveInside('sources', 'a.wav')).toBe(join(root, 'sources', 'a.wav'));
    expect(await project.resolveInside()).toBe(root);
    expect(await project.resolveInside('sources', '..', 'models')).toBe(join(root, 'models'));
    await expect(project.resolveInside('..', 'outside')).rejects.toThrow(
      `${outside}: leads outside the project ${root}`,
    );
    await expect(project.resolveInside('/etc/passwd')).rejects.toThrow(/leads outside the project/);
    await linkOut('exports');
    await expect(project.resolveInside('exports', 'new', 'deeper')).rejects.toThrow(
      `${join(root, 'exports', 'new', 'deeper')}: leads outside the project ${root} (to ${join(outside, 'new', 'deeper')})`,
    );
    // A link that stays inside is followed.
    await mkdir(join(root, 'models', 'real'));
    await symlink(join(root, 'models', 'real'), join(root, 'models', 'alias'));
    expect(await project.resolveInside('models', 'alias', 'x')).toBe(join(root, 'models', 'alias', 'x'));
    // A broken link could lead anywhere once written through.
    await symlink(join(dir, 'nowhere'), join(root, 'models', 'broken'));
    await expect(project.resolveInside('models', 'broken', 'studio.json')).rejects.toThrow(
      /leads outside the project .*broken is a symbolic link to something that does not exist/,
    );
  });

  it('a linked sources/: imports, reads and removals are refused and nothing outside changes', async () => {
    const source = await project.importSource('a.wav', tone());
    const before = await snapshot(outside);
    await rm(join(root, 'sources'), { recursive: true });
    await symlink(outside, join(root, 'sources'));
    await expect(project.importSource('new.wav', tone())).rejects.toThrow(/leads outside the project/);
    await expect(project.readSource(source.id)).rejects.toThrow(/leads outside the project/);
    await expect(project.sourcePaths()).rejects.toThrow(/leads outside the project/);
    await expect(project.removeSource(source.id)).rejects.toThrow(/leads outside the project/);
    expect(await snapshot(outside)).toEqual(before);
    // project.json still lists the source: nothing changed.
    expect((await Project.open(root)).sourceFiles()).toEqual([join(root, 'sources', 'a.wav')]);
    expect((await project.summary()).sources[0].warnings).toEqual([
      'unsafe: sources/a.wav leads outside the project',
    ]);
  });

  it('a source file linked to a file outside is neither read nor removed', async () => {
    const source = await project.importSource('a.wav', tone());
    await rm(join(root, 'sources', 'a.wav'));
    await symlink(join(outside, 'secret.wav'), join(root, 'sources', 'a.wav'));
    await expect(project.readSource(source.id)).rejects.toThrow(
      `${join(root, 'sources', 'a.wav')}: leads outside the project ${root} (to ${join(outside, 'secret.wav')})`,
    );
    await expect(project.removeSource(source.id)).rejects.toThrow(/leads outside the project/);
    expect(await exists(join(outside, 'secret.wav'))).toBe(true);
    // A stray link of a name to import is skipped, never written through.
    await symlink(join(outside, 'fresh.wav'), join(root, 'sources', 'b.wav'));
    expect((await project.importSource('b.wav', tone())).id).toBe('b (2).wav');
    expect(await exists(join(outside, 'fresh.wav'))).toBe(false);
  });

  it('a linked models/ or model folder: rename, delete and modelPath are refused, nothing outside changes', async () => {
    await makeModel(join(outside, 'model'));
    const before = await snapshot(outside);
    await symlink(join(outside, 'model'), join(root, 'models', 'out'));
    await expect(project.modelPath('out')).rejects.toThrow(/leads outside the project/);
    await expect(project.deleteModel('out')).rejects.toThrow(/leads outside the project/);
    await expect(project.renameModel('out', 'other')).rejects.toThrow(/leads outside the project/);
    await makeModel(join(root, 'models', 'mine'));
    await expect(project.renameModel('mine', 'out')).rejects.toThrow(/leads outside the project/);
    expect(await snapshot(outside)).toEqual(before);

    await linkOut('models');
    await expect(project.modelPath('model')).rejects.toThrow(/leads outside the project/);
    await expect(project.deleteModel('model')).rejects.toThrow(/leads outside the project/);
    await expect(project.renameModel('model', 'x')).rejects.toThrow(/leads outside the project/);
    expect(await snapshot(outside)).toEqual(before);
    expect(await exists(join(outside, 'x'))).toBe(false);
    const summary = await project.summary();
    expect([summary.models, summary.warnings]).toEqual([
      [],
      ['models/ leads outside the project; its models are not shown'],
    ]);
  });

  it('a model whose studio.json links outside is not listed nor deleted', async () => {
    await mkdir(join(root, 'models', 'm'));
    await writeFile(join(outside, 'studio.json'), JSON.stringify(tinyStudio(3)));
    await symlink(join(outside, 'studio.json'), join(root, 'models', 'm', 'studio.json'));
    expect((await project.summary()).warnings).toEqual(['models/m: studio.json leads outside the project']);
    await expect(project.deleteModel('m')).rejects.toThrow(/not a finished model/);
    expect(await exists(join(root, 'models', 'm', 'studio.json'))).toBe(true);
  });

  it('exportsPath names a folder in exports/, and refuses a linked exports/ and unsafe names', async () => {
    expect(await project.exportsPath('take one')).toBe(join(root, 'exports', 'take one'));
    expect(await project.exportsPath()).toBe(join(root, 'exports'));
    expect(await project.exportsPath('')).toBe(join(root, 'exports'));
    await expect(project.exportsPath('../models')).rejects.toThrow(/not a safe export name/);
    await linkOut('exports');
    await expect(project.exportsPath('take one')).rejects.toThrow(
      `${join(root, 'exports', 'take one')}: leads outside the project ${root} (to ${join(outside, 'take one')})`,
    );
  });

  it('opens a project whose sub-folder leads outside, without writing there', async () => {
    await rm(join(root, 'exports'), { recursive: true });
    await symlink(join(dir, 'missing'), join(root, 'exports'));
    await Project.open(root);
    expect(await exists(join(dir, 'missing'))).toBe(false);
    // A missing sub-folder is made again.
    await rm(join(root, 'models'), { recursive: true });
    await Project.open(root);
    expect(await exists(join(root, 'models'))).toBe(true);
  });

  it('a project folder reached through a link works as usual', async () => {
    await symlink(root, join(dir, 'via-link'));
    const viaLink = await Project.open(join(dir, 'via-link'));
    const info = await viaLink.importSource('a.wav', tone());
    expect(await exists(join(root, 'sources', 'a.wav'))).toBe(true);
    expect(await viaLink.sourcePaths()).toEqual([join(dir, 'via-link', 'sources', info.id)]);
    expect((await viaLink.readSource(info.id)).samples.length).toBeGreaterThan(0);
  });
});

describe('Project.deleteModel', () => {
  it('deletes a model, and refuses a folder without a valid studio.json, keeping it', async () => {
    const project = await Project.open(dir, { create: true });
    await makeModel(join(dir, 'models', 'good'));
    await writeFile(join(dir, 'models', 'good', 'weights.bin'), 'w');
    await project.deleteModel('good');
    expect(await exists(join(dir, 'models', 'good'))).toBe(false);

    // A run still training (the CLI's, say) has no studio.json yet.
    await mkdir(join(dir, 'models', 'training'));
    await writeFile(join(dir, 'models', 'training', 'checkpoint.json'), '{}');
    await expect(project.deleteModel('training')).rejects.toThrow(
      'models/training is not a finished model (not a model yet (no studio.json)); only a model folder with a valid studio.json is deleted',
    );
    await mkdir(join(dir, 'models', 'bad'));
    await writeFile(join(dir, 'models', 'bad', 'studio.json'), '{"format":"something else"}');
    await expect(project.deleteModel('bad')).rejects.toThrow(
      /models\/bad is not a finished model \(studio.json: /,
    );
    await expect(project.deleteModel('absent')).rejects.toThrow(/no model "absent"/);
    await expect(project.deleteModel('../sources')).rejects.toThrow(/no model "\.\.\/sources"/);
    expect((await readdir(join(dir, 'models'))).sort()).toEqual(['bad', 'training']);
    expect(await readFile(join(dir, 'models', 'training', 'checkpoint.json'), 'utf8')).toBe('{}');
  });

  it('renames a model inside models/ and refuses a taken name', async () => {
    const project = await Project.open(dir, { create: true });
    await makeModel(join(dir, 'models', 'a'));
    await makeModel(join(dir, 'models', 'b'));
    expect(await project.renameModel('a', '../../evil')).toBe('evil');
    expect((await readdir(join(dir, 'models'))).sort()).toEqual(['b', 'evil']);
    await expect(project.renameModel('evil', 'b')).rejects.toThrow(/a model named "b" exists already/);
    expect(await project.modelPath('b')).toBe(project.modelFolder('b'));
  });
});

describe('ensureDemoProject', () => {
  it('copies the shipped demo sources once and never modifies the assets', async () => {
    const assets = join(packageRoot(), 'assets', 'demo');
    const before = await snapshot(assets);
    const target = join(dir, 'projects', 'demo');
    await ensureDemoProject(assets, target);
    const project = await Project.open(target);
    const summary = await project.summary();
    expect(summary.name).toBe('Demo');
    expect(summary.sources.map((s) => s.id)).toEqual([
      'bells.wav',
      'plucks.wav',
      'textures.wav',
      'vowels.wav',
    ]);
    expect(summary.sources.every((s) => s.durationSeconds > 1)).toBe(true);
    // A second call leaves the user's project as it is (their imports and removals stay).
    await project.removeSource('bells.wav');
    await ensureDemoProject(assets, target);
    expect((await (await Project.open(target)).summary()).sources).toHaveLength(3);
    expect(await snapshot(assets)).toEqual(before);
    expect(await readdir(join(dir, 'projects'))).toEqual(['demo']);
  });

  it('copies the demo model where the assets have one', async () => {
    const assets = join(dir, 'assets');
    await mkdir(join(assets, 'sources'), { recursive: true });
    await writeFile(join(assets, 'sources', 'one.wav'), tone());
    await mkdir(join(assets, 'model', 'encoder'), { recursive: true });
    await writeFile(join(assets, 'model', 'studio.json'), JSON.stringify(tinyStudio(4)));
    await writeFile(join(assets, 'model', 'encoder', 'model.json'), '{}');
    const target = join(dir, 'demo');
    await ensureDemoProject(assets, target);
    const summary = await (await Project.open(target)).summary();
    expect(summary.sources.map((s) => s.id)).toEqual(['one.wav']);
    expect(summary.models.map((m) => [m.id, m.latent])).toEqual([['demo', 4]]);
    expect(await readFile(join(target, 'models', 'demo', 'encoder', 'model.json'), 'utf8')).toBe('{}');
  });
});
