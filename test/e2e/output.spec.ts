/** Listening safety: the master volume (and the limiter behind it) on everything the app plays. */
import { expect, test } from './serve-fixture.js';

test('sets the master volume from the header, by mouse or keys', async ({ page, served }) => {
  await page.goto(served.url);
  const volume = page.getByLabel('Master volume');
  await expect(page.getByTestId('volume')).toHaveText('80%');
  await volume.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('volume')).toHaveText('0%');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('volume')).toHaveText('1%');
  await page.keyboard.press('End');
  await expect(page.getByTestId('volume')).toHaveText('100%');
  await page.getByRole('button', { name: 'Play bells.wav' }).click();
  await expect(page.getByRole('button', { name: 'Stop bells.wav' })).toBeVisible();
});
