import { afterEach, describe, expect, it, vi } from 'vitest';
import { CodecError, decodeMessage, encodeMessage, MAX_DEPTH } from './codec.js';

const roundTrip = (value: unknown) => decodeMessage(encodeMessage(value));

/** A frame with the given header bytes (a string is UTF-8 encoded) and `blobBytes` zeros after it. */
function frameWith(header: string | Uint8Array, blobBytes = 16, claimedLength?: number): Uint8Array {
  const text = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const start = Math.ceil((8 + text.length) / 8) * 8;
  const frame = new Uint8Array(start + blobBytes);
  frame.set([0x56, 0x53, 0x42, 0x31]);
  new DataView(frame.buffer).setUint32(4, claimedLength ?? text.length, true);
  frame.set(text, 8);
  return frame;
}
const withHeader = (h: unknown, blobBytes = 16) => frameWith(JSON.stringify(h), blobBytes);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the WebSocket codec', () => {
  it('keeps every typed array kind with its values and type', () => {
    const message = {
      id: 7,
      type: 'result',
      value: {
        u8: new Uint8Array([0, 1, 255]),
        i8: new Int8Array([-128, 127]),
        u16: new Uint16Array([65535, 3]),
        i16: new Int16Array([-32768, 5]),
        u32: new Uint32Array([4294967295]),
        i32: new Int32Array([-2147483648, 9]),
        f32: new Float32Array([0.5, -1.25, 3e-39]),
        f64: new Float64Array([Math.PI, -0]),
        empty: new Float32Array(0),
      },
    };
    const back = roundTrip(message) as typeof message;
    for (const [key, array] of Object.entries(message.value)) {
      const got = back.value[key as keyof typeof message.value];
      expect(got.constructor, key).toBe(array.constructor);
      expect(Array.from(got), key).toEqual(Array.from(array));
    }
  });

  it('keeps audio bit for bit, including from an unaligned view, and decodes it without a copy', () => {
    const samples = new Float32Array(10_000).map((_, i) => Math.sin(i / 7) * 0.9);
    const unaligned = new Uint8Array(samples.byteLength + 3);
    unaligned.set(new Uint8Array(samples.buffer), 3);
    const bytes = unaligned.subarray(3);
    const frame = encodeMessage({ a: samples, b: bytes });
    const back = decodeMessage(frame.slice().buffer) as { a: Float32Array; b: Uint8Array };
    expect(back.a).toEqual(samples);
    expect(back.b).toEqual(bytes);
    expect(back.a.byteOffset % 8).toBe(0);
    expect(back.a.byteLength).toBe(samples.byteLength);
  });

  it('keeps NaN, infinities, undefined, and objects that use the tag key themselves', () => {
    const message = {
      numbers: [NaN, Infinity, -Infinity, 0, 1.5],
      holes: [1, undefined, 'x', null],
      tricky: { $t: 'blob', i: 0 },
      nested: [{ $t: 'num', v: 'NaN', deeper: { $t: 'undef' } }],
      dropped: undefined,
      text: 'héllo ✓',
    };
    const back = roundTrip(message) as Record<string, unknown>;
    expect(back).toEqual({
      numbers: [NaN, Infinity, -Infinity, 0, 1.5],
      holes: [1, undefined, 'x', null],
      tricky: { $t: 'blob', i: 0 },
      nested: [{ $t: 'num', v: 'NaN', deeper: { $t: 'undef' } }],
      dropped: undefined,
      text: 'héllo ✓',
    });
    expect('dropped' in back).toBe(true);
  });

  it('refuses to encode what is not plain data, naming where it is', () => {
    expect(() => encodeMessage({ when: new Date() })).toThrow(/message\.when: a Date/);
    expect(() => encodeMessage({ f: () => 1 })).toThrow(/a function/);
    expect(() => encodeMessage({ m: new Map() })).toThrow(CodecError);
    expect(() => encodeMessage({ c: new Uint8ClampedArray(2) })).toThrow(/Uint8ClampedArray/);
    expect(() => encodeMessage({ n: 1n })).toThrow(/bigint/);
  });

  it('refuses nesting deeper than any message has, both ways', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH + 1; i++) deep = [deep];
    expect(() => encodeMessage(deep)).toThrow(/nested too deeply/);
    expect(() => decodeMessage(withHeader({ m: deep, b: [] }))).toThrow(/nested too deeply/);
  });

  it('refuses a header over the limit by its length field, before decoding or parsing it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const decode = vi.spyOn(TextDecoder.prototype, 'decode');
    const limits = { maxHeaderBytes: 1024 * 1024 };
    // Neither UTF-8 nor JSON, then a length field past the frame's end: only the limit is reported.
    const junk = new Uint8Array(1024 * 1024 + 1).fill(0xff);
    expect(() => decodeMessage(frameWith(junk), limits)).toThrow(
      'message header too large (1048577 bytes; the limit is 1048576: only typed arrays may be large)',
    );
    expect(() => decodeMessage(frameWith('{}', 0, 0xffffffff), limits)).toThrow(
      /header too large \(4294967295 bytes/,
    );
    expect(parse).not.toHaveBeenCalled();
    expect(decode).not.toHaveBeenCalled();
  });

  it('takes a header up to the limit, and typed arrays of any size beside it', () => {
    const audio = new Float32Array(1 << 20).fill(0.25);
    const frame = encodeMessage({
      id: 1,
      type: 'call',
      method: 'importRecording',
      args: ['a', audio, 44100],
    });
    const headerLength = new DataView(frame.buffer).getUint32(4, true);
    expect(headerLength).toBeLessThan(200);
    const back = decodeMessage(frame, { maxHeaderBytes: headerLength }) as { args: [string, Float32Array] };
    expect(back.args[1]).toBeInstanceOf(Float32Array);
    expect(back.args[1].length === audio.length && back.args[1].every((v) => v === 0.25)).toBe(true);
    expect(() => decodeMessage(frame, { maxHeaderBytes: headerLength - 1 })).toThrow(/header too large/);
    const long = 'x'.repeat(2 * 1024 * 1024);
    expect((roundTrip({ text: long }) as { text: string }).text === long).toBe(true);
  });

  it('refuses damaged frames with the reason, never with a crash', () => {
    const good = encodeMessage({ x: new Float32Array([1, 2, 3]) });
    const header = (frame: Uint8Array) =>
      JSON.parse(
        new TextDecoder().decode(frame.subarray(8, 8 + new DataView(frame.buffer).getUint32(4, true))),
      );
    expect(header(good)).toEqual({ m: { x: { $t: 'blob', i: 0 } }, b: [['f32', 0, 12]] });

    expect(() => decodeMessage(new Uint8Array(0))).toThrow(/bad magic/);
    expect(() => decodeMessage(new TextEncoder().encode('{"id":1}'))).toThrow(/bad magic/);
    expect(() => decodeMessage(good.subarray(0, 12))).toThrow(/truncated/);
    expect(() => decodeMessage(frameWith('{not json'))).toThrow(/not JSON/);
    expect(() => decodeMessage(withHeader([1, 2]))).toThrow(/no "m" and "b"/);
    expect(() => decodeMessage(withHeader({ m: 1, b: 'x' }))).toThrow(/"b" is not an array/);
    expect(() => decodeMessage(withHeader({ m: 1, b: [['f32', 8, 16]] }))).toThrow(/outside the message/);
    expect(() => decodeMessage(withHeader({ m: 1, b: [['f32', -8, 4]] }))).toThrow(/outside the message/);
    expect(() => decodeMessage(withHeader({ m: 1, b: [['f32', 4, 4]] }))).toThrow(/misaligned/);
    expect(() => decodeMessage(withHeader({ m: 1, b: [['f32', 0, 6]] }))).toThrow(/whole number/);
    expect(() => decodeMessage(withHeader({ m: 1, b: [['toString', 0, 4]] }))).toThrow(/unknown kind/);
    expect(() => decodeMessage(withHeader({ m: { $t: 'blob', i: 3 }, b: [] }))).toThrow(/does not list/);
    expect(() => decodeMessage(withHeader({ m: { $t: 'evil' }, b: [] }))).toThrow(/unknown tag/);
    expect(() => decodeMessage(withHeader({ m: { $t: 'num', v: '1e400' }, b: [] }))).toThrow(/number tag/);
    const badUtf8 = withHeader({ m: 1, b: [] });
    badUtf8[9] = 0xff;
    expect(() => decodeMessage(badUtf8)).toThrow(/not UTF-8/);
  });
});
