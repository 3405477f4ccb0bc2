/** The first screen, as a person meets it: connect, see the engine, the demo project, play a sound. */
import { expect, test } from './serve-fixture.js';

test('connects and shows the engine: version and backend (no GPU here)', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByRole('heading', { name: 'VAE Studio' })).toBeVisible();
  await expect(page.getByTestId('connection')).toHaveText('Engine connected');
  await expect(page.getByTestId('version')).toHaveText(/^v\d+\.\d+\.\d+$/);
  await expect(page.getByTestId('backend')).toHaveText(/wasm · no GPU/);
});

test('opens the demo project with its sounds and its model', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByTestId('project-name')).toHaveText('Demo');
  const rows = page.getByTestId('source');
  await expect(rows).toHaveCount(4);
  await expect(rows.filter({ hasText: 'vowels.wav' })).toContainText('4.00 s');
  await expect(rows.filter({ hasText: 'vowels.wav' })).toContainText('22050 Hz');
  const model = page.getByTestId('model');
  await expect(model).toHaveCount(1);
  await expect(model).toContainText('compact');
  await expect(model).toContainText('8');
  await page.screenshot({ path: 'docs/screenshots/first-screen.png' });
});

test('plays a sound to its end, and can stop one', async ({ page, served }) => {
  await page.goto(served.url);
  const play = page.getByRole('button', { name: 'Play bells.wav' });
  await play.click();
  const stop = page.getByRole('button', { name: 'Stop bells.wav' });
  await expect(stop).toBeVisible();
  // bells.wav lasts 4 s: the button comes back when the audio graph has played it out.
  await expect(play).toBeVisible({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Play vowels.wav' }).click();
  await page.getByRole('button', { name: 'Stop vowels.wav' }).click();
  await expect(page.getByRole('button', { name: 'Play vowels.wav' })).toBeVisible();
});

test('without the token the page cannot reach the engine', async ({ page, served }) => {
  test.skip(
    served.app !== null,
    'the desktop app has no token: its page reaches the engine over a MessagePort',
  );
  const url = new URL(served.url);
  url.searchParams.set('token', 'wrong');
  await page.goto(url.href);
  await expect(page.getByTestId('connection')).toHaveText('Engine not reachable');
});
