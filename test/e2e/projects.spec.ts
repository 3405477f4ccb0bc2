/** Projects: a new one, the recent list, and opening one by its folder (in the browser: a path on the engine's machine). */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
  await page.getByText('New or other project…').click();
  await page.getByLabel('New project name').fill('Field recordings');
  await page.getByRole('button', { name: 'New project' }).click();
  await expect(name).toHaveText('Field recordings');
  await expect(page.getByText('No sounds yet.')).toBeVisible();
  await expect(page.getByText('No models yet.')).toBeVisible();
  const newPath = (await page.locator('.path').textContent())!;
  expect(newPath).toContain(served.dataDir);

  const recent = page.getByLabel('Recent projects');
  await expect(recent.locator('option')).toHaveText(['Field recordings', 'Demo']);
  // Arrow keys move through the list without opening anything; Enter (or Open) opens the one chosen.
  await recent.focus();
  await page.keyboard.press('ArrowDown');
  await expect(recent).toHaveValue(/demo$/);
  await page.waitForTimeout(500);
  await expect(name).toHaveText('Field recordings');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
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

test('asks before making a project in an empty folder: Cancel leaves it as it was, Create makes it', async ({
  page,
  served,
}) => {
  test.skip(
    served.app !== null,
    'the desktop app opens a project through the native folder picker, not a typed path',
  );
  const empty = mkdtempSync(join(tmpdir(), 'vae-studio-empty-'));
  try {
    await page.goto(served.url);
    const name = page.getByTestId('project-name');
    await expect(name).toHaveText('Demo');
    await page.getByText('New or other project…').click();
    const ask = async () => {
      await page.getByLabel('Project folder').fill(empty);
      await page.getByRole('button', { name: 'Open project' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create a project here?' });
      await expect(dialog).toBeVisible();
      await expect(dialog).toContainText(empty);
      // The answer that goes on has the focus: Enter creates, Escape cancels.
      await expect(dialog.getByRole('button', { name: 'Create project' })).toBeFocused();
      return dialog;
    };

    let dialog = await ask();
    if (process.env.UI_SHOTS)
      await page.screenshot({ path: `${process.env.UI_SHOTS}/create-project-dialog.png` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(name).toHaveText('Demo');
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(readdirSync(empty)).toEqual([]);

    dialog = await ask();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(name).toHaveText('Demo');
    expect(readdirSync(empty)).toEqual([]);

    dialog = await ask();
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    await expect(name).toHaveText(basename(empty));
    await expect(page.locator('.path')).toHaveText(empty);
    await expect(page.getByText('No sounds yet.')).toBeVisible();
    expect(existsSync(join(empty, 'project.json'))).toBe(true);
    // Now a project: it opens without asking.
    await page.getByLabel('Recent projects').selectOption({ label: 'Demo' });
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(name).toHaveText('Demo');
    await page.getByLabel('Project folder').fill(empty);
    await page.getByRole('button', { name: 'Open project' }).click();
    await expect(name).toHaveText(basename(empty));
    await expect(page.getByRole('dialog')).toHaveCount(0);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
