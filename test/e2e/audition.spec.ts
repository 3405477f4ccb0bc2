/** Live audition: the sound follows the pointer over the map, streamed frame by frame, with its latency shown. */
import { expect, test } from './serve-fixture.js';

test('hears the map while the pointer moves, and says how late the sound is', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', /^\d+$/, { timeout: 30_000 });
  await page.getByLabel('Hear while moving').check();
  const latency = page.getByTestId('latency');
  // The first start loads the audio worklet and the model in the audition worker.
  await expect(latency).toContainText('move over the map to measure', { timeout: 20_000 });
  // The pointer must be over the map on screen: bring all of it into view first.
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  for (let i = 0; i < 40; i++) {
    await page.mouse.move(box.x + box.width * (0.3 + 0.01 * i), box.y + box.height * (0.4 + 0.005 * i));
    await page.waitForTimeout(25);
  }
  await expect(latency).toContainText(
    /median \d+\.\d ms over \d+ moves · device output latency (\d+\.\d ms|unknown)/,
  );
  // The figure goes into the test log (audition-clicks.spec.ts checks it against the output itself).
  console.log(`live audition: ${await latency.textContent()}`);
  await page.getByLabel('Hear while moving').uncheck();
  await expect(latency).toHaveCount(0);
  // Keyboard: L turns it on at the cursor.
  await canvas.focus();
  await page.keyboard.press('l');
  await expect(page.getByLabel('Hear while moving')).toBeChecked();
  await page.keyboard.press('ArrowLeft');
  await expect(latency).toContainText(/median/);
});

test('a live audition the engine ends by itself stops here and says why', async ({
  page,
  served,
  context,
}) => {
  test.skip(served.app !== null, 'the second window here is a browser page on serve');
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible({ timeout: 15_000 });
  // A model of its own to delete (the demo's stays for the other specs).
  await page.getByRole('tab', { name: 'Training' }).click();
  await page.getByLabel('Name', { exact: true }).fill('short-lived');
  await page.getByLabel('Latent size', { exact: true }).fill('2');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  // The default model is seed-speech; these runs only need to be quick.
  await page.getByLabel('Preset').selectOption('compact');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('train-status')).toContainText('short-lived: done after epoch 1 of 1', {
    timeout: 30_000,
  });
  await page.getByRole('button', { name: 'Explore short-lived' }).click();
  await expect(page.locator('canvas[data-points]')).toHaveAttribute('data-points', /^\d+$/, {
    timeout: 30_000,
  });
  const live = page.getByLabel('Hear while moving');
  await live.check();
  await expect(page.getByTestId('latency')).toBeVisible();
  await expect(page.getByTestId('hearing')).toHaveText('Playing live audition');

  // Another window deletes the model: the engine ends the audition and tells this window why.
  const other = await context.newPage();
  other.on('dialog', (dialog) => void dialog.accept());
  await other.goto(served.url);
  await other.getByRole('button', { name: 'Inspect short-lived' }).click();
  await other.getByRole('button', { name: 'Delete short-lived' }).click();
  await expect(other.getByRole('button', { name: 'Delete short-lived' })).toHaveCount(0);
  await other.close();

  await expect(page.getByTestId('hearing')).toHaveText('Live audition ended: its model was deleted');
  await expect(live).not.toBeChecked();
  await expect(page.getByTestId('latency')).toHaveCount(0);
});
