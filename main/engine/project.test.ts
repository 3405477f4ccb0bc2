import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AudioFileError } from '../../ml/audio/errors.js';
import { encodeWav } from '../../ml/audio/wav.js';
import { tinyStudio } from '../../ml/vae/testing.js';
import { sine } from '../../test/signals.js';
import { packageRoot } from '../package-info.js';
import { ensureDemoProject, Project, PROJECT_FILE, ProjectError, safeFileName } from './project.js';

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
  dir = await mkdtemp(join(tmpdir(), 'vae-project-'));
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
    const project = await Project.open(folder);
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
    const project = await Project.open(dir);
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

  it('refuses garbage naming the file and the reason, and changes nothing', async () => {
    const project = await Project.open(dir);
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
    const project = await Project.open(dir);
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
    const project = await Project.open(dir);
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

  it('warns about a missing source file and a bad model, and lists good models', async () => {
    const project = await Project.open(dir);
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
