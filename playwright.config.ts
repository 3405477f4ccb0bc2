import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * End-to-end specs, written once and run two ways: in Chromium against `vae-studio serve` (everywhere:
 * Debian's /usr/bin/chromium where Playwright's own browser cannot be downloaded), and against the
 * Electron app wherever an Electron binary exists (the 'electron' project skips itself, with the
 * reason, where none does).
 */
const systemChromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const fakeMicrophone = fileURLToPath(new URL('assets/demo/sources/vowels.wav', import.meta.url));

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  outputDir: 'out/playwright',
  projects: [
    {
      name: 'chromium',
      testIgnore: /electron\.spec\.ts/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          ...(existsSync(systemChromium) ? { executablePath: systemChromium } : {}),
          // As root, Chromium needs --no-sandbox; the rest keep it off this machine's closed network.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--autoplay-policy=no-user-gesture-required',
            // A fake microphone that plays the demo's vowels, for the recording specs.
            '--use-fake-device-for-media-stream',
            '--use-fake-ui-for-media-stream',
            `--use-file-for-fake-audio-capture=${fakeMicrophone}`,
          ],
        },
      },
    },
    { name: 'electron', testMatch: /electron\.spec\.ts/ },
  ],
});
