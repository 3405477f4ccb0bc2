// Adam's step for data-parallel training (data-parallel.ts) in WebAssembly SIMD, four parameters at a
// time, on a shared WebAssembly.Memory that holds the run's weights, moments and gradient slots: every
// thread instantiates the module on the one memory and updates its own stretch in place. It takes
// the operations of shared-adam.ts's adamRange in the same order, each a float32 operation (IEEE
// add, mul, div and sqrt are correctly rounded in both), so the two agree bit for bit (tested) —
// and so with tf.train.adam. Measured here (compact network, 540k parameters): about 6 ms a step in
// JavaScript, under 1 ms here.
//
// ADAM_WASM is ADAM_WAT assembled by wabt (`parseWat(…, { simd: true, threads: true }).toBinary`);
// adam-wasm.test.ts assembles the text again and checks that the bytes match.

/** The module's text: adam(w, m, v, slots, n, from, to, b1, b2, c1, c2, eps, −lr, 1 − b1^t, 1 − b2^t). */
export const ADAM_WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "adam")
    (param $w i32) (param $m i32) (param $v i32) (param $slots i32) (param $n i32)
    (param $from i32) (param $to i32)
    (param $b1 f32) (param $b2 f32) (param $c1 f32) (param $c2 f32)
    (param $eps f32) (param $nlr f32) (param $o1 f32) (param $o2 f32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $k i32)
    (local $g v128) (local $mi v128) (local $vi v128)
    (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128)
    (local $EPS v128) (local $NLR v128) (local $O1 v128) (local $O2 v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $NLR (f32x4.splat (local.get $nlr)))
    (local.set $O1 (f32x4.splat (local.get $o1)))
    (local.set $O2 (f32x4.splat (local.get $o2)))
    (local.set $i (i32.shl (local.get $from) (i32.const 2)))
    (local.set $end (i32.shl (local.get $to) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $i)
      (i32.and (i32.sub (local.get $end) (local.get $i)) (i32.const -16))))
    (block $simd_done
      (loop $simd
        (br_if $simd_done (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $g (v128.load (i32.add (i32.load (local.get $slots)) (local.get $i))))
        (local.set $k (i32.const 1))
        (block $sum_done
          (loop $sum
            (br_if $sum_done (i32.ge_u (local.get $k) (local.get $n)))
            (local.set $g (f32x4.add (local.get $g)
              (v128.load (i32.add (local.get $i)
                (i32.load (i32.add (local.get $slots) (i32.shl (local.get $k) (i32.const 2))))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $sum)))
        (local.set $mi (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $B1))
          (f32x4.mul (local.get $g) (local.get $C1))))
        (local.set $vi (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $B2))
          (f32x4.mul (f32x4.mul (local.get $g) (local.get $g)) (local.get $C2))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
        (v128.store (i32.add (local.get $w) (local.get $i))
          (f32x4.add
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $mi) (local.get $O1))
                (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vi) (local.get $O2))) (local.get $EPS)))
              (local.get $NLR))
            (v128.load (i32.add (local.get $w) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $simd)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (i32.load (local.get $slots)) (local.get $i))))
        (local.set $k (i32.const 1))
        (block $tsum_done
          (loop $tsum
            (br_if $tsum_done (i32.ge_u (local.get $k) (local.get $n)))
            (local.set $gs (f32.add (local.get $gs)
              (f32.load (i32.add (local.get $i)
                (i32.load (i32.add (local.get $slots) (i32.shl (local.get $k) (i32.const 2))))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tsum)))
        (local.set $ms (f32.add
          (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
          (f32.mul (local.get $gs) (local.get $c1))))
        (local.set $vs (f32.add
          (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
          (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2))))
        (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $w) (local.get $i))
          (f32.add
            (f32.mul
              (f32.div
                (f32.div (local.get $ms) (local.get $o1))
                (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $o2))) (local.get $eps)))
              (local.get $nlr))
            (f32.load (i32.add (local.get $w) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))))
