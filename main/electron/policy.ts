// The security decisions of the Electron shell, as pure functions, so unit tests can hold them to
// Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security) without
// an Electron binary. main.ts applies them; nothing here runs Electron code (the imports are
// type-only and are erased).
//
// What is trusted: exactly one origin, app://studio, which main.ts serves from the built renderer
// (dist/renderer) through a privileged standard scheme. Everything else — other schemes, other
// hosts, file: URLs, dropped files that try to navigate — is refused.
import type { BrowserWindowConstructorOptions } from 'electron';
import type { EngineGrantMessage, GrantPurpose } from '../engine/process-entry-protocol.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page the window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The Content-Security-Policy of every page and response in the app's session: no remote content,
 * no inline or eval'd script, no plugins, no framing. Styles allow 'unsafe-inline' because Svelte
 * writes inline style attributes and transition <style> elements. The engine is reached over a
 * MessagePort, which needs no connect-src. The renderer's index.html carries a looser meta tag
 * (it also allows ws: for `vae-studio serve`); where both apply, a browser enforces both, so under
 * Electron this header is what counts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers every response in the app's session gets (Content-Security-Policy among them). COOP and
 * COEP make the window cross-origin isolated (it loads nothing from elsewhere), so live audition
 * shares its ring with the AudioWorklet through a SharedArrayBuffer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Response headers with ours in place of any the response brought (compared without regard to
 * case, so a response cannot slip in a weaker CSP under another spelling).
 */
export function withSecurityHeaders(
  headers: Record<string, string | string[]> | undefined,
): Record<string, string | string[]> {
  const ours = new Set(Object.keys(SECURITY_HEADERS).map((name) => name.toLowerCase()));
  const kept = Object.entries(headers ?? {}).filter(([name]) => !ours.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...SECURITY_HEADERS };
}

function parse(url: string | null | undefined): URL | null {
  if (typeof url !== 'string' || url === '') return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for the app's own pages (and its origin, as permission checks give it): app://studio/... */
export function isAppUrl(url: string | null | undefined): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host === APP_HOST &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * Hosts that links in the app may open in the user's browser. Each is here for a link the UI
 * shows; add a host only together with the link that needs it.
 *   - www.tensorflow.org: the CUDA and cuDNN set-up guide the backend panel points to when the
 *     GPU backend is missing (DESIGN.md, "Backends").
 *   - github.com: the TensorFlow.js for Node pages (tfjs-node, tfjs-node-gpu) the same panel links.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['www.tensorflow.org', 'github.com'];

/** True only for plain https URLs to an allow-listed host: no credentials, no odd port. */
export function isVettedExternalUrl(url: string | null | undefined): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    EXTERNAL_HOSTS.includes(parsed.hostname)
  );
}

/**
 * Whether an IPC message may be acted on: it must come from the app's own page, in the main frame
 * of the app's window (a subframe, even of the app's origin, is never trusted).
 */
export function isTrustedSender(sender: { url: string; isMainFrame: boolean } | null | undefined): boolean {
  return sender != null && sender.isMainFrame && isAppUrl(sender.url);
}

/** Navigation away from the app's pages (a link, a dropped file, a redirect) is refused. */
export function isNavigationAllowed(url: string): boolean {
  return isAppUrl(url);
}

export interface PermissionQuery {
  /** Electron's permission name ('media', 'geolocation', ...). */
  permission: string;
  /** The requesting page's URL or origin. */
  url: string | null | undefined;
  /** 'media' requests: which devices ('audio' is the microphone, 'video' the camera). */
  mediaTypes?: readonly string[];
  isMainFrame?: boolean;
}

/**
 * The two permissions the app grants, to its own page's main frame: the microphone (media, audio
 * only) for recording and live input, and Web MIDI ('midi', for MIDI control; never 'midiSysex',
 * which would let a page rewrite a device's firmware). Camera, screen capture, notifications,
 * geolocation and the rest: no.
 */
export function isPermissionAllowed(query: PermissionQuery): boolean {
  if (query.permission === 'midi') return query.isMainFrame !== false && isAppUrl(query.url);
  if (query.permission !== 'media') return false;
  if (query.isMainFrame === false) return false;
  if (!isAppUrl(query.url)) return false;
  const types = query.mediaTypes ?? [];
  return types.length > 0 && types.every((type) => type === 'audio');
}

export interface WindowOptionsConfig {
  /** DevTools are available in development only. */
  devTools?: boolean;
}

/**
 * What every window of the app's renderers is held to: sandboxed and context-isolated, no Node in
 * any frame or worker, web security on, nothing experimental, no <webview>, no navigation by a drop.
 */
export const LOCKED_DOWN_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const;

/** The main window: a sandboxed, context-isolated renderer with only the preload's bridge. */
export function windowOptions(
  preloadPath: string,
  config: WindowOptionsConfig = {},
): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'VAE Studio',
    // Shown on 'ready-to-show', so the window never flashes an empty frame.
    show: false,
    backgroundColor: '#15171c',
    webPreferences: {
      ...LOCKED_DOWN_WEB_PREFERENCES,
      preload: preloadPath,
      safeDialogs: true,
      devTools: config.devTools ?? false,
    },
  };
}

/** An absolute path, POSIX (/...) or Windows (C:\... or \\server\...), as folder dialogs return. */
function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/**
 * What main makes of a native folder dialog's answer: the folder for the page (null when cancelled
 * or when the answer is not one absolute path) and the grant main hands the engine for it, so the
 * engine honours that folder — that one only, for `purpose` only (main/engine/grants.ts). A folder
 * the page names that no dialog of main's produced gets no grant.
 */
export function folderChoice(
  result: { canceled: boolean; filePaths: readonly string[] },
  purpose: GrantPurpose,
): { folder: string; grant: EngineGrantMessage } | null {
  const folder = result.canceled ? undefined : result.filePaths[0];
  if (typeof folder !== 'string' || !isAbsolutePath(folder) || folder.includes('\0')) return null;
  // ENGINE_GRANT_MESSAGE, spelt out so this file imports types only (the type checks the spelling).
  const type: EngineGrantMessage['type'] = 'vae-studio:grant';
  return { folder, grant: { type, path: folder, purpose } };
}

/**
 * The grants main keeps, to hand a restarted engine again (its grants died with it): `grant` added
 * as the newest, an earlier grant of the same folder and purpose dropped, at most `max` (main
 * passes MAX_GRANTS, as many as the engine keeps).
 */
export function rememberGrant(
  grants: readonly EngineGrantMessage[],
  grant: EngineGrantMessage,
  max: number,
): EngineGrantMessage[] {
  const kept = grants.filter((g) => !(g.path === grant.path && g.purpose === grant.purpose));
  return [...kept, grant].slice(-max);
}
