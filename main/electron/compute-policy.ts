// The compute window's security decisions, as pure functions (no Electron code runs here; the
// imports are type-only). The compute window trains on WebGPU / WebGL (ml/browser/page.ts): hidden,
// sandboxed, no Node, context isolation on, nothing exposed to its page but the one MessagePort main
// hands over (compute-preload.ts forwards it), no navigation, no new windows, no permissions. It
// loads exactly one page, app://compute/compute.html, served from dist/browser (scripts/build-browser.ts).
import type { BrowserWindowConstructorOptions } from 'electron';
import { APP_SCHEME, LOCKED_DOWN_WEB_PREFERENCES } from './policy.js';

export const COMPUTE_HOST = 'compute';
export const COMPUTE_ORIGIN = `${APP_SCHEME}://${COMPUTE_HOST}`;
export const COMPUTE_URL = `${COMPUTE_ORIGIN}/compute.html`;
/** The IPC channel on which main sends the page its port (compute-preload.ts listens on it only). */
export const COMPUTE_PORT_CHANNEL = 'vae-studio:compute-port';
/** The only files app://compute serves, from dist/browser. */
export const COMPUTE_FILES: readonly string[] = ['compute.html', 'compute-page.js'];

export function computeWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 320,
    height: 240,
    skipTaskbar: true,
    focusable: false,
    title: 'VAE Studio compute',
    webPreferences: {
      ...LOCKED_DOWN_WEB_PREFERENCES,
      preload: preloadPath,
      devTools: false,
      // A hidden window's timers and GPU work are throttled unless this is off; training must not be.
      backgroundThrottling: false,
    },
  };
}

/** The compute window may be at its page and nowhere else (it never navigates). */
export function isComputeNavigationAllowed(url: string): boolean {
  return url === COMPUTE_URL;
}

/** No permission at all (camera, microphone, notifications, ...): WebGPU needs none. */
export function isComputePermissionAllowed(): boolean {
  return false;
}

/** The file app://compute/<path> names, or null: only COMPUTE_FILES, by exact name. */
export function computeFile(pathname: string): string | null {
  const name = pathname.replace(/^\//, '');
  return COMPUTE_FILES.includes(name) ? name : null;
}

/** A message on COMPUTE_PORT_CHANNEL is the port only when it comes from main with exactly one port. */
export function isPortHandover(channel: string, ports: readonly unknown[]): boolean {
  return channel === COMPUTE_PORT_CHANNEL && ports.length === 1;
}

/**
 * Chromium switches main appends before 'ready' so that the compute window can offer WebGPU: on
 * Linux Chromium keeps WebGPU behind --enable-unsafe-webgpu and needs Vulkan for it (as the headless
 * browser's flags, ml/browser/host.ts). The app's windows load only its own pages (app://), never
 * remote content, and the renderers stay sandboxed. Elsewhere WebGPU is on by default: none.
 */
export function computeSwitches(platform: NodeJS.Platform): [name: string, value?: string][] {
  return platform === 'linux' ? [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']] : [];
}