`;

export const ADAM_WASM =
  '0061736d01000000011301600f7f7f7f7f7f7f7f7d7d7d7d7d7d7d7d0002120103656e76066d656d6f72790203018080' +
  '0403020100070801046164616d00000ae20301df0303047f0b7b037d2007fd1321162008fd1321172009fd132118200a' +
  'fd132119200bfd13211a200cfd13211b200dfd13211c200efd13211d2005410274210f20064102742110200f2010200f' +
  '6b4170716a211102400340200f20114f0d012003280200200f6afd00040021134101211202400340201220044f0d0120' +
  '13200f200320124102746a2802006afd000400fde4012113201241016a21120c000b0b2001200f6afd0004002016fde6' +
  '0120132018fde601fde40121142002200f6afd0004002017fde60120132013fde6012019fde601fde40121152001200f' +
  '6a2014fd0b04002002200f6a2015fd0b04002000200f6a2014201cfde7012015201dfde701fde301201afde401fde701' +
  '201bfde6012000200f6afd000400fde401fd0b0400200f41106a210f0c000b0b02400340200f20104f0d012003280200' +
  '200f6a2a0200211e4101211202400340201220044f0d01201e200f200320124102746a2802006a2a020092211e201241' +
  '016a21120c000b0b2001200f6a2a0200200794201e20099492211f2002200f6a2a0200200894201e201e94200a949221' +
  '202001200f6a201f3802002002200f6a20203802002000200f6a201f200d952020200e9591200b9295200c942000200f' +
  '6a2a020092380200200f41046a210f0c000b0b0b';

/** What this file uses of the WebAssembly global (the project's TypeScript lib does not declare it). */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
}

const PAGE = 65_536;

let compiled: object | null | undefined;

function api(): WasmApi | null {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}

/** The compiled module, or null where WebAssembly SIMD or shared memory is missing. */
function adamModule(): object | null {
  if (compiled === undefined) {
    const wasm = api();
    const bytes = Uint8Array.from(ADAM_WASM.match(/../g) as string[], (h) => parseInt(h, 16));
    try {
      compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * A shared WebAssembly memory of at least `bytes` bytes for the kernel to work on, or null where
 * the kernel cannot run (then a SharedArrayBuffer and adamRange serve instead).
 */
export function adamMemory(bytes: number): SharedMemory | null {
  const wasm = api();
  if (!wasm || !adamModule()) return null;
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  try {
    return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null;
  }
}

type AdamExport = (
  w: number,
  m: number,
  v: number,
  slots: number,
  n: number,
  from: number,
  to: number,
  b1: number,
  b2: number,
  c1: number,
  c2: number,
  eps: number,
  negLr: number,
  o1: number,
  o2: number,
) => void;

/** The kernel bound to one thread's instance over `memory`. Offsets are in bytes, counts in floats. */
export class AdamKernel {
  readonly #adam: AdamExport;
  readonly #memory: SharedMemory;

  constructor(memory: SharedMemory) {
    const module = adamModule();
    const wasm = api();
    if (!module || !wasm) throw new Error('WebAssembly SIMD with shared memory is not available');
    this.#memory = memory;
    this.#adam = new wasm.Instance(module, { env: { memory } }).exports.adam as AdamExport;
  }

  /**
   * Adam on floats [from, to) of the arrays at byte offsets `w`, `m`, `v`; the gradient is the sum,
   * in order, of the slots whose byte offsets the Int32 table at byte offset `slots` lists (`n` of
   * them). Constants as adamRange takes them, already float32.
   */
  step(
    at: { w: number; m: number; v: number; slots: number },
    n: number,
    from: number,
    to: number,
    k: { b1: number; b2: number; c1: number; c2: number; eps: number; negLr: number; o1: number; o2: number },
  ): void {
    if (n < 1 || to <= from) return;
    if (to * 4 + Math.max(at.w, at.m, at.v) > this.#memory.buffer.byteLength)
      throw new RangeError('Adam stretch outside the shared memory');
    this.#adam(at.w, at.m, at.v, at.slots, n, from, to, k.b1, k.b2, k.c1, k.c2, k.eps, k.negLr, k.o1, k.o2);
  }
}
