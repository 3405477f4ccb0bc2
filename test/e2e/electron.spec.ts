/**
 * The desktop app end to end: Playwright launches the built Electron app (`_electron.launch`), waits
 * for the first screen (the title and the engine's backend, which means the engine came up in its
 * utility process and the page reached it over the MessagePort main handed it) and closes it.
 *
 * It runs wherever an Electron binary exists: ELECTRON_OVERRIDE_DIST_PATH (a folder holding an
 * unpacked Electron, as the electron package itself understands it) or the electron package's own
 * node_modules/electron/dist. Electron 42 and later download that binary on first use, which a
 * machine without the network cannot; there this spec reports itself skipped, with that reason,
 * never passed. `require('electron')` is not used to find it, since that starts the download.
 *
 * Needs `npm run build:electron` and the renderer's build first; on Linux without a display, run it
 * under xvfb-run.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { builtApp, findElectron } from './electron-app.js';

const electronFound = findElectron();
const reason = 'reason' in electronFound ? electronFound.reason : '';

// The reason goes into the title too, since the list reporter does not print skip annotations.
test.describe(reason ? `the desktop app (skipped: ${reason})` : 'the desktop app', () => {
  test.skip('reason' in electronFound, reason);

  test('starts, shows the first screen with the engine and its backend, and closes', async () => {
    const executablePath = 'executablePath' in electronFound ? electronFound.executablePath : '';
    const { main, missing } = builtApp();
    expect(missing, 'the built app').toEqual([]);

    const app = await electron.launch({
      executablePath,
      // Chromium will not start as root with its sandbox; CI runs as root. Elsewhere it stays on.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), main],
      env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    try {
      const window = await app.firstWindow();
      await expect(window).toHaveURL(/^app:\/\/studio\//);
      await expect(window.getByRole('heading', { name: 'VAE Studio' })).toBeVisible();
      // The engine answered: its backend is shown (which one depends on the machine).
      await expect(window.getByTestId('backend')).toHaveText(/tensorflow-gpu|tensorflow|wasm|cpu/, {
        timeout: 60_000,
      });
      // The page sees the preload's bridge and nothing of Node.
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe(
        'undefined',
      );
      expect(
        await window.evaluate(() =>
          Object.keys((window as unknown as { vaeStudio: object }).vaeStudio).sort(),
        ),
      ).toEqual([
        'chooseExportFolder',
        'chooseProjectFolder',
        'chooseSounds',
        'connectEngine',
        'onEngineState',
        'onMenuCommand',
        'openExternal',
        'platform',
        'showFolder',
      ]);
    } finally {
      await app.close();
    }
  });
});
