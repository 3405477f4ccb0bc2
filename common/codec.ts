// The WebSocket wire format: one binary frame per message, keeping what structured clone keeps
// for our plain data (typed arrays, NaN and ±Infinity, undefined) without copying audio through
// JSON. MessagePorts and child-process IPC need none of this: they structured-clone. Text frames
// are not part of the format (the transport refuses them unread).
//
//   offset 0   4 bytes   magic "VSB1"
//   offset 4   uint32 LE H, the header's length in bytes
//   offset 8   H bytes   the header: UTF-8 JSON {"m": message, "b": [[kind, offset, byteLength], ...]}
//   then       zero padding to a multiple of 8, where the blob area starts, and each typed
//              array's bytes (little-endian, as the platform stores them) at its offset in the
//              blob area, each offset a multiple of 8
//
// In the header's message, values JSON cannot hold are tagged objects with a "$t" key:
//   {"$t":"blob","i":N}   the typed array described by b[N]; kind is u8 i8 u16 i16 u32 i32 f32 f64
//   {"$t":"num","v":"NaN" | "Infinity" | "-Infinity"}
//   {"$t":"undef"}        undefined (kept as structured clone keeps it, key and all)
//   {"$t":"obj","v":{..}} an object of the message's own that has a "$t" key, so it is not misread
// Decoded typed arrays are views on the frame's buffer where alignment allows (no copy).
//
// This module imports nothing, so the browser's client uses it too.

export class CodecError extends Error {
  override readonly name = 'ProtocolError';
}

const MAGIC = [0x56, 0x53, 0x42, 0x31]; // "VSB1"
const PREFIX = 8;
const ALIGN = 8;
/** Deeper nesting than any of our messages has is refused rather than recursed into. */
export const MAX_DEPTH = 64;

type TypedArray =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

type TypedArrayConstructor = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const KINDS: Record<string, TypedArrayConstructor> = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
  f64: Float64Array,
};

// The platform's byte order is the wire's: every platform Node and the browsers run on is
// little-endian, and a big-endian one is refused rather than sent scrambled audio.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('the WebSocket codec needs a little-endian platform');
}

function kindOf(value: ArrayBufferView): string | null {
  // Buffer is a Uint8Array; Uint8ClampedArray, BigInt arrays and DataView are not sent.
  if (value instanceof Uint8Array) return 'u8';
  if (value instanceof Int8Array) return 'i8';
  if (value instanceof Uint16Array) return 'u16';
  if (value instanceof Int16Array) return 'i16';
  if (value instanceof Uint32Array) return 'u32';
  if (value instanceof Int32Array) return 'i32';
  if (value instanceof Float32Array) return 'f32';
  if (value instanceof Float64Array) return 'f64';
  return null;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Encodes one message as a binary frame. Throws CodecError for what cannot be sent. */
export function encodeMessage(message: unknown): Uint8Array {
  const blobs: { kind: string; bytes: Uint8Array }[] = [];

  const tag = (value: unknown, depth: number, path: string): unknown => {
    if (depth > MAX_DEPTH) throw new CodecError(`cannot encode ${path}: nested too deeply`);
    if (value === undefined) return { $t: 'undef' };
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      return Number.isFinite(value) ? value : { $t: 'num', v: String(value) };
    }
    if (typeof value !== 'object') throw new CodecError(`cannot encode ${path}: a ${typeof value}`);
    if (ArrayBuffer.isView(value)) {
      const kind = kindOf(value);
      if (!kind) throw new CodecError(`cannot encode ${path}: a ${value.constructor.name}`);
      blobs.push({ kind, bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) });
      return { $t: 'blob', i: blobs.length - 1 };
    }
    if (Array.isArray(value)) return value.map((v, i) => tag(v, depth + 1, `${path}[${i}]`));
    if (!isPlainObject(value)) {
      throw new CodecError(`cannot encode ${path}: a ${value.constructor?.name ?? 'object'}, not plain data`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = tag(v, depth + 1, `${path}.${k}`);
    return '$t' in value ? { $t: 'obj', v: out } : out;
  };

  const m = tag(message, 0, 'message');
  const table: [string, number, number][] = [];
  let end = 0;
  for (const blob of blobs) {
    table.push([blob.kind, end, blob.bytes.byteLength]);
    end = align(end + blob.bytes.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ m, b: table }));
  const start = align(PREFIX + header.byteLength);
  const frame = new Uint8Array(start + end);
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, header.byteLength, true);
  frame.set(header, PREFIX);
  table.forEach(([, offset], i) => frame.set(blobs[i].bytes, start + offset));
  return frame;
}

