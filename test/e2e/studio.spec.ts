/**
 * The studio as one screen at 1280×800: the layout, what survives a reload, the engine's connection
 * state when it dies, sounds renamed and removed, and live audition that stops unless latched.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, startServe, test } from './serve-fixture.js';

const vowels = readFileSync(join('assets', 'demo', 'sources', 'vowels.wav'));

test('one screen: the map fills the stage, names its colours, and the state comes back after a reload', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', /^\d{4,}$/, { timeout: 30_000 });
  // No page scrolling at 1280×800: every panel fits, only panels scroll inside.
  const page_ = await page.evaluate(() => ({
    h: document.documentElement.scrollHeight,
    w: document.documentElement.scrollWidth,
    vh: innerHeight,
    vw: innerWidth,
  }));
  expect(page_.h).toBeLessThanOrEqual(page_.vh);
  expect(page_.w).toBeLessThanOrEqual(page_.vw);
  // The map covers at least a third of the first screen.
  const box = (await canvas.boundingBox())!;
  expect((box.width * box.height) / (1280 * 800)).toBeGreaterThan(1 / 3);
  // Which colour is which sound: the map's legend names them, and each sound in the sidebar wears its colour.
  await page.getByLabel('Colour by').selectOption('source');
  const map = page.getByTestId('map');
  for (const name of ['bells.wav', 'plucks.wav', 'textures.wav', 'vowels.wav'])
    await expect(map).toContainText(name);
  // (Specs before this one may have left sounds in the demo project that the model never heard.)
  const colours: string[] = [];
  for (const name of ['bells.wav', 'plucks.wav', 'textures.wav', 'vowels.wav']) {
    const swatch = page.getByTestId('source').filter({ hasText: name }).first().locator('.swatch');
    colours.push(await swatch.evaluate((e) => getComputedStyle(e).backgroundColor));
  }
  expect(new Set(colours).size).toBe(4);
  expect(colours).not.toContain('rgba(0, 0, 0, 0)');

  // Edit: the point moves on the map and by a slider; the volume goes down.
  const panel = page.getByTestId('point');
  const z1 = panel.getByTestId('z1');
  const z3 = panel.getByTestId('z3');
  await canvas.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const before3 = await z3.textContent();
  await panel.getByLabel('Latent dimension 3').focus();
  await page.keyboard.press('End');
  await expect(z3).not.toHaveText(before3!);
  const moved1 = await z1.textContent();
  const moved3 = await z3.textContent();
  await page.getByLabel('Master volume').fill('40');
  await expect(page.getByTestId('volume')).toHaveText('40%');
  await page.screenshot({ path: 'docs/screenshots/studio.png' });
  // The map's view: zoomed in twice from the keyboard, coloured by source.
  await canvas.focus();
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  const stats = page.getByTestId('map-stats');
  await expect(stats).not.toContainText('zoom ×1.00');
  const zoomed = await stats.textContent();
  const view = await canvas.getAttribute('data-view');

  // A reload brings back the project, the model's map and its view, the point, its undo history and the volume.
  await page.reload();
  await expect(canvas).toHaveAttribute('data-points', /^\d{4,}$/, { timeout: 30_000 });
  await expect(page.getByTestId('project-name')).toHaveText('Demo');
  await expect(z1).toHaveText(moved1!);
  await expect(z3).toHaveText(moved3!);
  await expect(page.getByTestId('volume')).toHaveText('40%');
  await expect(stats).toHaveText(zoomed!);
  await expect(canvas).toHaveAttribute('data-view', view!);
  await expect(canvas).toHaveAttribute('data-colour-by', 'source');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(z3).toHaveText(before3!);
  await expect(z1).toHaveText(moved1!);

  // Another project, and the stage's view: both come back after a reload.
  await page.getByText('New or other project…').click();
  await page.getByLabel('New project name').fill('Kept open');
  await page.getByRole('button', { name: 'New project' }).click();
  try {
    await expect(page.getByTestId('project-name')).toHaveText('Kept open');
    await page.getByRole('tab', { name: 'Training' }).click();
    await page.reload();
    await expect(page.getByTestId('project-name')).toHaveText('Kept open');
    await expect(page.getByRole('tab', { name: 'Training' })).toHaveAttribute('aria-selected', 'true');
  } finally {
    // Back to the demo for the specs that follow (the engine keeps the project open last).
    await page.getByLabel('Recent projects').selectOption({ label: 'Demo' });
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByTestId('project-name')).toHaveText('Demo');
  }
});

test('a killed engine shows as lost within 5 s, with what to do', async ({ page, served }) => {
  test.skip(
    served.app !== null,
    'the desktop app restarts its own engine (its supervisor), there is no serve to kill',
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'vae-studio-lost-'));
  const own = await startServe(dataDir);
  try {
    await page.goto(own.url);
    const state = page.getByTestId('connection');
    await expect(state).toHaveText('Engine connected');
    // A fresh engine copies the demo project first.
    await expect(page.getByTestId('project-name')).toHaveText('Demo', { timeout: 30_000 });
    const killed = Date.now();
    own.process!.kill('SIGKILL');
    await expect(state).toHaveText('Engine lost', { timeout: 5000 });
    const seconds = (Date.now() - killed) / 1000;
    console.log(`engine lost shown ${seconds.toFixed(1)} s after the kill`);
    expect(seconds).toBeLessThan(5);
    await expect(page.getByTestId('connection-advice')).toContainText('Start it again (`vae-studio serve`)');
    await page.screenshot({ path: 'docs/screenshots/engine-lost.png' });
  } finally {
    own.process!.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a sound is renamed (its id stays) and removed after saying which models were trained on it', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  const rows = page.getByTestId('source');
  // The demo's four, and whatever earlier specs added to it.
  await expect(rows.filter({ hasText: 'vowels.wav' })).toBeVisible({ timeout: 30_000 });
  const before = await rows.count();
  const asked: string[] = [];
  let answer = true;
  page.on('dialog', (d) => {
    asked.push(d.message());
    void (answer ? d.accept() : d.dismiss());
  });
  await page
    .getByTestId('import-input')
    .setInputFiles([{ name: 'speech1.wav', mimeType: 'audio/wav', buffer: vowels }]);
  await expect(rows).toHaveCount(before + 1);
  // Renamed: the name shown changes, the file (its id) stays.
  await page.getByRole('button', { name: 'Rename speech1.wav' }).click();
  await page.getByLabel('New name for speech1.wav').fill('renamed take');
  await page.getByLabel('New name for speech1.wav').press('Enter');
  const renamed = rows.filter({ hasText: 'renamed take' });
  await expect(renamed).toBeVisible();
  await expect(renamed.getByRole('button', { name: 'Show renamed take' })).toHaveAttribute(
    'title',
    /file speech1\.wav/,
  );
  // A sound the demo model was trained on: the question names the model; No keeps it.
  answer = false;
  await page.getByRole('button', { name: 'Remove bells.wav' }).click();
  await expect.poll(() => asked.at(-1)).toContain('The models trained on it (demo) keep working');
  await expect(rows).toHaveCount(before + 1);
  // The new one: removed when confirmed.
  answer = true;
  await page.getByRole('button', { name: 'Remove renamed take' }).click();
  await expect(rows).toHaveCount(before);
  expect(asked.at(-1)).toBe(
    'Remove “renamed take” from the project? Its copy in the project folder is deleted.',
  );
  await page.reload();
  await expect(rows).toHaveCount(before);
});

test('live audition stops when the pointer leaves the map or a sound plays, unless the keyboard latched it', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', /^\d+$/, { timeout: 30_000 });
  const box = (await canvas.boundingBox())!;
  const latency = page.getByTestId('latency');
  const live = page.getByLabel('Hear while moving');
  // By the pointer: it stops when the pointer leaves the map.
  await live.check();
  // The first start loads the audio worklet and the model in the audition worker.
  await expect(latency).toBeVisible({ timeout: 20_000 });
  // The crosshair and the sliders follow the pointer while it is heard.
  const z1 = page.getByTestId('point').getByTestId('z1');
  const z1Before = await z1.textContent();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
  await expect(z1).not.toHaveText(z1Before!);
  await page.mouse.move(40, 400);
  await expect(latency).toHaveCount(0);
  // One undo step takes the point back to where it was before the audition.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(z1).toHaveText(z1Before!);
  await expect(live).not.toBeChecked();
  // By the pointer again: Play on a sound stops it.
  await live.check();
  await expect(latency).toBeVisible();
  await page.getByRole('button', { name: 'Play vowels.wav' }).click();
  await expect(latency).toHaveCount(0);
  await expect(page.getByTestId('hearing')).toHaveText('Playing vowels.wav');
  // By the keyboard: latched, it stays when the pointer leaves, until L again.
  await canvas.focus();
  await page.keyboard.press('l');
  await expect(latency).toContainText('latched');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.move(40, 400);
  await page.waitForTimeout(500);
  await expect(latency).toBeVisible();
  await canvas.focus();
  await page.keyboard.press('l');
  await expect(latency).toHaveCount(0);
});
