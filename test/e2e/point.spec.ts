/** The edited point: sliders for every latent dimension following the map, snapshots, undo and redo. */
import { expect, test } from './serve-fixture.js';

test('edits the point by map and sliders, saves snapshots, undoes and redoes every edit', async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const panel = page.getByTestId('point');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  // One slider per latent dimension (the demo model has 8).
  await expect(panel.getByRole('slider')).toHaveCount(8);
  const z1 = panel.getByTestId('z1');
  const start = await z1.textContent();

  // The map's cursor moves the point: the sliders follow.
  const canvas = page.locator('canvas[data-points]');
  await canvas.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(z1).not.toHaveText(start!);
  const moved = await z1.textContent();

  // A slider edits one dimension; the others stay.
  const z2before = await panel.getByTestId('z2').textContent();
  const slider = panel.getByLabel('Latent dimension 3');
  await slider.focus();
  await page.keyboard.press('End');
  const z3 = panel.getByTestId('z3');
  const top = await z3.textContent();
  await expect(panel.getByTestId('z2')).toHaveText(z2before!);

  await panel.getByLabel('Snapshot name').fill('bright');
  await panel.getByRole('button', { name: 'Save snapshot' }).click();
  await expect(panel.getByTestId('snapshots')).toContainText('bright');

  // Undo: the snapshot goes, then the slider's edit, then the map moves; redo brings them back.
  await canvas.focus();
  await page.keyboard.press('Control+z');
  await expect(panel.getByTestId('snapshots')).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(z3).not.toHaveText(top!);
  await expect(z1).toHaveText(moved!);
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(z3).toHaveText(top!);
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(panel.getByTestId('snapshots')).toContainText('bright');

  // A second snapshot somewhere else, then a path through both exported as one file.
  await canvas.focus();
  await page.keyboard.press('ArrowDown');
  const darkZ1 = await z1.textContent();
  await panel.getByLabel('Snapshot name').fill('dark');
  await panel.getByRole('button', { name: 'Save snapshot' }).click();
  await panel.getByRole('button', { name: 'Go to bright' }).click();
  await expect(z3).toHaveText(top!);
  // Interpolation between the two snapshots: step 1 is 'dark', step 0 is 'bright'.
  await panel.getByLabel('Interpolate from').selectOption({ label: 'bright' });
  await panel.getByLabel('Interpolate to').selectOption({ label: 'dark' });
  const step = panel.getByLabel('Interpolation step');
  await step.focus();
  await page.keyboard.press('End');
  await expect(z1).toHaveText(darkZ1!);
  await page.keyboard.press('Home');
  await expect(z3).toHaveText(top!);
  await panel.getByRole('button', { name: 'Hear the point' }).click();
  await expect(page.getByTestId('hearing')).toHaveText(/^Play(ing|ed) the edited point$/, {
    timeout: 20_000,
  });
  await panel.getByRole('button', { name: 'Export a path through the snapshots' }).click();
  await expect(page.getByTestId('export-result')).toContainText(/Wrote 3 files to .*exports\/snapshot path/, {
    timeout: 60_000,
  });

  // Snapshots are kept with the model: a reload finds them.
  await page.reload();
  await page.getByRole('button', { name: 'Explore demo' }).click();
  await expect(page.getByTestId('snapshots')).toContainText('bright');
  await expect(page.getByTestId('snapshots')).toContainText('dark');
  await page.screenshot({ path: 'docs/screenshots/point.png', fullPage: true });
});
