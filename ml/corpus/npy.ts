// NumPy .npy files (format 1.0), float32 little-endian, C order: the header NumPy's np.load reads,
// memory-mapped (mmap_mode='r') or not. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import { closeSync, openSync, readSync } from 'node:fs';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The header of a float32 array of `shape`, padded so the data starts on a 64-byte boundary. */
export function npyHeader(shape: number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const fixed = MAGIC.length + 2 + 2;
  const total = Math.ceil((fixed + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - fixed - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0;
  out[8] = dict.length & 0xff;
  out[9] = dict.length >> 8;
  for (let i = 0; i < dict.length; i++) out[fixed + i] = dict.charCodeAt(i);
  return out;
}

/** A float32 .npy file's shape and where its data starts; throws naming the file when it is not one. */
export function readNpyHeader(path: string): { shape: number[]; offset: number } {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(10);
    if (readSync(fd, head, 0, 10, 0) !== 10 || MAGIC.some((b, i) => head[i] !== b))
      throw new Error(`${path}: not a NumPy .npy file`);
    const major = head[6];
    let length: number;
    let start: number;
    if (major === 1) {
      length = head[8] | (head[9] << 8);
      start = 10;
    } else {
      const more = new Uint8Array(12);
      readSync(fd, more, 0, 12, 0);
      length = more[8] | (more[9] << 8) | (more[10] << 16) | (more[11] << 24);
      start = 12;
    }
    const dictBytes = new Uint8Array(length);
    readSync(fd, dictBytes, 0, length, start);
    const dict = Buffer.from(dictBytes).toString('latin1');
    if (!/'descr':\s*'<f4'/.test(dict))
      throw new Error(`${path}: not float32 little-endian (${dict.trim()})`);
    if (/'fortran_order':\s*True/.test(dict)) throw new Error(`${path}: in Fortran order, not C order`);
    const shape = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
    if (shape === undefined) throw new Error(`${path}: no shape in its header`);
    return {
      shape: shape
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number),
      offset: start + length,
    };
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole float32 .npy file (small ones: latents, decoded frames). */
export function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const { shape, offset } = readNpyHeader(path);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const fd = openSync(path, 'r');
  try {
    const bytes = new Uint8Array(data.buffer);
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, bytes.length - done, offset + done);
      if (got === 0) throw new Error(`${path}: ends early`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  return { shape, data };
}

/** Reads rows [from, from + count) of a 2-D float32 .npy file (of `columns` columns) into `out`. */
export function readNpyRows(
  path: string,
  header: { offset: number },
  columns: number,
  from: number,
  count: number,
  out: Float32Array,
): void {
  const bytes = new Uint8Array(out.buffer, out.byteOffset, count * columns * 4);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, bytes.length - done, header.offset + from * columns * 4 + done);
      if (got === 0) throw new Error(`${path}: ends early`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
}
