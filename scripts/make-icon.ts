// Draws the app icon, assets/icon.png (512×512 RGBA), from code: a rounded square in a diagonal
// indigo-to-teal gradient, a faint Gaussian cloud of latent points, and a white waveform whose
// envelope swells in the middle. electron-builder makes the macOS .icns and Windows .ico from it.
//
//   node dist/scripts/make-icon.js [OUT.png]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { packageRoot } from '../main/package-info.js';

type Rgb = [number, number, number];

/** A PNG file (8-bit RGBA, no interlace) from straight-alpha RGBA pixels, row by row. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  if (rgba.length !== width * height * 4)
    throw new RangeError(`expected ${width * height * 4} bytes, got ${rgba.length}`);
  const rows = new Uint8Array(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    // Filter type 0 (none) at the start of each row.
    rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, adaptive filters, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Coverage of a shape edge at signed distance d (negative inside), antialiased over one pixel. */
const coverage = (d: number) => Math.min(1, Math.max(0, 0.5 - d));

/** Paints `color` at alpha `a` over the pixel (straight alpha, "over"). */
function blend(px: Uint8Array, i: number, [r, g, b]: Rgb, a: number): void {
  if (a <= 0) return;
  const da = px[i + 3] / 255;
  const oa = a + da * (1 - a);
  px[i] = Math.round((r * a + px[i] * da * (1 - a)) / oa);
  px[i + 1] = Math.round((g * a + px[i + 1] * da * (1 - a)) / oa);
  px[i + 2] = Math.round((b * a + px[i + 2] * da * (1 - a)) / oa);
  px[i + 3] = Math.round(oa * 255);
}

/** A small seeded generator (mulberry32), so the icon is the same on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function drawIcon(size = 512): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  const s = size / 512;
  const inset = 24 * s;
  const radius = 104 * s;
  const from: Rgb = [67, 46, 150];
  const to: Rgb = [12, 128, 124];

  // The rounded square and its gradient.
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const qx = Math.abs(x + 0.5 - size / 2) - (size / 2 - inset - radius);
      const qy = Math.abs(y + 0.5 - size / 2) - (size / 2 - inset - radius);
      const d = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
      const t = (x + y) / (2 * size);
      const color = from.map((c, k) => c + (to[k] - c) * t) as Rgb;
      blend(px, (y * size + x) * 4, color, coverage(d));
    }
  }

  // The latent cloud: Gaussian points (Box-Muller), faint.
  const rand = random(16);
  for (let n = 0; n < 70; n++) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * 62 * s;
    const angle = 2 * Math.PI * rand();
    const cx = size / 2 + r * Math.cos(angle) * 1.5;
    const cy = size / 2 + r * Math.sin(angle) * 0.9;
    const dot = (3 + 5 * rand()) * s;
    for (let y = Math.floor(cy - dot - 1); y <= Math.ceil(cy + dot + 1); y++) {
      for (let x = Math.floor(cx - dot - 1); x <= Math.ceil(cx + dot + 1); x++) {
        if (x < 0 || y < 0 || x >= size || y >= size || px[(y * size + x) * 4 + 3] === 0) continue;
        blend(
          px,
          (y * size + x) * 4,
          [255, 255, 255],
          0.22 * coverage(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - dot),
        );
      }
    }
  }

  // The waveform: a chirp under a Gaussian envelope, stroked by its distance to the pixel.
  const left = 84 * s;
  const right = size - 84 * s;
  const wave = (x: number) => {
    const u = (x - left) / (right - left);
    const envelope = Math.exp(-((u - 0.5) ** 2) / 0.045);
    return size / 2 - 118 * s * envelope * Math.sin(2 * Math.PI * (2.2 * u + 2.4 * u * u));
  };
  const half = 9 * s;
  for (let x = Math.floor(left - half); x <= Math.ceil(right + half); x++) {
    for (let y = 0; y < size; y++) {
      // Distance to the curve, to within a fraction of a pixel: the nearest of its samples nearby.
      let d = Infinity;
      for (let k = -24; k <= 24; k++) {
        const sx = Math.min(right, Math.max(left, x + 0.5 + k * 0.5 * s));
        d = Math.min(d, Math.hypot(x + 0.5 - sx, y + 0.5 - wave(sx)));
      }
      if (d < half + 1) blend(px, (y * size + x) * 4, [255, 255, 255], 0.96 * coverage(d - half));
    }
  }
  return px;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? join(packageRoot(), 'assets', 'icon.png');
  writeFileSync(out, encodePng(512, 512, drawIcon(512)));
  console.error(`wrote ${out}`);
}
