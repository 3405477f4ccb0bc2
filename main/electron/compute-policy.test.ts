import { describe, expect, it } from 'vitest';
import {
  COMPUTE_PORT_CHANNEL,
  COMPUTE_URL,
  computeFile,
  computeSwitches,
  computeWindowOptions,
  isComputeNavigationAllowed,
  isComputePermissionAllowed,
  isPortHandover,
} from './compute-policy.js';
import { APP_ENTRY_URL, isAppUrl } from './policy.js';

describe('the compute window', () => {
  it('is hidden, sandboxed and context-isolated, with no Node anywhere and no devtools', () => {
    const o = computeWindowOptions('/app/out/electron/compute-preload.cjs');
    expect(o.show).toBe(false);
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/electron/compute-preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      devTools: false,
      backgroundThrottling: false,
    });
  });

  it('stays on its one page: every other URL, the studio page included, is refused', () => {
    expect(isComputeNavigationAllowed(COMPUTE_URL)).toBe(true);
    for (const url of [
      APP_ENTRY_URL,
      'app://compute/other.html',
      'app://compute/compute.html?x=1',
      'https://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
    ])
      expect(isComputeNavigationAllowed(url), url).toBe(false);
    // Another host than the studio's: the studio window's checks do not trust it either.
    expect(isAppUrl(COMPUTE_URL)).toBe(false);
  });

  it('is granted no permission', () => {
    expect(isComputePermissionAllowed()).toBe(false);
  });

  it('serves only the compute page and its script', () => {
    expect(computeFile('/compute.html')).toBe('compute.html');
    expect(computeFile('/compute-page.js')).toBe('compute-page.js');
    for (const p of ['/', '/compute-page.js.map', '/../renderer/index.html', '/%2e%2e/x', '/index.html'])
      expect(computeFile(p), p).toBeNull();
  });

  it('takes a port only on its channel, exactly one', () => {
    expect(isPortHandover(COMPUTE_PORT_CHANNEL, [{}])).toBe(true);
    expect(isPortHandover(COMPUTE_PORT_CHANNEL, [])).toBe(false);
    expect(isPortHandover(COMPUTE_PORT_CHANNEL, [{}, {}])).toBe(false);
    expect(isPortHandover('vae-studio:other', [{}])).toBe(false);
  });

  it('turns WebGPU on where Chromium keeps it behind switches (Linux), and nowhere else', () => {
    expect(computeSwitches('linux')).toEqual([['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']]);
    expect(computeSwitches('darwin')).toEqual([]);
    expect(computeSwitches('win32')).toEqual([]);
  });
});
