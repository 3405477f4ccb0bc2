// Packaging of the desktop app with electron-builder (`npm run dist`, which passes
// `--config electron.config.ts`: builds for the platform it runs on; electron-builder downloads
// Electron and its packaging tools on first use, so it needs the network; it reads this file
// through jiti). test/electron/builder-config.test.ts checks it against electron-builder's own JSON
// schema and holds the fields below to what the app needs.
//
// What goes in: the Electron shell (out/electron, from scripts/build-electron.ts: main, the
// window's preload and the compute window's preload), the engine and the ML code compiled by tsc
// (dist/main, dist/common, dist/ml), the renderer built by Vite (dist/renderer), the compute page
// (dist/browser, from scripts/build-browser.ts: WebGPU/WebGL training in a hidden window), the
// icon, and the production dependencies (electron-builder adds those itself). The demo project
// ships beside the asar (extraResources), where the engine copies it from with plain file-system
// calls; main passes its path to the engine (--demo-assets).
//
// Signing and notarisation come from the environment, never from this file:
//   macOS signing     CSC_LINK (a .p12, path or base64) and CSC_KEY_PASSWORD, or an identity in the
//                     keychain; without one the app is left unsigned (forceCodeSigning: false).
//   macOS notarising  APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID (or APPLE_API_KEY,
//                     APPLE_API_KEY_ID and APPLE_API_ISSUER); electron-builder notarises only when
//                     they are set and skips it, with a note, when they are not.
//   Windows signing   WIN_CSC_LINK and WIN_CSC_KEY_PASSWORD (or CSC_LINK / CSC_KEY_PASSWORD).
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'org.vaestudio.app',
  productName: 'VAE Studio',
  copyright: 'Copyright © VAE Studio contributors',
  directories: { output: 'out/release', buildResources: 'build' },
  // The packaged package.json points at the bundled main process (as the repository's does).
  extraMetadata: { main: 'out/electron/main.cjs' },
  files: [
    'package.json',
    'out/electron/*.cjs',
    'dist/main/**/*.js',
    'dist/common/**/*.js',
    'dist/ml/**/*.js',
    'dist/renderer/**',
    'dist/browser/compute.html',
    'dist/browser/compute-page.js',
    '!dist/main/electron/**',
    '!**/*.map',
    'assets/icon.png',
  ],
  extraResources: [{ from: 'assets/demo', to: 'assets/demo' }],
  asar: true,
  // Native code and WebAssembly are loaded from real files: tfjs-node's addon and libtensorflow
  // (dlopen cannot read inside an asar), and the wasm binaries of the TensorFlow.js wasm backend
  // and of PFFFT.
  asarUnpack: [
    'node_modules/@tensorflow/tfjs-node*/**',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    'node_modules/@echogarden/pffft-wasm/dist/**/*.wasm',
  ],
  // tfjs-node and tfjs-node-gpu are N-API addons that download a prebuilt libtensorflow; rebuilding
  // them against Electron's headers is neither needed (N-API is ABI-stable) nor possible offline.
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  forceCodeSigning: false,
  publish: null,
  // Electron's fuses (https://www.electronjs.org/docs/latest/tutorial/fuses): the packaged binary
  // cannot be turned into a plain Node.js, takes no --inspect or NODE_OPTIONS, loads only its own
  // asar and checks that asar's integrity. Flipping fuses edits the binary, which breaks its
  // signature: an unsigned (ad-hoc signed) macOS arm64 build is then killed at launch unless the
  // ad-hoc signature is made again (resetAdHocDarwinSignature; a real signature is applied after).
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
    resetAdHocDarwinSignature: true,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'AudioVideo',
    icon: 'assets/icon.png',
    executableName: 'vae-studio',
    synopsis: 'Make new sounds with variational autoencoders',
    maintainer: 'VAE Studio contributors',
  },
  deb: { packageCategory: 'sound' },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.music',
    icon: 'assets/icon.png',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
    extendInfo: {
      NSMicrophoneUsageDescription:
        'VAE Studio records from the microphone when you press Record, to add your own sounds to a project.',
    },
  },
  dmg: { title: 'VAE Studio ${version}' },
  win: { target: ['nsis'], icon: 'assets/icon.png' },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
};

/**
 * The build the packaged smoke spec (test/e2e/packaged.electron.spec.ts) makes when
 * VAE_STUDIO_SMOKE_BUILD=1: this configuration, but into out/release-smoke and with the one fuse
 * Playwright needs to drive the app (its _electron.launch passes --inspect=0; with
 * enableNodeCliInspectArguments off the launch times out). Never shipped.
 */
export function configFor(env: NodeJS.ProcessEnv): Configuration {
  if (env.VAE_STUDIO_SMOKE_BUILD !== '1') return config;
  return {
    ...config,
    directories: { ...config.directories, output: 'out/release-smoke' },
    electronFuses: { ...config.electronFuses!, enableNodeCliInspectArguments: true },
  };
}

export default configFor(process.env);
