import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { ADAM_WASM, ADAM_WAT, AdamKernel, adamMemory } from './adam-wasm.js';
import { adamFloats, adamRange } from './shared-adam.js';

describe('the WebAssembly Adam kernel', () => {
  it('is its text assembled', async () => {
    const wabt = await (await import('wabt')).default();
    const module = wabt.parseWat('adam.wat', ADAM_WAT, { simd: true, threads: true });
    try {
      expect(Buffer.from(module.toBinary({}).buffer).toString('hex')).toBe(ADAM_WASM);
    } finally {
      module.destroy();
    }
  });

  it("takes adamRange's step bit for bit, over any stretch and any gradient slots", () => {
    const size = 1003; // not a multiple of 4: the scalar tail runs too
    const width = 3;
    const memory = adamMemory(4 * size * (3 + width) + 64);
    expect(memory).not.toBeNull();
    const buffer = memory!.buffer;
    const weights = new Float32Array(buffer, 0, size);
    const m = new Float32Array(buffer, 4 * size, size);
    const v = new Float32Array(buffer, 8 * size, size);
    const grads = new Float32Array(buffer, 12 * size, width * size);
    const slots = new Int32Array(buffer, 4 * size * (3 + width), 4);
    const rng = new SeededRandom(5);
    const c = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const kernel = new AdamKernel(memory!);
    const cases: { used: boolean[]; from: number; to: number }[] = [
      { used: [true, false, false], from: 0, to: size },
      { used: [true, true, false], from: 1, to: 502 },
      { used: [true, true, true], from: 333, to: size },
      { used: [false, true, true], from: 7, to: 10 },
    ];
    for (const [step, { used, from, to }] of cases.entries()) {
      for (const a of [weights, m, grads])
        for (let i = 0; i < a.length; i++) a[i] = Math.fround(rng.next() * 2 - 1);
      for (let i = 0; i < size; i++) v[i] = Math.fround(rng.next() * 1e-3);
      const o1 = Math.fround(1 - 0.9 ** (step + 1));
      const o2 = Math.fround(1 - 0.999 ** (step + 1));
      const expected = [weights, m, v].map((a) => a.slice());
      adamRange(c, expected[0], expected[1], expected[2], grads, size, used, o1, o2, from, to);
      let n = 0;
      used.forEach((u, k) => {
        if (u) slots[n++] = grads.byteOffset + 4 * k * size;
      });
      kernel.step(
        { w: 0, m: m.byteOffset, v: v.byteOffset, slots: slots.byteOffset },
        n,
        from,
        to,
        adamFloats(c, o1, o2),
      );
      expect(Buffer.from(weights.buffer, 0, 4 * size).equals(Buffer.from(expected[0].buffer))).toBe(true);
      expect(Buffer.from(m.slice().buffer).equals(Buffer.from(expected[1].buffer))).toBe(true);
      expect(Buffer.from(v.slice().buffer).equals(Buffer.from(expected[2].buffer))).toBe(true);
    }
  });

  it('refuses a stretch outside its memory', () => {
    const memory = adamMemory(1024)!;
    const kernel = new AdamKernel(memory);
    const k = adamFloats({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, 0.1, 0.001);
    expect(() => kernel.step({ w: 0, m: 0, v: 0, slots: 0 }, 1, 0, 1e6, k)).toThrow(RangeError);
  });
});
