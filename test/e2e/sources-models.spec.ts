/** A sound's waveform and spectrogram; models renamed, compared by their metrics, and deleted after asking. */
import { expect, test } from './serve-fixture.js';

test('shows a sound as a waveform and a spectrogram', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Show bells.wav' }).click();
  const detail = page.getByTestId('source-detail');
  await expect(detail).toContainText('bells.wav: 4.00 s at 22050 Hz · 690 frames');
  await expect(detail.getByLabel('Spectrogram of bells.wav: 256 bins up to 11025 Hz')).toHaveAttribute(
    'data-frames',
    '690',
  );
  await page.screenshot({ path: 'docs/screenshots/sound.png', fullPage: true });
  await page.getByRole('button', { name: 'Show bells.wav' }).click();
  await expect(detail).toHaveCount(0);
});

test('renames a model, compares its metrics, and deletes it only when confirmed', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  // A model to work on: train a tiny one.
  await page.getByLabel('Name', { exact: true }).first().fill('scratch');
  await page.getByLabel('Latent size').fill('2');
  await page.getByLabel('Epochs').fill('1');
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  const row = page.getByTestId('model').filter({ hasText: 'scratch' });
  await expect(row).toBeVisible({ timeout: 60_000 });
  // Compared by their metrics: reconstruction and KL are numbers for each model.
  await expect(row.locator('td').nth(4)).toHaveText(/^\d+\.\d\d$/);
  await expect(page.getByTestId('model').filter({ hasText: 'demo' }).locator('td').nth(4)).toHaveText(
    /^\d+\.\d\d$/,
  );
  await page.getByRole('button', { name: 'Rename scratch' }).click();
  await page.getByLabel('New name for scratch').fill('keeper');
  await page.getByRole('button', { name: 'Save' }).click();
  const renamed = page.getByTestId('model').filter({ hasText: 'keeper' });
  await expect(renamed).toBeVisible();
  // Declining the question keeps it; accepting deletes it.
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('button', { name: 'Delete keeper' }).click();
  await expect(renamed).toBeVisible();
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete keeper' }).click();
  await expect(renamed).toHaveCount(0);
  await expect(page.getByTestId('model').filter({ hasText: 'demo' })).toBeVisible();
});
