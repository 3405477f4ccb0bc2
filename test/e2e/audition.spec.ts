/** Live audition: the sound follows the pointer over the map, streamed frame by frame, with its latency shown. */
import { expect, test } from './serve-fixture.js';

test('hears the map while the pointer moves, and says how late the sound is', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', /^\d+$/, { timeout: 30_000 });
  await page.getByLabel('Hear while moving').check();
  const latency = page.getByTestId('latency');
  await expect(latency).toContainText('move over the map to measure');
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
  // The figure goes into the test log: the target is a median under 30 ms.
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
