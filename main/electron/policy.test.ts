import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  folderChoice,
  isAppUrl,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedSender,
  isVettedExternalUrl,
  rememberGrant,
  SECURITY_HEADERS,
  windowOptions,
  withSecurityHeaders,
} from './policy.js';
import { grantMessage, isGrantMessage, MAX_GRANTS } from '../engine/process-entry-protocol.js';

describe('windowOptions', () => {
  const options = windowOptions('/app/out/electron/preload.cjs');
  const prefs = options.webPreferences!;

  it('isolates and sandboxes the renderer, with no Node and full web security', () => {
    expect(prefs).toMatchObject({
      preload: '/app/out/electron/preload.cjs',
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
    });
  });

  it('sets nothing that would weaken the checklist', () => {
    for (const key of ['enableBlinkFeatures', 'additionalArguments', 'partition', 'disableBlinkFeatures']) {
      expect(prefs).not.toHaveProperty(key);
    }
  });

  it('offers DevTools only when asked (development)', () => {
    expect(prefs.devTools).toBe(false);
    expect(windowOptions('/p', { devTools: true }).webPreferences!.devTools).toBe(true);
  });

  it('starts hidden, to show once ready', () => {
    expect(options.show).toBe(false);
  });
});

describe('isAppUrl', () => {
  it("accepts the app's own pages and origin", () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl(APP_ORIGIN)).toBe(true);
    expect(isAppUrl('app://studio/assets/index.js?x=1#y')).toBe(true);
  });

  it.each([
    'app://studio.evil.example/',
    'app://evil/studio',
    'app://user@studio/',
    'app://user:pw@studio/',
    'file:///app/dist/renderer/index.html',
    'http://studio/',
    'https://studio/',
    'http://127.0.0.1:5173/',
    'javascript:alert(1)',
    'data:text/html,<p>hi</p>',
    'about:blank',
    'not a url',
    '',
  ])('refuses %s', (url) => {
    expect(isAppUrl(url)).toBe(false);
  });

  it('refuses nothing-at-all', () => {
    expect(isAppUrl(undefined)).toBe(false);
    expect(isAppUrl(null)).toBe(false);
  });
});

describe('isVettedExternalUrl', () => {
  it('accepts https links to allow-listed hosts', () => {
    expect(isVettedExternalUrl('https://www.tensorflow.org/install/pip')).toBe(true);
    expect(isVettedExternalUrl('https://github.com/tensorflow/tfjs/tree/master/tfjs-node')).toBe(true);
  });

  it.each([
    'http://www.tensorflow.org/',
    'https://tensorflow.org.evil.example/',
    'https://evil.example/?u=https://github.com',
    'https://user@github.com/',
    'https://github.com:8443/',
    'https://gist.github.com/',
    'file:///etc/passwd',
    'smb://github.com/share',
    'ms-msdt:/id PCWDiagnostic',
    'javascript:alert(1)',
    'app://studio/',
    '',
  ])('refuses %s', (url) => {
    expect(isVettedExternalUrl(url)).toBe(false);
  });

  it('compares host names as the URL parser normalises them', () => {
    expect(isVettedExternalUrl('https://GITHUB.com/x')).toBe(true);
  });
});

