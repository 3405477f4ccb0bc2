/**
 * The latent map that explains itself, and stays smooth with many points: on the map lab
 * (renderer/map-lab.html, LatentMapView alone on a synthetic map of 200,000 points) and on the demo
 * model in the studio. Prints the map's frames per second while panning, with WebGL (naming the
 * GPU renderer, SwiftShader here) and with the canvas 2D fallback, in the same run.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './serve-fixture.js';

interface Lab {
  map: { p1: Float32Array; p2: Float32Array };
  draws: { at: number; ms: number }[];
  heard: string[];
}

const POINTS = 200_000;

function labUrl(served: { url: string }, points = POINTS): string {
  return new URL(`map-lab.html?points=${points}`, served.url).href;
}

/** Waits for the map's first frame; returns the renderer's name. */
async function opened(page: Page): Promise<string> {
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-renderer', /WebGL|canvas/, { timeout: 30_000 });
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __mapLab: Lab }).__mapLab.draws.length))
    .toBeGreaterThan(0);
  return (await canvas.getAttribute('data-renderer'))!;
}

/** Where every point lands on the canvas in the current view: how many fall outside it. */
async function pointsOutside(page: Page): Promise<{ outside: number; total: number }> {
  return page.evaluate(() => {
    const canvas = document.querySelector('canvas[data-points]') as HTMLCanvasElement;
    const [cx, cy, scale] = canvas.dataset.view!.split(' ').map(Number);
    const { width, height } = canvas.getBoundingClientRect();
    const { p1, p2 } = (window as unknown as { __mapLab: Lab }).__mapLab.map;
    let outside = 0;
    for (let i = 0; i < p1.length; i++) {
      const x = width / 2 + (p1[i] - cx) * scale;
      const y = height / 2 - (p2[i] - cy) * scale;
      if (!(x >= 0 && x <= width && y >= 0 && y <= height)) outside++;
    }
    return { outside, total: p1.length };
  });
}

/**
 * Drags the map around a circle for `seconds` with the mouse held down, as fast as input events
 * go, and counts the frames the map drew meanwhile.
 */
async function panFps(
  page: Page,
  seconds: number,
): Promise<{ fps: number; frames: number; medianMs: number; drawMs: number }> {
  const box = (await page.locator('canvas[data-points]').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const start = await page.evaluate(() => performance.now());
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const a = i / 15;
    await page.mouse.move(cx + 150 * Math.cos(a), cy + 100 * Math.sin(a));
  }
  const end = await page.evaluate(() => performance.now());
  await page.mouse.up();
  const draws = await page.evaluate(
    ([t0, t1]) =>
      (window as unknown as { __mapLab: Lab }).__mapLab.draws.filter((d) => d.at >= t0 && d.at <= t1),
    [start, end],
  );
  const gaps = draws
    .slice(1)
    .map((d, i) => d.at - draws[i].at)
    .sort((a, b) => a - b);
  const calls = draws.map((d) => d.ms).sort((a, b) => a - b);
  return {
    fps: (1000 * draws.length) / (end - start),
    frames: draws.length,
    medianMs: gaps[Math.floor(gaps.length / 2)] ?? NaN,
    drawMs: calls[Math.floor(calls.length / 2)] ?? NaN,
  };
}

