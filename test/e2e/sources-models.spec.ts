/** A sound's waveform and spectrogram on the stage; models renamed, compared by their metrics, and deleted after asking, in the inspector. */
import { expect, test } from './serve-fixture.js';

test('shows a sound as a waveform and a spectrogram', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Show bells.wav' }).click();
  const detail = page.getByTestId('source-detail');
  await expect(page.getByRole('tab', { name: 'Sound' }).first()).toHaveAttribute('aria-selected', 'true');
  await expect(detail).toContainText('bells.wav: 4.00 s at 22050 Hz · 690 frames');
  const spectrogram = detail.getByLabel('Spectrogram of bells.wav: 256 bins up to 11025 Hz');
  await expect(spectrogram).toHaveAttribute('data-frames', '690');
  // A log frequency axis and a time axis, in words a musician reads.
  await expect(spectrogram).toHaveAttribute('data-scale', 'log');
  await expect(detail).toContainText('1 kHz');
  await expect(detail).toContainText('4 s');
  // The inspector says the file's rate and the rate it is read at, in one place.
  await expect(page.getByTestId('sound-info')).toContainText('22050 Hz');
  // A click plays from there, and the playhead follows.
  const box = (await spectrogram.boundingBox())!;
  await spectrogram.click({ position: { x: box.width / 2, y: box.height / 2 } });
  await expect(detail.getByTestId('playhead')).toBeVisible();
  await expect(page.getByTestId('hearing')).toHaveText('Playing bells.wav');
  await page.screenshot({ path: 'docs/screenshots/sound.png' });
  // Played from the middle, it ends 2 s later: the playhead goes with it.
  await expect(detail.getByTestId('playhead')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId('hearing')).toHaveText('Played bells.wav');
  await page.getByRole('tab', { name: 'Map' }).click();
  await expect(detail).toHaveCount(0);
});

test('renames a model, compares its metrics, and deletes it only when confirmed', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  // A model to work on: train a tiny one.
  await page.getByRole('button', { name: '+ Train' }).click();
  await page.getByLabel('Name', { exact: true }).first().fill('scratch');
  await page.getByLabel('Latent size').fill('2');
  await page.getByLabel('Epochs').fill('1');
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  const row = page.getByTestId('model').filter({ hasText: 'scratch' });
  await expect(row).toBeVisible({ timeout: 60_000 });
  // Compared by their metrics: the copy error is a number for each model, and the curves come from its record.
  await page.getByRole('button', { name: 'Inspect scratch' }).click();
  const inspector = page.getByTestId('model-inspector');
  await expect(inspector.getByTestId('metric-reconstruction')).toHaveText(/^\d+\.\d\d$/);
  await expect(inspector.getByTestId('loss-chart')).toHaveAttribute('data-epochs', '1');
  await page.getByRole('button', { name: 'Inspect demo' }).click();
  await expect(inspector.getByTestId('metric-reconstruction')).toHaveText(/^\d+\.\d\d$/);
  // The demo model's 40 epochs, read back from its studio.json.
  await expect(inspector.getByTestId('loss-chart')).toHaveAttribute('data-epochs', '40');
  await expect(inspector.getByTestId('best-epoch')).toContainText(/epoch \d+ of 40/);
  await page.screenshot({ path: 'docs/screenshots/model.png' });
  await page.getByRole('button', { name: 'Inspect scratch' }).click();
  await page.getByRole('button', { name: 'Rename scratch' }).click();
  await page.getByLabel('New name for scratch').fill('keeper');
  await page.getByRole('button', { name: 'Save' }).click();
  const renamed = page.getByTestId('model').filter({ hasText: 'keeper' });
  await expect(renamed).toBeVisible();
  await expect(inspector.getByRole('heading', { name: 'keeper' })).toBeVisible();
  // Declining the question keeps it; accepting deletes it.
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('button', { name: 'Delete keeper' }).click();
  await expect(renamed).toBeVisible();
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete keeper' }).click();
  await expect(renamed).toHaveCount(0);
  await expect(page.getByTestId('model').filter({ hasText: 'demo' })).toBeVisible();
});
