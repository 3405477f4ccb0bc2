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

const browser = {
  browserName: 'chromium' as const,
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
};

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  workers: 1,
  reporter: [['list'], ['./test/e2e/skip-reporter.ts']],
  outputDir: 'out/playwright',
  projects: [
    // The flow specs in a browser against `vae-studio serve`.
    { name: 'chromium', testIgnore: /electron\.spec\.ts/, use: browser },
    // The same specs against the desktop app (test/e2e/serve-fixture.ts), plus electron.spec.ts;
    // skipped, with the reason, where no Electron binary exists. The browser settings are there
    // because a spec's fixtures still open a (system) browser context beside the app.
    { name: 'electron', use: browser },
  ],
});
