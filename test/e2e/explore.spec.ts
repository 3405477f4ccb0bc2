/** The latent map of the demo model: thousands of points, colours, zoom, and hearing points and frames. */
import { expect, test } from './serve-fixture.js';

test('maps the demo model and plays what a person points at', async ({ page, served }) => {
  test.setTimeout(120_000);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.getByRole('img').or(page.locator('canvas[data-points]'));
  await expect(canvas).toHaveAttribute('data-points', /^\d{4,}$/, { timeout: 30_000 });
  await expect(page.getByTestId('map-stats')).toContainText('from 4 sounds');
  await page.getByLabel('Colour by').selectOption('source');
  await expect(canvas).toHaveAttribute('data-colour-by', 'source');
  await page.screenshot({ path: 'docs/screenshots/explore.png', fullPage: true });

  // Keyboard: Enter plays the training frame nearest the cursor (the middle of the map).
  await canvas.focus();
  await page.keyboard.press('Enter');
  const hearing = page.getByTestId('hearing');
  await expect(hearing).toHaveText(/^Play(ing|ed) (bells|plucks|textures|vowels)\.wav at \d+\.\d\d s$/);
  // Space decodes the cursor's own point.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  await expect(hearing).toHaveText(/^Play(ing|ed) the point \(-?\d+\.\d\d, -?\d+\.\d\d\)$/, {
    timeout: 20_000,
  });

  // Scrolling zooms about the pointer; Reset view goes back.
  const stats = page.getByTestId('map-stats');
  await expect(stats).toContainText('zoom ×1.00');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -200);
  await expect(stats).toContainText('zoom ×1.20');
  await page.getByRole('button', { name: 'Reset view' }).click();
  await expect(stats).toContainText('zoom ×1.00');

  // A click plays the training frame under the pointer; Shift-click the point itself. The line says
  // what plays, then what played (a half-second stretch may be over before it is read).
  const centre = { x: box.width / 2, y: box.height / 2 };
  await canvas.click({ position: centre, modifiers: ['Shift'] });
  // The point under the pointer, near the centre (the keyboard's point was to the right of it).
  await expect(hearing).toHaveText(/^Play(ing|ed) the point \(-?0\.0\d, -?0\.0\d\)$/, { timeout: 20_000 });
  await canvas.click({ position: centre });
  await expect(hearing).toHaveText(/^Play(ing|ed) (bells|plucks|textures|vowels)\.wav at \d+\.\d\d s$/);
});

test('samples random sounds with a temperature, and a new batch', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const panel = page.getByTestId('sample');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await panel.getByLabel('How many').fill('3');
  await panel.getByLabel('Seconds').fill('0.5');
  await panel.getByLabel('Temperature').fill('0.8');
  await panel.getByRole('button', { name: 'Sample', exact: true }).click();
  await expect(panel.getByRole('button', { name: /^Play sample \d$/ })).toHaveCount(3, { timeout: 30_000 });
  await panel.getByRole('button', { name: 'Play sample 2' }).click();
  await panel.getByRole('button', { name: 'New batch' }).click();
  await expect(panel.getByLabel('Seed')).toHaveValue('3');
  await expect(panel.getByRole('button', { name: /^Play sample \d$/ })).toHaveCount(3);
});
