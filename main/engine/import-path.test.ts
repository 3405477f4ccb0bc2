// importPath through the real engine and client: only a file main granted for 'import' (the
// native import dialog's pick) is imported, copied into sources/ and decoded from there.
import { execFileSync } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type StudioClient } from '../../common/client.js';
import { messagePortTransport } from '../../common/transport.js';
import { decodeWav, encodeWav } from '../../ml/audio/wav.js';
import { sine } from '../../test/signals.js';
import { serveApi } from './serve-api.js';
import { createEngine, type Engine } from './service.js';

let dir: string;
let engine: Engine;
let client: StudioClient;

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'vae-import-path-')));
  engine = createEngine({ dataDir: join(dir, 'data'), backend: 'cpu' });
  const { port1, port2 } = new MessageChannel();
  serveApi(engine, messagePortTransport(port2));
  client = createClient(messagePortTransport(port1));
  await mkdir(join(dir, 'picked'));
  // At the project's rate (22050 Hz), so the stored samples are the file's own.
  await writeFile(join(dir, 'picked', 'tone.wav'), encodeWav(sine(330, 22050, 22050 * 2, 0.5), 22050, '16'));
  execFileSync('sox', [join(dir, 'picked', 'tone.wav'), join(dir, 'picked', 'tone.flac')]);
  await writeFile(join(dir, 'picked', 'other.wav'), encodeWav(sine(440, 22050, 22050, 0.5), 22050, '16'));
  await client.openProject(join(dir, 'project'), { create: true });
});

afterEach(async () => {
  client.close();
  await engine.dispose();
  await rm(dir, { recursive: true, force: true });
});

const sources = () => readdir(join(dir, 'project', 'sources'));

describe('importPath', () => {
  it('imports a granted FLAC file sample-identical to its WAV, copied into sources/', async () => {
    const flac = join(dir, 'picked', 'tone.flac');
    engine.grantPath(flac, 'import');
    const info = await client.importPath(flac);
    expect(info).toMatchObject({ id: 'tone.flac', name: 'tone.flac', sampleRate: 22050, channels: 1 });
    expect(await sources()).toEqual(['tone.flac']);
    // Copied byte for byte; the picked file stays where it was.
    expect(await readFile(join(dir, 'project', 'sources', 'tone.flac'))).toEqual(await readFile(flac));
    const wav = decodeWav(new Uint8Array(await readFile(join(dir, 'picked', 'tone.wav'))), 'tone.wav');
    const audio = await client.getSourceAudio('tone.flac');
    expect(audio.samples.length).toBe(wav.channels[0]!.length);
    expect(Array.from(audio.samples)).toEqual(Array.from(wav.channels[0]!));
  });

  it('refuses an ungranted file, a folder, ".." and a link swapped in after the grant, naming the path', async () => {
    const other = join(dir, 'picked', 'other.wav');
    await expect(client.importPath(other)).rejects.toThrow(
      `${other}: not a file chosen in the import dialog (only those may be imported by path)`,
    );
    // A folder is never an import grant.
    engine.grantPath(join(dir, 'picked'), 'import');
    await expect(client.importPath(join(dir, 'picked'))).rejects.toThrow(
      /not a file chosen in the import dialog/,
    );
    // A grant for another purpose does not count.
    engine.grantPath(other, 'export');
    await expect(client.importPath(other)).rejects.toThrow(/not a file chosen/);
    // '..' walking to a granted file is refused.
    const wav = join(dir, 'picked', 'tone.wav');
    engine.grantPath(wav, 'import');
    await expect(client.importPath(`${dir}${sep}picked${sep}..${sep}picked${sep}tone.wav`)).rejects.toThrow(
      /not a file chosen/,
    );
    // The granted file replaced by a link to an ungranted one after the grant.
    await rename(wav, join(dir, 'picked', 'moved.wav'));
    await symlink(other, wav);
    await expect(client.importPath(wav)).rejects.toThrow(`${wav}: not a file chosen in the import dialog`);
    expect(await sources()).toEqual([]);
    // The engine keeps running: a granted file still imports.
    engine.grantPath(other, 'import');
    expect((await client.importPath(other)).name).toBe('other.wav');
    expect(await sources()).toEqual(['other.wav']);
    expect((await client.hello()).version).toBeTruthy();
  });

  it('refuses a damaged granted file with a reason naming it, and keeps nothing', async () => {
    const flac = await readFile(join(dir, 'picked', 'tone.flac'));
    const cut = join(dir, 'picked', 'cut.flac');
    await writeFile(cut, flac.subarray(0, flac.length - 3000));
    engine.grantPath(cut, 'import');
    await expect(client.importPath(cut)).rejects.toMatchObject({
      name: 'AudioFileError',
      message: expect.stringMatching(/^cut\.flac: damaged or cut short FLAC data/),
    });
    expect(await sources()).toEqual([]);
  });
});