describe('isTrustedSender', () => {
  it("trusts the main frame of the app's own page only", () => {
    expect(isTrustedSender({ url: APP_ENTRY_URL, isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: APP_ENTRY_URL, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', isMainFrame: true })).toBe(false);
    expect(isTrustedSender({ url: 'file:///x.html', isMainFrame: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });
});

describe('isNavigationAllowed', () => {
  it("allows the app's pages and nothing else (a dropped file tries file:)", () => {
    expect(isNavigationAllowed('app://studio/index.html')).toBe(true);
    expect(isNavigationAllowed('file:///home/me/sound.wav')).toBe(false);
    expect(isNavigationAllowed('https://github.com/')).toBe(false);
  });
});

describe('isPermissionAllowed', () => {
  const mic = { permission: 'media', url: APP_ENTRY_URL, mediaTypes: ['audio'], isMainFrame: true };

  it("grants the microphone to the app's main frame", () => {
    expect(isPermissionAllowed(mic)).toBe(true);
    // Permission checks name the origin rather than the page.
    expect(isPermissionAllowed({ ...mic, url: APP_ORIGIN })).toBe(true);
  });

  it('refuses the microphone to anyone else', () => {
    expect(isPermissionAllowed({ ...mic, url: 'https://evil.example/' })).toBe(false);
    expect(isPermissionAllowed({ ...mic, url: 'file:///index.html' })).toBe(false);
    expect(isPermissionAllowed({ ...mic, url: undefined })).toBe(false);
    expect(isPermissionAllowed({ ...mic, isMainFrame: false })).toBe(false);
  });

  it('refuses the camera, and media requests that do not say what they want', () => {
    expect(isPermissionAllowed({ ...mic, mediaTypes: ['video'] })).toBe(false);
    expect(isPermissionAllowed({ ...mic, mediaTypes: ['audio', 'video'] })).toBe(false);
    expect(isPermissionAllowed({ ...mic, mediaTypes: [] })).toBe(false);
    expect(isPermissionAllowed({ ...mic, mediaTypes: ['unknown'] })).toBe(false);
    expect(isPermissionAllowed({ ...mic, mediaTypes: undefined })).toBe(false);
  });

  it("grants Web MIDI (without system exclusive) to the app's main frame only", () => {
    const midi = { permission: 'midi', url: APP_ENTRY_URL, isMainFrame: true };
    expect(isPermissionAllowed(midi)).toBe(true);
    expect(isPermissionAllowed({ ...midi, url: APP_ORIGIN })).toBe(true);
    expect(isPermissionAllowed({ ...midi, url: 'https://evil.example/' })).toBe(false);
    expect(isPermissionAllowed({ ...midi, url: undefined })).toBe(false);
    expect(isPermissionAllowed({ ...midi, isMainFrame: false })).toBe(false);
    expect(isPermissionAllowed({ ...midi, permission: 'midiSysex' })).toBe(false);
  });

  it.each([
    'geolocation',
    'notifications',
    'display-capture',
    'openExternal',
    'clipboard-read',
    'midiSysex',
    'hid',
  ])('refuses %s, even to the app', (permission) => {
    expect(isPermissionAllowed({ ...mic, permission })).toBe(false);
  });
});

describe('the Content-Security-Policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it('denies by default and allows script only from the app itself', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it("passes Google's CSP Evaluator (as electronegativity runs it) with only the 'self' note", () => {
    // The same evaluator electronegativity's CSP check uses, on the header it cannot find in the
    // bundle (it looks for a literal in a responseHeaders object; ours comes from policy.ts).
    const csp = createRequire(import.meta.url)('@doyensec/csp-evaluator') as CspEvaluatorModule;
    const findings = new csp.CspEvaluator(
      new csp.CspParser(CONTENT_SECURITY_POLICY).csp,
      csp.Version.CSP3,
    ).evaluate();
    const serious = findings.filter((f) => f.severity < csp.severities.MEDIUM_MAYBE);
    expect(serious).toEqual([]);
    // Kept on purpose: "'self' can be problematic if you host JSONP, Angular or user uploaded
    // files". 'self' is app://studio, which serves only the built renderer's own files.
    for (const f of findings)
      expect(f).toMatchObject({ directive: 'script-src', severity: csp.severities.MEDIUM_MAYBE });
  });
});

interface CspEvaluatorModule {
  CspParser: new (policy: string) => { csp: unknown };
  CspEvaluator: new (
    csp: unknown,
    version: unknown,
  ) => {
    evaluate(): { severity: number; directive: string; description: string }[];
  };
  Version: { CSP3: unknown };
  severities: Record<'HIGH' | 'SYNTAX' | 'MEDIUM' | 'HIGH_MAYBE' | 'MEDIUM_MAYBE' | 'INFO', number>;
}

describe('withSecurityHeaders', () => {
  it('replaces whatever CSP a response brought, in any spelling, and keeps its other headers', () => {
    const headers = withSecurityHeaders({
      'content-security-policy': ['default-src *'],
      'CONTENT-SECURITY-POLICY': "script-src 'unsafe-eval'",
      'Content-Type': ['text/html'],
    });
    const csp = Object.entries(headers).filter(([name]) => name.toLowerCase() === 'content-security-policy');
    expect(csp).toEqual([['Content-Security-Policy', CONTENT_SECURITY_POLICY]]);
    expect(headers['Content-Type']).toEqual(['text/html']);
    expect(headers).toMatchObject(SECURITY_HEADERS);
  });

  it('adds the headers to a response that had none', () => {
    expect(withSecurityHeaders(undefined)).toEqual(SECURITY_HEADERS);
  });

  it('isolates the window across origins (COOP and COEP), so live audition can share memory with its worklet', () => {
    const headers = withSecurityHeaders({ 'cross-origin-embedder-policy': ['unsafe-none'] });
    expect(headers).toMatchObject({
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    expect(Object.keys(headers).filter((name) => /^cross-origin-embedder-policy$/i.test(name))).toHaveLength(
      1,
    );
  });
});

describe('policy.ts', () => {
  it('does not load Electron at run time (only a type import), so it runs in plain Node', () => {
    const source = readFileSync(new URL('./policy.ts', import.meta.url), 'utf8');
    const imports = source.match(/^import .*$/gm) ?? [];
    expect(imports.every((line) => line.startsWith('import type '))).toBe(true);
  });
});

// The end-to-end path (main's dialog -> a grant on the engine's parentPort -> the engine honours
// that folder) needs Electron, which cannot run here: it is untested. These hold the decisions.
describe('folderChoice', () => {
  it("grants the folder a dialog returned, for the dialog's purpose only", () => {
    const choice = folderChoice({ canceled: false, filePaths: ['/home/me/Exports'] }, 'export');
    expect(choice).toEqual({
      folder: '/home/me/Exports',
      grant: { type: 'vae-studio:grant', path: '/home/me/Exports', purpose: 'export' },
    });
    expect(isGrantMessage(choice!.grant)).toBe(true);
    expect(folderChoice({ canceled: false, filePaths: ['/p'] }, 'project')!.grant.purpose).toBe('project');
  });

  it('grants nothing for a cancelled dialog, an empty answer or a path that is not absolute', () => {
    expect(folderChoice({ canceled: true, filePaths: ['/home/me/Exports'] }, 'export')).toBeNull();
    expect(folderChoice({ canceled: false, filePaths: [] }, 'export')).toBeNull();
    expect(folderChoice({ canceled: false, filePaths: [''] }, 'export')).toBeNull();
    expect(folderChoice({ canceled: false, filePaths: ['relative/dir'] }, 'export')).toBeNull();
    expect(folderChoice({ canceled: false, filePaths: ['/a\0b'] }, 'export')).toBeNull();
    expect(folderChoice({ canceled: false, filePaths: ['C:relative'] }, 'export')).toBeNull();
    // Windows answers are absolute too.
    expect(folderChoice({ canceled: false, filePaths: ['C:\\Users\\me'] }, 'export')?.folder).toBe(
      'C:\\Users\\me',
    );
    expect(folderChoice({ canceled: false, filePaths: ['\\\\server\\share'] }, 'export')).not.toBeNull();
  });
});

describe('rememberGrant', () => {
  it('keeps each folder and purpose once, newest last, at most MAX_GRANTS', () => {
    let grants = rememberGrant([], grantMessage('/a', 'export'), MAX_GRANTS);
    grants = rememberGrant(grants, grantMessage('/a', 'project'), MAX_GRANTS);
    grants = rememberGrant(grants, grantMessage('/b', 'export'), MAX_GRANTS);
    grants = rememberGrant(grants, grantMessage('/a', 'export'), MAX_GRANTS);
    expect(grants.map((g) => `${g.purpose} ${g.path}`)).toEqual(['project /a', 'export /b', 'export /a']);
    for (let i = 0; i < MAX_GRANTS + 5; i++)
      grants = rememberGrant(grants, grantMessage(`/f${i}`, 'export'), MAX_GRANTS);
    expect(grants).toHaveLength(MAX_GRANTS);
    expect(grants.at(-1)!.path).toBe(`/f${MAX_GRANTS + 4}`);
    expect(grants[0].path).toBe('/f5');
  });
});
