// assets/icon.png is what scripts/make-icon.ts draws, and a PNG electron-builder can take (it needs
// at least 512×512 to make the macOS icon set).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/package-info.js';
import { drawIcon, encodePng } from '../../scripts/make-icon.js';

/** The chunks of a PNG file, CRCs unchecked. */
function chunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const buffer = Buffer.from(png);
  expect([...buffer.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out = [];
  for (let at = 8; at < buffer.length;) {
    const length = buffer.readUInt32BE(at);
    out.push({
      type: buffer.toString('latin1', at + 4, at + 8),
      data: buffer.subarray(at + 8, at + 8 + length),
    });
    at += 12 + length;
  }
  return out;
}

describe('the app icon', () => {
  it('encodePng writes pixels that read back as they were', () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) % 256);
    const parts = chunks(encodePng(3, 2, rgba));
    expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const rows = inflateSync(parts[1].data);
    expect(rows.length).toBe(2 * (1 + 3 * 4));
    expect([...rows.subarray(1, 13), ...rows.subarray(14, 26)]).toEqual([...rgba]);
  });

  it('assets/icon.png is a 512×512 RGBA PNG, as scripts/make-icon.ts draws it', () => {
    const file = readFileSync(join(packageRoot(), 'assets', 'icon.png'));
    const header = chunks(file)[0];
    expect(header.type).toBe('IHDR');
    expect(header.data.readUInt32BE(0)).toBe(512);
    expect(header.data.readUInt32BE(4)).toBe(512);
    expect([header.data[8], header.data[9]]).toEqual([8, 6]);
    // Pixels, not bytes: zlib's output and the last bit of Math.sin may differ between Node versions.
    const rows = inflateSync(
      Buffer.concat(
        chunks(file)
          .filter((c) => c.type === 'IDAT')
          .map((c) => c.data),
      ),
    );
    const drawn = drawIcon(512);
    let worst = 0;
    for (let y = 0; y < 512; y++) {
      expect(rows[y * 2049]).toBe(0); // filter type none
      for (let i = 0; i < 2048; i++)
        worst = Math.max(worst, Math.abs(rows[y * 2049 + 1 + i] - drawn[y * 2048 + i]));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
});
