import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StudioEvent } from '../../common/api.js';
import { initBackend, tf } from '../../ml/backend.js';
import { VaeModel } from '../../ml/vae/vae-model.js';
import { packageRoot } from '../package-info.js';
import { exportSounds, exportZip } from './exports.js';
import { Project } from './project.js';

let project: Project;
let model: VaeModel;
beforeAll(async () => {
  await initBackend('wasm');
  project = await Project.open(await mkdtemp(join(tmpdir(), 'vae-exports-')));
  await project.importSource(
    'vowels.wav',
    await readFile(join(packageRoot(), 'assets', 'demo', 'sources', 'vowels.wav')),
  );
  model = await VaeModel.load(join(packageRoot(), 'assets', 'demo', 'model'));
  return () => model.dispose();
});

const settings = {
  model: 'demo',
  kind: 'random' as const,
  count: 2,
  seconds: 0.3,
  bitDepth: '16' as const,
  normalize: 'peak' as const,
  name: 'two',
};

describe('exports', () => {
  it('writes into exports/<name>, reports progress, and zips it', async () => {
    const events: StudioEvent[] = [];
    const tensors = tf.memory().numTensors;
    const result = await exportSounds(project, model, settings, (e) => events.push(e));
    expect(result).toMatchObject({
      name: 'two',
      files: ['random-001.wav', 'random-002.wav', 'manifest.json', 'manifest.csv'],
    });
    expect(result.folder).toBe(join(project.path, 'exports', 'two'));
    expect(events.filter((e) => e.type === 'progress').map((e) => (e as { done: number }).done)).toEqual([
      0, 1, 2,
    ]);
    expect(tf.memory().numTensors).toBe(tensors);
    const zip = unzipSync(await exportZip(project, 'two'));
    expect(Object.keys(zip).sort()).toEqual([
      'two/manifest.csv',
      'two/manifest.json',
      'two/random-001.wav',
      'two/random-002.wav',
    ]);
  });

  it('never writes into a chosen folder that holds anything', async () => {
    const chosen = await mkdtemp(join(tmpdir(), 'vae-chosen-'));
    await writeFile(join(chosen, 'mine.txt'), 'keep me');
    await expect(exportSounds(project, model, { ...settings, folder: chosen }, () => {})).rejects.toThrow(
      /not empty/,
    );
    expect(await readFile(join(chosen, 'mine.txt'), 'utf8')).toBe('keep me');
  });

  it('stops between files when cancelled, keeping those written', async () => {
    const abort = new AbortController();
    const run = exportSounds(
      project,
      model,
      { ...settings, count: 5, name: 'stopped' },
      (e) => {
        if (e.type === 'progress' && e.done === 2) abort.abort();
      },
      abort.signal,
    );
    await expect(run).rejects.toThrow(/abort/i);
    const zip = unzipSync(await exportZip(project, 'stopped'));
    expect(Object.keys(zip).sort()).toEqual(['stopped/random-001.wav', 'stopped/random-002.wav']);
  });

  it('refuses a zip of what is not an export', async () => {
    await expect(exportZip(project, '../../etc')).rejects.toThrow(/no export/);
    await expect(exportZip(project, 'missing')).rejects.toThrow(/no export/);
  });
});
