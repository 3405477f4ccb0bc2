/**
 * WebGPU chosen in the training form's backend picker: the engine trains in a headless Chromium
 * page (here on SwiftShader, Chromium's software adapter, which is slow: one 0.8 s recording, one
 * epoch of one batch), and the model it lands says it was trained on webgpu.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { speechFixture } from '../fixtures.js';
import { expect, test } from './serve-fixture.js';

function studioJsons(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('studio.json'))
    .map((f) => join(dir, f));
}

test('trains a tiny model on WebGPU chosen in the picker', async ({ page, served }) => {
  test.skip(
    served.app !== null,
    'the desktop app trains on WebGPU in its compute window, not a browser it starts',
  );
  test.setTimeout(600_000);
  const file = join(served.dataDir, 'speech-0.8s.wav');
  execFileSync('sox', ['-D', speechFixture(0).path, file, 'trim', '0', '0.8']);
  const tiny = readFileSync(file);
  await page.goto(served.url);
  await page.getByText('New or other project…').click();
  await page.getByLabel('New project name').fill('GPU');
  await page.getByRole('button', { name: 'New project' }).click();
  await expect(page.getByTestId('project-name')).toHaveText('GPU');
  await page
    .getByTestId('import-input')
    .setInputFiles([{ name: 'speech.wav', mimeType: 'audio/wav', buffer: tiny }]);
  await expect(page.getByTestId('source')).toHaveCount(1);

  const tab = page.getByRole('tab', { name: 'Training' });
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  for (const [label, value] of Object.entries({ Name: 'gpu', 'Latent size': '4', Epochs: '1', Batch: '128' }))
    await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByLabel('Preset').selectOption('compact');
  const picker = page.getByTestId('backend-picker');
  // The picker lists every backend; here automatic is a CPU backend, and webgpu can be forced.
  await expect(picker.locator('option[value="webgpu"]')).toBeEnabled();
  await expect(picker.locator('option').first()).toHaveText(/automatic \((wasm|tensorflow)\)/);
  await picker.selectOption('webgpu');
  await page.getByRole('button', { name: 'Start training' }).click();
  const status = page.getByTestId('train-status');
  await expect(status).toContainText('done after epoch 1 of 1', { timeout: 540_000 });
  const [studio] = studioJsons(served.dataDir).filter((f) => f.includes(join('models', 'gpu')));
  const stored = JSON.parse(readFileSync(studio, 'utf8')) as { training: { backend: string } };
  expect(stored.training.backend).toBe('webgpu');
});
