/**
 * OSC control of the studio in a browser: a `vae-studio serve --osc 0` of its own, the page exploring
 * the demo model, and OSC messages over UDP. The window follows the engine's 'control' events: its
 * point moves (the sliders show the engine's vector), audition switched on by OSC is latched (the
 * pointer leaving the map does not stop it), and off stops it. (MIDI's logic is unit-tested in
 * renderer/src/lib/midi-map.test.ts; Web MIDI with a device is untested: there is none here.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Message } from 'node-osc';
import { expect, test } from './serve-fixture.js';

let serve: ChildProcess | null = null;
let dataDir = '';
let url = '';
let oscPort = 0;
let udp: Socket;
const replies: { address: string; args: unknown[] }[] = [];

// eslint-disable-next-line no-empty-pattern
test.beforeAll(async ({}, info) => {
  if (info.project.name === 'electron') return;
  dataDir = mkdtempSync(join(tmpdir(), 'vae-control-e2e-'));
  serve = spawn(process.execPath, ['bin/vae-studio.js', 'serve', '--port', '0', '--osc', '0'], {
    env: { ...process.env, VAE_STUDIO_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    serve!.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    serve!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const web = /VAE Studio: (\S+)/.exec(out);
      const osc = /OSC: udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (web && osc) {
        url = web[1];
        oscPort = Number(osc[1]);
        resolve();
      }
    });
  });
  udp = createSocket('udp4');
  udp.on('message', (packet) => {
    const m = decode(packet) as { address: string; args: { value: unknown }[] };
    replies.push({ address: m.address, args: m.args.map((a) => a.value) });
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
});

test.afterAll(async () => {
  udp?.close();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve!.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function ask(address: string, ...args: number[]): Promise<{ address: string; args: unknown[] }> {
  const before = replies.length;
  await new Promise<void>((resolve, reject) =>
    udp.send(encode(new Message(address, ...args)), oscPort, '127.0.0.1', (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  await expect.poll(() => replies.length, { timeout: 30_000 }).toBeGreaterThan(before);
  return replies[before];
}

test('OSC moves the window’s point and latches its audition on and off', async ({ page }, info) => {
  test.setTimeout(120_000);
  test.skip(
    info.project.name === 'electron',
    "the desktop app's OSC comes from its settings; this drives serve --osc",
  );
  await page.goto(url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const panel = page.getByTestId('point');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('osc-status')).toContainText(`udp://127.0.0.1:${oscPort}`);

  // The window has told the engine it explores the demo: the point answers in control units.
  await expect.poll(async () => (await ask('/vae/get')).address, { timeout: 30_000 }).toBe('/vae/point');
  const z1 = panel.getByLabel('Latent dimension 1');
  const before = Number(await z1.inputValue());
  const reply = await ask('/vae/map', 0.9, 0.15);
  expect(reply.address).toBe('/vae/point');
  expect(reply.args[0] as number).toBeCloseTo(0.9, 4);
  expect(reply.args[1] as number).toBeCloseTo(0.15, 4);
  // The page follows: its slider shows the vector the engine set.
  await expect
    .poll(async () => Math.abs(Number(await z1.inputValue()) - before), { timeout: 10_000 })
    .toBeGreaterThan(0.01);
  const afterMove = Number(await z1.inputValue());
  // And the window's own report agrees with the engine's point (the same map point comes back).
  const again = await ask('/vae/get');
  expect(again.args[0] as number).toBeCloseTo(0.9, 3);
  expect(again.args[1] as number).toBeCloseTo(0.15, 3);

  // Latent z2 to the bottom of its range over the training frames (the slider reaches a quarter of
  // that range further each way): only z2 moves.
  const z2 = panel.getByLabel('Latent dimension 2');
  const [lo, hi] = [Number(await z2.getAttribute('min')), Number(await z2.getAttribute('max'))];
  const dimMin = lo + (hi - lo) / 6;
  await ask('/vae/latent', 2, 0);
  // The slider's own value snaps to its steps; the number beside it is the point's (to 2 decimals).
  await expect
    .poll(async () => Math.abs(Number(await panel.getByTestId('z2').textContent()) - dimMin), {
      timeout: 10_000,
    })
    .toBeLessThan(0.006);
  expect(Number(await z1.inputValue())).toBeCloseTo(afterMove, 4);

  // Audition on from OSC: it plays, latched, and the pointer leaving the map does not stop it.
  await ask('/vae/audition', 1);
  const latency = page.getByTestId('latency');
  await expect(latency).toBeVisible({ timeout: 20_000 });
  await expect(latency).toContainText('latched');
  const canvas = page.locator('canvas[data-points]');
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.move(box.x - 40, box.y - 40);
  await page.waitForTimeout(500);
  await expect(latency).toBeVisible();
  await ask('/vae/audition', 0);
  await expect(latency).toBeHidden({ timeout: 10_000 });

  // The live input follows too: its mix, and on and off (the fake microphone plays a WAV).
  const liveInput = page.getByTestId('live-input');
  await ask('/vae/mix', 0.25);
  await expect(liveInput).toContainText('25 % wet');
  await ask('/vae/live', 1);
  const toggle = liveInput.locator('button[aria-pressed]');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true', { timeout: 20_000 });
  await ask('/vae/live', 0);
  await expect(toggle).toHaveAttribute('aria-pressed', 'false', { timeout: 10_000 });
});
