/** Training from the UI: settings, live figures and chart, cancel, resume, and the model it lands. */
import { expect, test } from './serve-fixture.js';

async function fill(page: import('@playwright/test').Page, values: Record<string, string>) {
  const tab = page.getByRole('tab', { name: 'Training' });
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  for (const [label, value] of Object.entries(values))
    await page.getByLabel(label, { exact: true }).fill(value);
}

test('trains a tiny model with live figures, and lists it when done', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible();
  await fill(page, { Name: 'tiny', 'Latent size': '4', Epochs: '4', Batch: '128' });
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  const status = page.getByTestId('train-status');
  await expect(status).toContainText(/tiny.*epoch/);
  await expect(page.getByRole('button', { name: 'Cancel training' })).toBeVisible();
  // Live figures: frames/s and the chart fill in epoch by epoch.
  await expect(page.getByTestId('fps')).toHaveText(/\d+ frames\/s/, { timeout: 30_000 });
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-epochs', /[1-4]/);
  await expect(status).toContainText('done after epoch 4 of 4', { timeout: 60_000 });
  await expect(page.getByTestId('train-figures')).toContainText(
    /copy error [\d.]+ · latent use [\d.]+ · total [\d.]+ · on unseen frames [\d.]+/,
  );
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-epochs', '4');
  // Now and then a reconstruction to listen to: the last at epoch 4.
  const preview = page.getByTestId('preview');
  await expect(preview).toHaveText('▶ Hear the reconstruction at epoch 4');
  await preview.click();
  const model = page.getByTestId('model').filter({ hasText: 'tiny' });
  await expect(model).toContainText('compact');
  await expect(model).toContainText('4');
  await page.screenshot({ path: 'docs/screenshots/train.png' });
});

test('cancels at the next batch and resumes from the checkpoint', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible();
  await fill(page, { Name: 'long', 'Latent size': '4', Epochs: '500', Batch: '128' });
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  const chart = page.getByTestId('loss-chart');
  await expect(chart).toHaveAttribute('data-epochs', /^[1-9]/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel training' }).click();
  const status = page.getByTestId('train-status');
  await expect(status).toContainText(/long: cancelled after epoch (\d+) of 500/);
  const stopped = Number(/after epoch (\d+)/.exec((await status.textContent())!)![1]);
  const resume = page.getByRole('button', { name: 'Resume long' });
  await expect(resume).toBeVisible();
  await resume.click();
  await expect(page.getByRole('button', { name: 'Cancel training' })).toBeVisible();
  // The curve so far stays on the chart: the resumed run adds to it.
  expect(Number(await chart.getAttribute('data-epochs'))).toBeGreaterThanOrEqual(stopped);
  // It goes on from where it stopped, not from epoch 0.
  await expect(status).toContainText(new RegExp(`epoch ${stopped + 2} of 500`), { timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel training' }).click();
  await expect(status).toContainText(/cancelled after epoch \d+ of 500/);
  const again = Number(/after epoch (\d+)/.exec((await status.textContent())!)![1]);
  expect(again).toBeGreaterThan(stopped);
});

test('a reload during training shows the run still going, with its curve so far', async ({
  page,
  served,
}) => {
  test.setTimeout(120_000);
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible();
  await fill(page, { Name: 'reloaded', 'Latent size': '4', Epochs: '300', Batch: '128' });
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  const chart = page.getByTestId('loss-chart');
  await expect(chart).toHaveAttribute('data-epochs', /^([2-9]|\d{2,})$/, { timeout: 60_000 });
  const before = Number(await chart.getAttribute('data-epochs'));

  // The page that started the run goes; the run is the engine's and goes on.
  await page.reload();
  const status = page.getByTestId('train-status');
  await expect(status).toContainText(/reloaded: epoch \d+ of 300/);
  // Shown at once from the engine's job list, not rebuilt from the epochs that come next: the
  // curve holds every epoch so far, the figure says at least as many.
  const shown = Number(await chart.getAttribute('data-epochs'));
  expect(shown).toBeGreaterThanOrEqual(before);
  const epoch = Number(/epoch (\d+) of 300/.exec((await status.textContent())!)![1]);
  expect(epoch).toBeGreaterThanOrEqual(before);
  await expect(page.getByTestId('train-figures')).toContainText(/copy error [\d.]+/);
  const cancel = page.getByRole('button', { name: 'Cancel training' });
  await expect(cancel).toBeVisible();
  if (process.env.UI_SHOTS) {
    await page.getByTestId('train').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${process.env.UI_SHOTS}/train-after-reload.png` });
  }
  // It keeps reporting to the new page, and the new page can cancel it.
  await expect
    .poll(async () => Number(await chart.getAttribute('data-epochs')), { timeout: 30_000 })
    .toBeGreaterThan(shown);
  await cancel.click();
  await expect(status).toContainText(/reloaded: cancelled after epoch \d+ of 300/, { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Resume reloaded' })).toBeVisible();
});

test('a name that is taken trains as "name (2)", and the panel follows that run', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible();
  await fill(page, { Name: 'twice', 'Latent size': '2', Epochs: '1', Batch: '256' });
  const status = page.getByTestId('train-status');
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(status).toContainText('twice: done after epoch 1 of 1', { timeout: 60_000 });
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(status).toContainText('twice (2): done after epoch 1 of 1', { timeout: 60_000 });
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-epochs', '1');
  await expect(page.getByTestId('model').filter({ hasText: 'twice (2)' })).toBeVisible();
});
