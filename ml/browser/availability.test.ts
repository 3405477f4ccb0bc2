import { describe, expect, it } from 'vitest';
import { listBackends } from './availability.js';
import { gpuDeviceNodes } from './probe.js';

describe('listBackends', () => {
  it('lists every backend with the reason it is not the automatic choice', async () => {
    const choices = await listBackends();
    expect(choices.backends.map((b) => b.name)).toEqual([
      'tensorflow-gpu',
      'webgpu',
      'webgl',
      'tensorflow',
      'wasm',
      'cpu',
    ]);
    const by = (n: string) => choices.backends.find((b) => b.name === n)!;
    expect(by('wasm')).toMatchObject({ available: true, host: 'node' });
    expect(by('webgpu').host).toBe('chromium');
    for (const b of choices.backends) if (!b.available) expect(b.reason).toBeTruthy();
    if (gpuDeviceNodes()?.length === 0) {
      // This machine: no GPU device node, so the browser backends can be forced (SwiftShader) but
      // are never the automatic choice.
      expect(by('webgpu').reason).toMatch(/no GPU device/);
      expect(by('webgpu').gpu).toBe(false);
      expect(['tensorflow', 'wasm']).toContain(choices.automatic);
    }
  });
});
