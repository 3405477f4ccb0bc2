/** Resynthesis: a sound through the model, A/B against the original, moved along a direction or toward another sound. */
import { expect, test } from './serve-fixture.js';

test('resynthesizes a sound, plays A and B, and moves it in latent space', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  await expect(page.locator('canvas[data-points]')).toBeVisible({ timeout: 30_000 });
  await page.getByRole('tab', { name: 'Sound' }).last().click();
  const panel = page.getByTestId('resynth');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await panel.getByLabel('Sound', { exact: true }).selectOption({ label: 'vowels.wav' });
  await expect(panel.getByRole('button', { name: 'B: resynthesis' })).toBeDisabled();
  await panel.getByRole('button', { name: 'Resynthesize' }).click();
  const result = panel.getByTestId('resynth-result');
  // The same length as the original (4 s), at a level a person can hear.
  await expect(result).toHaveText(/^vowels\.wav: 4\.00 s, RMS -\d+\.\d dBFS$/, { timeout: 30_000 });
  // A/B at one level, switching at the same place in the sound.
  await expect(panel.getByTestId('ab-match')).toContainText(/B plays at A's level \([+−]\d+\.\d dB\)/);
  await panel.getByRole('button', { name: 'A: original' }).click();
  await expect(page.getByTestId('hearing')).toHaveText('Playing vowels.wav (A: the original)');
  await page.waitForTimeout(1200);
  await panel.getByRole('button', { name: 'B: resynthesis' }).click();
  await expect(page.getByTestId('hearing')).toHaveText('Playing vowels.wav (B: through demo)');
  const plain = await result.textContent();

  await panel.getByLabel('Move it', { exact: true }).selectOption('morph');
  await panel.getByLabel('Toward', { exact: true }).selectOption({ label: 'plucks.wav' });
  await panel.getByLabel('Morph (0–1)', { exact: true }).fill('1');
  await panel.getByRole('button', { name: 'Resynthesize' }).click();
  await expect(result).not.toHaveText(plain!, { timeout: 30_000 });

  await panel.getByLabel('Move it', { exact: true }).selectOption('offset');
  await panel.getByLabel('Direction', { exact: true }).selectOption('axis1');
  await panel.getByLabel('Amount', { exact: true }).fill('2');
  await panel.getByLabel('Phase', { exact: true }).selectOption('pghi-gl');
  await panel.getByRole('button', { name: 'Resynthesize' }).click();
  await expect(result).toHaveText(/^vowels\.wav: 4\.00 s/, { timeout: 30_000 });
  await expect(panel.getByText('Resynthesizing…')).toHaveCount(0, { timeout: 30_000 });
  await page.screenshot({ path: 'docs/screenshots/resynth.png' });
});
