// Big imports in pieces (beginUpload, uploadChunk, finishUpload, cancelUpload) through the real
// engine and client, with a FLAC file made by sox.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type StudioClient } from '../../common/client.js';
import { messagePortTransport } from '../../common/transport.js';
import { encodeWav } from '../../ml/audio/wav.js';
import { sine } from '../../test/signals.js';
import { serveApi } from './serve-api.js';
import { createEngine, type Engine } from './service.js';

let dir: string;
let engine: Engine;
let client: StudioClient;
let flac: Uint8Array;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-upload-'));
  engine = createEngine({ dataDir: join(dir, 'data'), backend: 'cpu' });
  const { port1, port2 } = new MessageChannel();
  serveApi(engine, messagePortTransport(port2));
  client = createClient(messagePortTransport(port1));
  await writeFile(join(dir, 'tone.wav'), encodeWav(sine(220, 44100, 44100 * 3, 0.5), 44100, '16'));
  execFileSync('sox', [join(dir, 'tone.wav'), join(dir, 'tone.flac')]);
  flac = new Uint8Array(await readFile(join(dir, 'tone.flac')));
  await client.openProject(join(dir, 'project'), { create: true });
});

afterEach(async () => {
  client.close();
  await engine.dispose();
  await rm(dir, { recursive: true, force: true });
});

const sources = () => readdir(join(dir, 'project', 'sources'));

async function upload(name: string, bytes: Uint8Array, piece: number): Promise<string> {
  const token = await client.beginUpload(name, bytes.length);
  for (let at = 0; at < bytes.length; at += piece)
    await client.uploadChunk(token, at, bytes.subarray(at, at + piece));
  return token;
}

describe('uploads in pieces', () => {
  it('adds a FLAC file sent in pieces, byte for byte, under its own extension', async () => {
    const token = await upload('My Tone.flac', flac, 20_000);
    const info = await client.finishUpload(token);
    expect(info).toMatchObject({ id: 'My Tone.flac', name: 'My Tone.flac', sampleRate: 44100, channels: 1 });
    expect(info.durationSeconds).toBeCloseTo(3, 3);
    expect(await sources()).toEqual(['My Tone.flac']);
    expect(new Uint8Array(await readFile(join(dir, 'project', 'sources', 'My Tone.flac')))).toEqual(flac);
    const audio = await client.getSourceAudio('My Tone.flac');
    expect(audio.samples.length).toBe(22050 * 3);
  });

  it('refuses a piece out of order, and keeps nothing of that upload', async () => {
    const token = await client.beginUpload('tone.flac', flac.length);
    await client.uploadChunk(token, 0, flac.subarray(0, 1000));
    await expect(client.uploadChunk(token, 5000, flac.subarray(5000, 6000))).rejects.toThrow(
      /tone\.flac: piece at byte 5000, expected byte 1000/,
    );
    await expect(client.finishUpload(token)).rejects.toMatchObject({ name: 'ProjectError' });
    expect(await sources()).toEqual([]);
  });

  it('refuses a damaged file at the end with a reason naming it, and keeps nothing', async () => {
    const broken = flac.slice(0, flac.length - 3000);
    const token = await upload('cut.flac', broken, 50_000);
    await expect(client.finishUpload(token)).rejects.toMatchObject({
      name: 'AudioFileError',
      message: expect.stringMatching(/^cut\.flac: damaged or cut short FLAC data/),
    });
    expect(await sources()).toEqual([]);
  });

  it('refuses a file that did not all arrive, and cancels cleanly', async () => {
    const token = await client.beginUpload('half.flac', flac.length);
    await client.uploadChunk(token, 0, flac.subarray(0, 100));
    await expect(client.finishUpload(token)).rejects.toThrow(/half\.flac: 100 of \d+ bytes arrived/);
    const other = await client.beginUpload('gone.flac', flac.length);
    await client.uploadChunk(other, 0, flac.subarray(0, 100));
    expect((await sources()).filter((f) => f.startsWith('.upload-'))).toHaveLength(1);
    await client.cancelUpload(other);
    expect(await sources()).toEqual([]);
    await expect(client.uploadChunk(other, 100, flac.subarray(100, 200))).rejects.toThrow(/no upload/);
  });
});
