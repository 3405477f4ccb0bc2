// `VAE_STUDIO_BACKEND=webgpu vae-studio train … --json` trains in headless Chromium (here on
// SwiftShader, Chromium's software adapter: slow, so one 0.8 s recording and two one-batch
// epochs), and its model works with resynth, sample and export. Skipped, with the reason, where no
// Chromium-family browser is found.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBrowser } from '../ml/browser/find-browser.js';
import { sox } from './audio-testing.js';
import { runCli } from './cli.js';
import { speechFixture } from './fixtures.js';

const browser = await findBrowser().then(
  (b) => ({ path: b.path, reason: '' }),
  (error: unknown) => ({ path: null, reason: (error as Error).message }),
);
const dir = mkdtempSync(join(tmpdir(), 'vae-browser-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(browser.path === null)(`training on webgpu in a browser page ${browser.reason}`, () => {
  it('names webgpu and the adapter, lands within 15 % of wasm with the same seed but not on it, and its model generates', () => {
    const input = join(dir, 'speech.wav');
    sox(speechFixture(0).path, input, 'trim', '0', '0.8');
    const args = (out: string) => [
      'train',
      input,
      '--out',
      out,
      '--preset',
      'compact',
      '--epochs',
      '2',
      '--batch',
      '128',
      '--seed',
      '3',
      '--json',
    ];
    const gpu = runCli(args(join(dir, 'gpu')), { env: { VAE_STUDIO_BACKEND: 'webgpu' }, timeoutMs: 480_000 });
    expect(gpu.status, gpu.stderr).toBe(0);
    const cpu = runCli(args(join(dir, 'cpu')), { env: { VAE_STUDIO_BACKEND: 'wasm' } });
    expect(cpu.status, cpu.stderr).toBe(0);

    const backend = gpu.json!.backend as {
      name: string;
      tfBackend: string;
      host: string;
      adapter: { vendor: string; architecture: string; software: boolean };
      browser: { path: string; version: string };
    };
    expect(backend).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu', host: 'chromium' });
    expect(backend.adapter.vendor).not.toBe('');
    expect(typeof backend.adapter.architecture).toBe('string');
    expect(backend.browser.path).toBe(browser.path);
    expect((cpu.json!.backend as { name: string }).name).toBe('wasm');

    const a = gpu.json!.reconstruction as number;
    const b = cpu.json!.reconstruction as number;
    expect(Math.abs(a - b) / b).toBeLessThan(0.15);
    expect(a).not.toBe(b);

    const model = join(dir, 'gpu');
    expect(existsSync(join(model, 'studio.json'))).toBe(true);
    const resynth = runCli(['resynth', model, input, '--out', join(dir, 'resynth.wav'), '--json']);
    expect(resynth.status, resynth.stderr).toBe(0);
    const sample = runCli([
      'sample',
      model,
      '--count',
      '1',
      '--seconds',
      '0.3',
      '--out',
      join(dir, 'samples'),
      '--json',
    ]);
    expect(sample.status, sample.stderr).toBe(0);
    expect(readdirSync(join(dir, 'samples')).filter((f) => f.endsWith('.wav'))).toHaveLength(1);
    const exported = runCli([
      'export',
      model,
      '--grid',
      '2',
      '--seconds',
      '0.3',
      '--out',
      join(dir, 'export'),
      '--json',
    ]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(readdirSync(join(dir, 'export')).filter((f) => f.endsWith('.wav'))).toHaveLength(4);
  }, 600_000);
});
