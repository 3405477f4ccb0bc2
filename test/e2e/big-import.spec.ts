/** Big files: over 32 MiB they go up in pieces, with a progress bar and Cancel; nothing is kept of a cancelled one. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './serve-fixture.js';

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-big-import-'));
  // 48 kHz stereo 16-bit: 192,000 bytes a second, so 180 s is 34.6 MB and 400 s is 76.8 MB.
  for (const [name, seconds] of [
    ['three minutes.wav', '180'],
    ['long take.wav', '400'],
  ])
    execFileSync('sox', [
      '-n',
      '-r',
      '48000',
      '-c',
      '2',
      '-b',
      '16',
      join(dir, name),
      'synth',
      seconds,
      'sine',
      '300-900',
      'vol',
      '0.3',
    ]);
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('uploads a 35 MB WAV in pieces and adds it', async ({ page, served }) => {
  test.setTimeout(120_000);
  await page.goto(served.url);
  const rows = page.getByTestId('source');
  // The worker's project (earlier specs may have added to it); slow to come on a loaded machine.
  await expect(rows.first()).toBeVisible({ timeout: 30_000 });
  const before = await rows.count();
  await page.getByTestId('import-input').setInputFiles(join(dir, 'three minutes.wav'));
  await expect(page.getByTestId('upload')).toContainText('three minutes.wav', { timeout: 30_000 });
  await expect(rows).toHaveCount(before + 1, { timeout: 90_000 });
  await expect(rows.filter({ hasText: 'three minutes.wav' })).toContainText('180.00 s');
  await expect(page.getByTestId('upload')).toHaveCount(0);
  await expect(page.getByTestId('problems')).toHaveCount(0);
  // Removed again: the specs after this one find the project as it was.
  page.on('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Remove three minutes.wav' }).click();
  await expect(rows).toHaveCount(before);
});

test('cancels an upload: the file is listed as cancelled and nothing is added', async ({ page, served }) => {
  test.setTimeout(120_000);
  await page.goto(served.url);
  const rows = page.getByTestId('source');
  // The worker's project (earlier specs may have added to it); slow to come on a loaded machine.
  await expect(rows.first()).toBeVisible({ timeout: 30_000 });
  const before = await rows.count();
  await page.getByTestId('import-input').setInputFiles(join(dir, 'long take.wav'));
  const upload = page.getByTestId('upload');
  await expect(upload).toContainText('long take.wav', { timeout: 30_000 });
  await upload.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('problems')).toContainText('long take.wav');
  await expect(page.getByTestId('problems')).toContainText('cancelled');
  await expect(upload).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('source').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('source')).toHaveCount(before);
});
