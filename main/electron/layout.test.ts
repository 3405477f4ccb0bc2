import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appLayout } from './layout.js';

describe('appLayout', () => {
  it('in development: the repository, and the engine finds the demo itself', () => {
    const layout = appLayout('/repo', null);
    expect(layout).toEqual({
      rendererDir: join('/repo', 'dist', 'renderer'),
      preload: join('/repo', 'out', 'electron', 'preload.cjs'),
      engineEntry: join('/repo', 'dist', 'main', 'engine', 'process-entry.js'),
      engineArgs: [],
      icon: join('/repo', 'assets', 'icon.png'),
    });
  });

  it('packaged: code in app.asar, the demo in resources/ (electron-builder.yml extraResources)', () => {
    const layout = appLayout('/opt/VAE Studio/resources/app.asar', '/opt/VAE Studio/resources');
    expect(layout.engineEntry).toBe(
      join('/opt/VAE Studio/resources/app.asar', 'dist', 'main', 'engine', 'process-entry.js'),
    );
    expect(layout.engineArgs).toEqual(['--demo-assets', join('/opt/VAE Studio/resources', 'assets', 'demo')]);
  });
});