test('200,000 points: every one in view, a legend for each colouring, hints, axes, and smooth panning', async ({
  page,
  served,
}) => {
  test.setTimeout(120_000);
  await page.goto(labUrl(served));
  const renderer = await opened(page);
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', String(POINTS));

  // The fitted view cuts nothing off.
  expect(await pointsOutside(page)).toEqual({ outside: 0, total: POINTS });

  // The legend explains the colours: a colour bar for a descriptor, the sources by name for files.
  const legend = page.getByTestId('map-legend');
  await expect(legend).toContainText('Loudness');
  await expect(legend).toContainText('sones');
  await page.getByLabel('Colour by').selectOption('source');
  await expect(legend).toContainText('Source file');
  await expect(legend.getByRole('button')).toHaveCount(8);
  // A renamed sound shows its new name.
  await expect(legend.getByRole('button').first()).toContainText('Voice (renamed)');
  await expect(legend.getByRole('button').nth(1)).toContainText('synthetic-2.wav');
  await expect(legend.getByRole('button').nth(1)).toContainText('25000');
  // Showing one source alone, and all again.
  await legend.getByRole('button').nth(2).click();
  await expect(legend.getByRole('button').nth(2)).toHaveAttribute('aria-pressed', 'true');
  await legend.getByRole('button').nth(2).click();
  await expect(legend.getByRole('button').nth(2)).toHaveAttribute('aria-pressed', 'false');

  // The controls in words, and axes with labels.
  const hints = page.getByTestId('map-hints');
  await expect(hints).toBeVisible();
  await expect(hints).toContainText('Shift-click');
  await expect(hints).toContainText('hear while moving');
  const labels = async () =>
    ((await page.locator('canvas.overlay').getAttribute('data-labels')) ?? '').split('|');
  expect(await labels()).toContainEqual(expect.stringMatching(/^axis 1 → \(σ \d+\.\d\d\)$/));
  expect(await labels()).toContainEqual(expect.stringMatching(/^↑ axis 2 \(σ \d+\.\d\d\)$/));
  // Tick labels: round numbers, a true minus sign.
  expect((await labels()).filter((t) => /^−?\d+$/.test(t)).length).toBeGreaterThan(6);

  // Hovering a dense place reads out the frame under the pointer; a click plays it and marks it.
  const box = (await canvas.boundingBox())!;
  const readout = page.getByTestId('map-readout');
  const dense = await page.evaluate(() => {
    const c = document.querySelector('canvas[data-points]') as HTMLCanvasElement;
    const [cx, cy, scale] = c.dataset.view!.split(' ').map(Number);
    const { width, height } = c.getBoundingClientRect();
    const { p1, p2 } = (window as unknown as { __mapLab: Lab }).__mapLab.map;
    return [width / 2 + (p1[1000] - cx) * scale, height / 2 - (p2[1000] - cy) * scale];
  });
  await page.mouse.move(box.x + dense[0], box.y + dense[1]);
  await expect(readout).toHaveText(/^(Voice \(renamed\)|synthetic-\d\.wav) at \d+\.\d\d s · loudness/);
  await page.mouse.click(box.x + dense[0], box.y + dense[1]);
  await expect
    .poll(labels)
    .toContainEqual(
      expect.stringMatching(/^▶ playing (Voice \(renamed\)|synthetic-\d\.wav) at \d+\.\d\d s$/),
    );
  // Snapshots are drawn with their names.
  expect(await labels()).toEqual(expect.arrayContaining(['bright', 'dark']));
  await page.mouse.move(box.x + 5, box.y + box.height - 5);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 40);
  await page.screenshot({ path: 'docs/screenshots/map-200k.png' });

  // Panning: the view moves and the frames keep coming.
  const before = await canvas.getAttribute('data-view');
  const gl = await panFps(page, 3);
  expect(await canvas.getAttribute('data-view')).not.toBe(before);
  expect(gl.frames).toBeGreaterThan(6);
  console.log(
    `map bench: ${POINTS.toLocaleString('en-US')} points, ${renderer}: ${gl.fps.toFixed(1)} frames/s while panning ` +
      `(median frame interval ${gl.medianMs.toFixed(1)} ms, draw call ${gl.drawMs.toFixed(2)} ms, ${gl.frames} frames)`,
  );

  // The same map where WebGL is unavailable: canvas 2D, density layer and a subsample of the points.
  const fallback = await page.context().newPage();
  try {
    await fallback.addInitScript(() => {
      const original = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (
        this: HTMLCanvasElement,
        kind: string,
        ...rest: unknown[]
      ) {
        if (kind === 'webgl' || kind === 'webgl2' || kind === 'experimental-webgl') return null;
        return (original as (...a: unknown[]) => RenderingContext | null).call(this, kind, ...rest);
      } as typeof HTMLCanvasElement.prototype.getContext;
    });
    await fallback.goto(labUrl(served));
    const name2d = await opened(fallback);
    expect(name2d).toBe('canvas 2D (no WebGL)');
    expect(await pointsOutside(fallback)).toEqual({ outside: 0, total: POINTS });
    // Something is drawn: the middle of the map is not the bare background.
    const lit = await fallback.evaluate(() => {
      const c = document.querySelector('canvas[data-points]') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 120) n++;
      return n / (d.length / 4);
    });
    expect(lit).toBeGreaterThan(0.02);
    const cpu = await panFps(fallback, 3);
    expect(cpu.frames).toBeGreaterThan(3);
    console.log(
      `map bench: ${POINTS.toLocaleString('en-US')} points, ${name2d}: ${cpu.fps.toFixed(1)} frames/s while panning ` +
        `(median frame interval ${cpu.medianMs.toFixed(1)} ms, draw call ${cpu.drawMs.toFixed(2)} ms); ` +
        `WebGL / canvas 2D: ${(gl.fps / cpu.fps).toFixed(2)}×`,
    );
  } finally {
    await fallback.close();
  }
});

test("the demo model's map: which colour is which sound, and a readout under the pointer", async ({
  page,
  served,
}) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Explore demo' }).click();
  const canvas = page.locator('canvas[data-points]');
  await expect(canvas).toHaveAttribute('data-points', /^\d{4,}$/, { timeout: 30_000 });
  await page.getByLabel('Colour by').selectOption('source');
  const legend = page.getByTestId('map-legend');
  await expect(legend.getByRole('button')).toHaveText([
    /bells\.wav/,
    /plucks\.wav/,
    /textures\.wav/,
    /vowels\.wav/,
  ]);
  // The whole map on the screen, its readout and hints too (the studio's layout may already show it so).
  await page.getByTestId('map').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  expect(
    await page.evaluate(() => {
      const c = document.querySelector('canvas[data-points]') as HTMLCanvasElement;
      return c.dataset.renderer;
    }),
  ).toMatch(/WebGL|canvas/);
  const box = (await canvas.boundingBox())!;
  const readout = page.getByTestId('map-readout');
  // Sweep the pointer until it is over a training frame.
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await page.mouse.move(box.x + box.width * (0.3 + 0.01 * i), box.y + box.height * (0.5 + 0.004 * i));
    found = /^(bells|plucks|textures|vowels)\.wav at \d+\.\d\d s/.test((await readout.textContent()) ?? '');
  }
  expect(found).toBe(true);
  await page.screenshot({ path: 'docs/screenshots/map-demo.png' });
});
