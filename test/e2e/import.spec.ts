/** Importing sounds by the file picker and by drag-and-drop; bad files are listed, nothing else changes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './serve-fixture.js';

const vowels = readFileSync(join('assets', 'demo', 'sources', 'vowels.wav'));

test('imports WAVs from the file picker, listing a bad one with its reason', async ({ page, served }) => {
  await page.goto(served.url);
  const rows = page.getByTestId('source');
  await expect(rows).toHaveCount(4);
  // my voice.wav has the same content as vowels.wav: the studio asks before importing it again.
  const asked: string[] = [];
  page.on('dialog', (d) => {
    asked.push(d.message());
    void d.accept();
  });
  await page.getByTestId('import-input').setInputFiles([
    { name: 'my voice.wav', mimeType: 'audio/wav', buffer: vowels },
    { name: 'notes.wav', mimeType: 'audio/wav', buffer: Buffer.from('these are notes, not audio') },
  ]);
  await expect(rows).toHaveCount(5);
  expect(asked).toEqual([
    'my voice.wav has the same content as vowels.wav, which the project has already. Import it again?',
  ]);
  await expect(rows.filter({ hasText: 'my voice.wav' })).toContainText('4.00 s');
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText('notes.wav');
  await expect(problems).toContainText(/RIFF/i);
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(problems).toHaveCount(0);
  // The import is in the project for good: a reload lists it again.
  await page.reload();
  await expect(page.getByTestId('source')).toHaveCount(5);
});

test('imports a WAV dropped onto the window', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByTestId('source').first()).toBeVisible();
  const before = await page.getByTestId('source').count();
  // The same content again: accepted when asked.
  page.on('dialog', (d) => void d.accept());
  const bytes = [...vowels];
  await page.evaluate(async (data) => {
    const file = new File([new Uint8Array(data)], 'dropped.wav', { type: 'audio/wav' });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    document
      .querySelector('main')!
      .dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  await expect(page.getByTestId('source')).toHaveCount(before + 1);
  await expect(page.getByTestId('source').filter({ hasText: 'dropped.wav' })).toBeVisible();
  await page.getByRole('button', { name: 'Play dropped.wav' }).click();
  await expect(page.getByRole('button', { name: 'Stop dropped.wav' })).toBeVisible();
});
