/** The export dialog: a batch of WAVs with manifests, progress, and the browser's zip download. */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { expect, test } from './serve-fixture.js';

test('exports a grid with manifests and downloads it as a zip', async ({ page, served }) => {
  test.skip(
    served.app !== null,
    'the desktop app writes into a folder the user picks; the zip download is the browser’s',
  );
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const panel = page.getByTestId('export');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await panel.getByLabel('What').selectOption('grid');
  await panel.getByLabel('Grid size').fill('2');
  await panel.getByLabel('Seconds each').fill('0.5');
  await panel.getByLabel('Bit depth').selectOption('24');
  await panel.getByLabel('Sample rate').selectOption('44100');
  await panel.getByLabel('Name', { exact: true }).fill('corners');
  await panel.getByLabel('File names start with').fill('corner');
  await panel.getByLabel('Fades (ms)').fill('50');
  await panel.getByRole('button', { name: 'Export' }).click();
  const result = page.getByTestId('export-result');
  await expect(result).toContainText('Wrote 6 files', { timeout: 60_000 });
  await expect(result).toContainText('exports/corners');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    result.getByRole('button', { name: 'Download zip' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('corners.zip');
  const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
  expect(Object.keys(files).sort()).toEqual([
    'corners/corner-r01-c01.wav',
    'corners/corner-r01-c02.wav',
    'corners/corner-r02-c01.wav',
    'corners/corner-r02-c02.wav',
    'corners/manifest.csv',
    'corners/manifest.json',
  ]);
  const wav = files['corners/corner-r01-c01.wav'];
  const view = new DataView(wav.buffer, wav.byteOffset);
  expect(view.getUint32(24, true)).toBe(44100); // sample rate
  expect(view.getUint16(34, true)).toBe(24); // bits per sample
  const manifest = JSON.parse(new TextDecoder().decode(files['corners/manifest.json']));
  expect(manifest.files).toHaveLength(4);
  expect(manifest.files[0].map).toHaveLength(2);
  await page.screenshot({ path: 'docs/screenshots/export.png', fullPage: true });
});

test('resynthesizes chosen sounds into a second export of the same name', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const panel = page.getByTestId('export');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await panel.getByLabel('What').selectOption('resynth');
  await panel.getByLabel('vowels.wav').check();
  await panel.getByLabel('Name', { exact: true }).fill('corners');
  await panel.getByRole('button', { name: 'Export' }).click();
  // The first "corners" is kept: this one gets its own folder.
  await expect(page.getByTestId('export-result')).toContainText(/Wrote 3 files to .*exports\/corners \(2\)/, {
    timeout: 60_000,
  });
});
