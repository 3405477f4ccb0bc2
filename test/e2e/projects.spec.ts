/** Projects: a new one, the recent list, and opening one by its folder (in the browser: a path on the engine's machine). */
import { expect, test } from './serve-fixture.js';

test('makes a new project, switches through the recent list, and opens one by its folder', async ({
  page,
  served,
}) => {
  test.skip(
    served.app !== null,
    'the desktop app opens a project through the native folder picker, not a typed path',
  );
  await page.goto(served.url);
  const name = page.getByTestId('project-name');
  await expect(name).toHaveText('Demo');
  await expect(page.getByTestId('source').first()).toBeVisible();
  const demoSounds = await page.getByTestId('source').count();
  await page.getByLabel('New project name').fill('Field recordings');
  await page.getByRole('button', { name: 'New project' }).click();
  await expect(name).toHaveText('Field recordings');
  await expect(page.getByText('No sounds yet.')).toBeVisible();
  await expect(page.getByText('No models yet.')).toBeVisible();
  const newPath = (await page.locator('.path').textContent())!;
  expect(newPath).toContain(served.dataDir);

  const recent = page.getByLabel('Recent projects');
  await expect(recent.locator('option')).toHaveText(['Field recordings', 'Demo']);
  await recent.selectOption({ label: 'Demo' });
  await expect(name).toHaveText('Demo');
  await expect(page.getByTestId('source')).toHaveCount(demoSounds);

  await page.getByLabel('Project folder').fill(newPath);
  await page.getByRole('button', { name: 'Open project' }).click();
  await expect(name).toHaveText('Field recordings');
  // A folder that holds other things but no project is refused, with the reason.
  await page.getByLabel('Project folder').fill(served.dataDir);
  await page.getByRole('button', { name: 'Open project' }).click();
  await expect(page.getByRole('alert')).toContainText(served.dataDir);
  await expect(name).toHaveText('Field recordings');
});