export interface DecodeLimits {
  /**
   * The largest header accepted, in bytes: a longer one is refused by its length field, before
   * it is decoded or parsed, so only the typed arrays in the blob area can make a message large.
   * Default: no limit (the engine's replies to its own client).
   */
  maxHeaderBytes?: number;
}

/** Decodes a binary frame from an untrusted peer. Throws CodecError saying what is wrong. */
export function decodeMessage(frame: ArrayBuffer | Uint8Array, limits: DecodeLimits = {}): unknown {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < PREFIX || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new CodecError('not a VAE Studio message (bad magic)');
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  const maxHeader = limits.maxHeaderBytes ?? Infinity;
  if (headerLength > maxHeader) {
    throw new CodecError(
      `message header too large (${headerLength} bytes; the limit is ${maxHeader}: only typed arrays may be large)`,
    );
  }
  if (headerLength > bytes.byteLength - PREFIX) {
    throw new CodecError(`truncated message: the header claims ${headerLength} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength));
  } catch {
    throw new CodecError('the message header is not UTF-8');
  }
  const header = parseJson(text);
  if (typeof header !== 'object' || header === null || !('m' in header) || !('b' in header)) {
    throw new CodecError('the message header has no "m" and "b"');
  }
  const table = (header as { b: unknown }).b;
  if (!Array.isArray(table)) throw new CodecError('the message header\'s "b" is not an array');
  const blobs = table.map((entry, i) => blobView(bytes, entry, i, align(PREFIX + headerLength)));
  return untag((header as { m: unknown }).m, blobs, 0);
}

function blobView(frame: Uint8Array, entry: unknown, index: number, areaStart: number): TypedArray {
  const bad = (why: string) => new CodecError(`blob ${index}: ${why}`);
  if (!Array.isArray(entry) || entry.length !== 3) throw bad('not [kind, offset, byteLength]');
  const [kind, offset, byteLength] = entry as unknown[];
  const Kind = typeof kind === 'string' && Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  if (!Kind) throw bad(`unknown kind ${JSON.stringify(kind)}`);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(byteLength)) throw bad('bad offset or length');
  const o = areaStart + (offset as number);
  const n = byteLength as number;
  if (o < areaStart || n < 0 || o + n > frame.byteLength) throw bad('outside the message');
  if (o % ALIGN !== 0) throw bad('misaligned');
  if (n % Kind.BYTES_PER_ELEMENT !== 0) throw bad(`${n} bytes is not a whole number of elements`);
  const at = frame.byteOffset + o;
  if (at % Kind.BYTES_PER_ELEMENT === 0 && frame.buffer instanceof ArrayBuffer) {
    return new Kind(frame.buffer, at, n / Kind.BYTES_PER_ELEMENT);
  }
  const copy = frame.slice(o, o + n);
  return new Kind(copy.buffer, 0, n / Kind.BYTES_PER_ELEMENT);
}

function untag(value: unknown, blobs: TypedArray[], depth: number): unknown {
  if (depth > MAX_DEPTH) throw new CodecError('the message is nested too deeply');
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => untag(v, blobs, depth + 1));
  const object = value as Record<string, unknown>;
  if (!Object.hasOwn(object, '$t')) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(object)) out[k] = untag(v, blobs, depth + 1);
    return out;
  }
  switch (object.$t) {
    case 'blob': {
      const i = object.i;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= blobs.length) {
        throw new CodecError(`a blob reference ${JSON.stringify(i)} that the header does not list`);
      }
      return blobs[i];
    }
    case 'num':
      if (object.v === 'NaN') return NaN;
      if (object.v === 'Infinity') return Infinity;
      if (object.v === '-Infinity') return -Infinity;
      throw new CodecError(`a number tag with value ${JSON.stringify(object.v)}`);
    case 'undef':
      return undefined;
    case 'obj': {
      const inner = object.v;
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
        throw new CodecError('an escaped object that is not an object');
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(inner)) out[k] = untag(v, blobs, depth + 1);
      return out;
    }
    default:
      throw new CodecError(`an unknown tag ${JSON.stringify(object.$t)}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CodecError(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
