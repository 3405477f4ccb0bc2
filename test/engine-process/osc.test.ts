// OSC control of a running `vae-studio serve --osc 0` (a real process): UDP messages steer the most
// recently active window's control state, which the test reads back through the API (a WebSocket
// client) and sees as 'control' events; each message gets its reply. A burst of malformed packets
// changes nothing and harms nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Bundle, decode, encode, Message } from 'node-osc';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlState, StudioEvent } from '../../common/api.js';
import { createClient, type StudioClient } from '../../common/client.js';
import { webSocketTransport } from '../../common/transport.js';
import { packageRoot } from '../../main/package-info.js';
import { BIN } from '../cli.js';

const built = existsSync(join(packageRoot(), 'dist', 'main', 'cli.js'));
const demo = join(packageRoot(), 'assets', 'demo');

let dir: string;
let serve: ChildProcess | null = null;
let url: URL;
let oscPort: number;
let udp: Socket;
const clients: StudioClient[] = [];
/** Replies from the OSC server, in order of arrival. */
const replies: { address: string; args: unknown[] }[] = [];

async function connect(): Promise<StudioClient> {
  const ws = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token')}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const client = createClient(webSocketTransport(ws), { timeoutMs: 0 });
  clients.push(client);
  return client;
}

function send(packet: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    udp.send(packet, oscPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
}

/** Sends one OSC message and resolves with the next reply. */
async function ask(
  address: string,
  ...args: (number | string | boolean)[]
): Promise<{ address: string; args: unknown[] }> {
  const before = replies.length;
  await send(encode(new Message(address, ...args)));
  const end = Date.now() + 30_000;
  while (replies.length === before) {
    if (Date.now() > end) throw new Error(`no reply to ${address}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return replies[before];
}

beforeAll(async () => {
  if (!built) return;
  dir = await mkdtemp(join(tmpdir(), 'vae-osc-'));
  const project = join(dir, 'project');
  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--osc', '0', '--project', project], {
    env: {
      ...process.env,
      VAE_STUDIO_DATA: join(dir, 'data'),
      VAE_STUDIO_BACKEND: 'wasm',
      VAE_STUDIO_THREADS: '2',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: serve.stdout! });
  await new Promise<void>((resolve, reject) => {
    serve!.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    lines.on('line', (line) => {
      const web = /^VAE Studio: (\S+)/.exec(line);
      if (web) url = new URL(web[1]);
      const osc = /^OSC: udp:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
      if (osc) {
        oscPort = Number(osc[1]);
        resolve();
      }
    });
  });
  udp = createSocket('udp4');
  udp.on('message', (packet) => {
    const message = decode(packet) as { address: string; args: { value: unknown }[] };
    replies.push({ address: message.address, args: message.args.map((a) => a.value) });
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  udp?.close();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve!.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!built)(
  `OSC control of \`vae-studio serve --osc\`${built ? '' : ' (skipped: run `npm run build` first)'}`,
  () => {
    it('replies with an error while no window is open', async () => {
      const reply = await ask('/vae/map', 0.5, 0.5);
      expect(reply.address).toBe('/vae/error');
      expect(reply.args[0]).toMatch(/no window/);
    });

    it('steers the most recently active window, which hears of it, and replies with the point', async () => {
      const window = await connect();
      const observer = await connect();
      const project = await window.openProject();
      await cp(join(demo, 'model'), join(project.path, 'models', 'demo'), { recursive: true });
      for (const name of ['vowels.wav', 'plucks.wav'])
        await window.importSource(name, await readFile(join(demo, 'sources', name)));
      const map = await window.getMap('demo');
      const corner = Array.from(map.mean, (_, i) => (i % 2 ? 0.5 : -0.5));
      await window.setSnapshots('demo', [{ name: 'corner', z: corner }]);
      const events: Extract<StudioEvent, { type: 'control' }>[] = [];
      window.onEvent((e) => {
        if (e.type === 'control' && e.from === 'osc') events.push(e);
      });
      const { window: id } = await window.reportControl({ model: 'demo' });

      const point = await ask('/vae/map', 0.25, 0.75);
      expect(point.address).toBe('/vae/point');
      expect(point.args[0]).toBeCloseTo(0.25, 5);
      expect(point.args[1]).toBeCloseTo(0.75, 5);
      const view = await observer.getControl();
      expect(view.window).toBe(id);
      const state = view.state!;
      // 0.25 and 0.75 of the ±2σ span: −1σ and +1σ along the map's axes.
      expect(state.point![0]).toBeCloseTo(-map.std[0], 4);
      expect(state.point![1]).toBeCloseTo(map.std[1], 4);
      expect(state.z).toHaveLength(map.mean.length);
      await until(() => events.length >= 1);
      expect(events[0]).toMatchObject({ window: id, active: id, from: 'osc' });
      expect(events[0].state!.point).toEqual(state.point);

      // Latent z3 to the top of its range (OSC's float is single precision).
      await ask('/vae/latent', 3, 1.0);
      const z = (await observer.getControl()).state!.z!;
      expect(z[2]).toBeCloseTo(map.dimMax[2], 4);

      const recalled = await ask('/vae/snapshot', 1);
      expect(recalled.address).toBe('/vae/point');
      expect((await observer.getControl()).state).toMatchObject({ snapshot: 1, z: corner });
      const missing = await ask('/vae/snapshot', 2);
      expect(missing).toEqual({ address: '/vae/error', args: ['there is no snapshot 2 (the model has 1)'] });

      await ask('/vae/audition', 1);
      await ask('/vae/live', true);
      await ask('/vae/mix', 0.3);
      expect((await observer.getControl()).state).toMatchObject({ audition: true, live: true });
      expect((await observer.getControl()).state!.mix).toBeCloseTo(0.3, 5);
      await until(() => events.length >= 6);
      expect(events.map((e) => e.state!.audition)).toContain(true);
    });

    it('ignores a burst of malformed packets: nothing changes, nothing breaks, each is counted', async () => {
      const observer = await connect();
      const before = await observer.getControl();
      const ignoredBefore = before.osc!.ignored;
      const junk: Buffer[] = [
        Buffer.alloc(0),
        Buffer.from('not osc at all'),
        Buffer.from([0x2f, 0x76, 0x61, 0x65]), // "/vae" with no terminator
        Buffer.from('#bundle\0'), // a bundle cut short
        encode(new Message('/vae/map', 0.5)), // too few arguments
        encode(new Message('/vae/map', 'left', 'right')), // wrong types
        encode(new Message('/vae/map', { type: 'f', value: 1e30 }, 0.5)), // out of range (infinite as a float)
        encode(new Message('/vae/map', Number.NaN, 0.5)),
        encode(new Message('/vae/latent', 0, 0.5)), // dimensions start at 1
        encode(new Message('/vae/latent', 2.5, 0.5)),
        encode(new Message('/vae/mix', 1.5)),
        encode(new Message('/vae/audition', 2)),
        encode(new Message('/vae/snapshot', '')),
        encode(new Message('/other/thing', 1)),
        encode(new Bundle(['/vae/mix', 0.1], ['/vae/mix', 7])), // one bad message spoils its bundle
      ];
      for (let i = 0; i < 200; i++) {
        const bytes = Buffer.alloc(1 + ((i * 37) % 300));
        for (let j = 0; j < bytes.length; j++) bytes[j] = (i * 131 + j * 17) & 0xff;
        if (i % 3 === 0) bytes.write('/vae/map\0\0\0\0,ff', 0, 'latin1'); // right address, garbage after
        junk.push(bytes);
      }
      for (const packet of junk) await send(packet);
      // The server answers after all of them (UDP on loopback keeps order from one socket).
      const reply = await ask('/vae/get');
      expect(reply.address).toBe('/vae/point');
      const after = await observer.getControl();
      expect(after.state).toEqual(before.state as ControlState);
      expect(after.osc!.ignored - ignoredBefore).toBe(junk.length);
      // The engine itself goes on answering.
      expect((await observer.hello()).version).toMatch(/\d/);
    });

    it('says no window is left once the last window closes', async () => {
      for (const c of clients.splice(0)) c.close();
      const observer = await connect();
      await until(async () => (await observer.getControl()).window === null);
      const reply = await ask('/vae/audition', 0);
      expect(reply.address).toBe('/vae/error');
    });
  },
);

async function until(test: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
