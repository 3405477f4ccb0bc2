/** Recording from the microphone (Chromium's fake one, playing the demo's vowels) into the project. */
import { expect, test } from './serve-fixture.js';

test('records the microphone with a level meter, trims it and adds it to the sounds', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible();
  const before = await page.getByTestId('source').count();
  await page.getByRole('button', { name: '● Record' }).click();
  // The meter moves: the fake microphone is playing vowels.
  await expect
    .poll(async () => Number(await page.getByTestId('level').getAttribute('data-level')), { timeout: 10_000 })
    .toBeGreaterThan(0.01);
  await page.waitForTimeout(1500);
  await page.getByRole('button', { name: '■ Stop recording' }).click();
  const rows = page.getByTestId('source');
  await expect(rows).toHaveCount(before + 1);
  const row = rows.filter({ hasText: 'recording 1.wav' });
  const duration = Number(/([\d.]+) s/.exec((await row.textContent())!)![1]);
  expect(duration).toBeGreaterThan(0.5);
  expect(duration).toBeLessThan(3);
  await expect(page.getByLabel('Microphone')).toContainText(/default input/);
  await page.getByRole('button', { name: 'Play recording 1.wav' }).click();
  await expect(page.getByRole('button', { name: 'Stop recording 1.wav' })).toBeVisible();
});
