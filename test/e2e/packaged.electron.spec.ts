/**
 * The Electron smoke test: the app in its packaged layout (electron-builder's unpacked output of
 * electron.config.ts, `--dir`: app.asar, the unpacked native and wasm files, the demo beside the
 * asar, fuses flipped) starts, the engine answers from its utility process, the training form's
 * backend picker says what the hidden compute window found for WebGPU, and a one-epoch training
 * job completes in its worker. Runs wherever an Electron binary exists (as electron.spec.ts); the
 * packaging needs electron-builder's tools, which it downloads on first use. Elsewhere it reports
 * itself skipped, with the reason.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findElectron } from './electron-app.js';

const electronFound = findElectron();
const reason = 'reason' in electronFound ? electronFound.reason : '';

/**
 * The packaged executable electron-builder --dir makes on this platform, in the smoke build's folder
 * (electron.config.ts, configFor: the release configuration with the inspect fuse Playwright needs).
 */
function packagedExecutable(root: string): string {
  const out = join(root, 'out/release-smoke');
  if (process.platform === 'darwin') {
    const arch = process.arch === 'arm64' ? 'mac-arm64' : 'mac';
    return join(out, arch, 'VAE Studio.app/Contents/MacOS/VAE Studio');
  }
  if (process.platform === 'win32') return join(out, 'win-unpacked/VAE Studio.exe');
  return join(out, 'linux-unpacked/vae-studio');
}

test.describe(reason ? `the packaged app (skipped: ${reason})` : 'the packaged app', () => {
  test.skip('reason' in electronFound, reason);

  test('starts, its engine answers, and a one-epoch training run completes', async () => {
    test.setTimeout(600_000);
    const root = process.cwd();
    const executable = packagedExecutable(root);
    if (!existsSync(executable))
      execFileSync(
        process.execPath,
        ['node_modules/.bin/electron-builder', '--config', 'electron.config.ts', '--dir'],
        {
          stdio: 'inherit',
          timeout: 480_000,
          env: { ...process.env, VAE_STUDIO_SMOKE_BUILD: '1' },
        },
      );
    expect(existsSync(executable), executable).toBe(true);
    const data = mkdtempSync(join(tmpdir(), 'vae-packaged-'));
    const app = await electron.launch({
      executablePath: executable,
      // Chromium will not start as root with its sandbox; CI runs as root. Elsewhere it stays on.
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
      env: { ...process.env, VAE_STUDIO_DATA: data },
      timeout: 60_000,
    });
    try {
      const window = await app.firstWindow();
      await expect(window).toHaveURL(/^app:\/\/studio\//);
      // The engine answered from its utility process: its backend is shown.
      await expect(window.getByTestId('backend')).toHaveText(/tensorflow|wasm|cpu/, { timeout: 60_000 });
      await expect(window.getByTestId('source').first()).toBeVisible();
      const tab = window.getByRole('tab', { name: 'Training' });
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
      for (const [label, value] of Object.entries({
        Name: 'smoke',
        'Latent size': '4',
        Epochs: '1',
        Batch: '256',
      }))
        await window.getByLabel(label, { exact: true }).fill(value);
      await window.getByLabel('Preset').selectOption('compact');
      // backends() asked the app's hidden compute window for WebGPU, not a browser it would start
      // (main/engine/compute-relay.ts): the picker's reason names the window, whatever it found.
      await expect(window.getByTestId('backend-picker').locator('option[value="webgpu"]')).toHaveAttribute(
        'title',
        /compute window/,
        { timeout: 120_000 },
      );
      await window.getByRole('button', { name: 'Start training' }).click();
      await expect(window.getByTestId('train-status')).toContainText('done after epoch 1 of 1', {
        timeout: 300_000,
      });
    } finally {
      await app.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
