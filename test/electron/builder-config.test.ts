// electron.config.ts against electron-builder's own JSON schema (app-builder-lib's scheme.json,
// the one electron-builder validates with), and the fields the app depends on.
import { Ajv } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import electronConfig, { configFor } from '../../electron.config.js';
import { packageRoot } from '../../main/package-info.js';

const root = packageRoot();
const require = createRequire(import.meta.url);
// A plain-data copy, as electron-builder validates it.
const config = JSON.parse(JSON.stringify(electronConfig)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('electron.config.ts', () => {
  it('is the configuration `npm run dist` passes, and the only one', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      build?: unknown;
    };
    expect(pkg.scripts.dist).toContain('--config electron.config.ts');
    expect(pkg.build).toBeUndefined();
    for (const other of ['electron-builder.yml', 'electron-builder.yaml', 'electron-builder.json'])
      expect(existsSync(join(root, other))).toBe(false);
  });

  it("is valid against electron-builder's schema", () => {
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(config);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
    // ...and the schema is no rubber stamp: a misspelt key or a wrong type is caught.
    expect(validate({ ...config, appID: 'x' })).toBe(false);
    expect(validate({ ...config, mac: { ...config.mac, hardenedRuntime: 'yes' } })).toBe(false);
  });

  it('names the app', () => {
    expect(config.appId).toBe('org.vaestudio.app');
    expect(config.productName).toBe('VAE Studio');
    expect(config.extraMetadata.main).toBe('out/electron/main.cjs');
  });

  it('packs the shell, the engine, the renderer and the icon, and the demo beside the asar', () => {
    expect(config.files).toEqual(
      expect.arrayContaining([
        'out/electron/*.cjs',
        'dist/main/**/*.js',
        'dist/common/**/*.js',
        'dist/ml/**/*.js',
      ]),
    );
    expect(config.files).toContain('dist/renderer/**');
    // The compute page of the hidden compute window (WebGPU / WebGL training).
    expect(config.files).toEqual(
      expect.arrayContaining(['dist/browser/compute.html', 'dist/browser/compute-page.js']),
    );
    expect(config.files).toContain('assets/icon.png');
    expect(config.extraResources).toEqual([{ from: 'assets/demo', to: 'assets/demo' }]);
    // main/electron/layout.ts looks for these paths.
    expect(existsSync(join(root, 'assets', 'demo'))).toBe(true);
  });

  it('unpacks the native TensorFlow.js modules and the wasm files, and rebuilds nothing', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining([
        'node_modules/@tensorflow/tfjs-node*/**',
        'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
        'node_modules/@echogarden/pffft-wasm/dist/**/*.wasm',
      ]),
    );
    expect(config.npmRebuild).toBe(false);
    expect(config.nodeGypRebuild).toBe(false);
    expect(config.buildDependenciesFromSource).toBe(false);
  });

  it('builds AppImage and deb, dmg, and nsis, with the icon from assets/', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    for (const platform of ['linux', 'mac', 'win']) expect(config[platform].icon).toBe('assets/icon.png');
    expect(existsSync(join(root, 'assets', 'icon.png'))).toBe(true);
  });

  it('macOS: hardened runtime, the microphone entitlement and its usage description', () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.mac.extendInfo.NSMicrophoneUsageDescription).toMatch(/microphone/);
    expect(config.mac.entitlements).toBe('build/entitlements.mac.plist');
    expect(config.mac.entitlementsInherit).toBe('build/entitlements.mac.plist');
    const plist = readFileSync(join(root, config.mac.entitlements), 'utf8');
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>\s*<true\/>/g)].map((m) => m[1]);
    expect(keys.sort()).toEqual([
      'com.apple.security.cs.allow-jit',
      // Native addons (tfjs-node) load under the hardened runtime.
      'com.apple.security.cs.disable-library-validation',
      'com.apple.security.device.audio-input',
    ]);
  });

  it('signs and notarises only from the environment', () => {
    // electron-builder notarises when APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID are
    // set, unless `notarize: false`; credentials never live in this file.
    expect(config.mac).not.toHaveProperty('notarize');
    expect(config.forceCodeSigning).toBe(false);
    const text = readFileSync(join(root, 'electron.config.ts'), 'utf8');
    for (const name of ['CSC_LINK', 'APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID']) {
      expect(text).toContain(name);
    }
    for (const key of ['cscLink', 'cscKeyPassword', 'identity']) {
      expect(config).not.toHaveProperty(key);
      expect(config.mac).not.toHaveProperty(key);
      expect(config.win).not.toHaveProperty(key);
    }
  });

  it("hardens Electron's fuses", () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      // Flipped fuses break the ad-hoc signature: an unsigned arm64 build is killed at launch without this.
      resetAdHocDarwinSignature: true,
    });
  });

  it('makes the smoke spec its own build: another folder, and only the fuse Playwright needs', () => {
    expect(configFor({})).toBe(electronConfig);
    const smoke = JSON.parse(JSON.stringify(configFor({ VAE_STUDIO_SMOKE_BUILD: '1' }))) as typeof config;
    expect(smoke.directories.output).toBe('out/release-smoke');
    expect(smoke.electronFuses).toEqual({ ...config.electronFuses, enableNodeCliInspectArguments: true });
    const { directories, electronFuses, ...rest } = smoke;
    const { directories: d0, electronFuses: f0, ...release } = config;
    expect(rest).toEqual(release);
    expect(directories.buildResources).toBe(d0.buildResources);
    expect(f0.enableNodeCliInspectArguments).toBe(false);
    expect(electronFuses.runAsNode).toBe(false);
  });
});
