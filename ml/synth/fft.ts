import FFT from 'fft.js';

/**
 * A real FFT of one fixed power-of-two size, in PFFFT's "ordered" packed layout:
 * spectrum = [re 0, re N/2, re 1, im 1, re 2, im 2, …, re N/2-1, im N/2-1].
 *
 * Callers write into `time` or `spectrum` and call `forward()` / `inverse()`; the views belong to the
 * transform (for PFFFT they live in WebAssembly memory), so the hot loops copy no more than they must.
 * `inverse()` is unnormalised, as in FFTW and PFFFT: inverse(forward(x)) = size·x (the ISTFT folds the
 * 1/size into its synthesis window instead of spending a pass on it).
 */
export interface RealFft {
  readonly size: number;
  readonly implementation: FftImplementation;
  readonly time: Float32Array;
  readonly spectrum: Float32Array;
  forward(): void;
  inverse(): void;
  dispose(): void;
}

export type FftImplementation = 'pffft-simd' | 'pffft' | 'fft.js';

/** fft.js, the pure-JavaScript baseline: always available. */
class FftJs implements RealFft {
  readonly implementation = 'fft.js' as const;
  readonly time: Float32Array;
  readonly spectrum: Float32Array;
  readonly #fft: FFT;
  readonly #complexIn: number[];
  readonly #complexOut: number[];
  readonly #realIn: Float64Array;

  constructor(readonly size: number) {
    this.#fft = new FFT(size);
    this.time = new Float32Array(size);
    this.spectrum = new Float32Array(size);
    this.#complexIn = this.#fft.createComplexArray();
    this.#complexOut = this.#fft.createComplexArray();
    this.#realIn = new Float64Array(size);
  }

  forward(): void {
    const n = this.size;
    this.#realIn.set(this.time);
    this.#fft.realTransform(this.#complexOut, this.#realIn);
    const out = this.#complexOut;
    const s = this.spectrum;
    s[0] = out[0];
    s[1] = out[n];
    for (let k = 1; k < n / 2; k++) {
      s[2 * k] = out[2 * k];
      s[2 * k + 1] = out[2 * k + 1];
    }
  }

  inverse(): void {
    // fft.js has no real inverse: rebuild the Hermitian spectrum and run the complex one.
    const n = this.size;
    const s = this.spectrum;
    const c = this.#complexIn;
    c[0] = s[0];
    c[1] = 0;
    c[n] = s[1];
    c[n + 1] = 0;
    for (let k = 1; k < n / 2; k++) {
      c[2 * k] = s[2 * k];
      c[2 * k + 1] = s[2 * k + 1];
      c[2 * (n - k)] = s[2 * k];
      c[2 * (n - k) + 1] = -s[2 * k + 1];
    }
    this.#fft.inverseTransform(this.#complexOut, c);
    const out = this.#complexOut;
    // fft.js divides by n; undo that to keep the unnormalised contract.
    for (let i = 0; i < n; i++) this.time[i] = out[2 * i] * n;
  }

  dispose(): void {}
}

interface PffftModule {
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, kind: number): number;
  _pffft_destroy_setup(setup: number): void;
  _pffft_aligned_malloc(bytes: number): number;
  _pffft_aligned_free(ptr: number): void;
  _pffft_transform_ordered(
    setup: number,
    input: number,
    output: number,
    work: number,
    direction: number,
  ): void;
}

const PFFFT_REAL = 0;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;

/** PFFFT compiled to WebAssembly: several times faster than fft.js for the 512-point frames (npm run bench). */
class Pffft implements RealFft {
  readonly #module: PffftModule;
  readonly #setup: number;
  readonly #timePtr: number;
  readonly #spectrumPtr: number;
  readonly #workPtr: number;
  #time: Float32Array;
  #spectrum: Float32Array;
  #disposed = false;

  constructor(
    module: PffftModule,
    readonly size: number,
    readonly implementation: 'pffft-simd' | 'pffft',
  ) {
    this.#module = module;
    this.#setup = module._pffft_new_setup(size, PFFFT_REAL);
    if (!this.#setup) throw new Error(`PFFFT cannot transform ${size} points`);
    this.#timePtr = module._pffft_aligned_malloc(size * 4);
    this.#spectrumPtr = module._pffft_aligned_malloc(size * 4);
    this.#workPtr = module._pffft_aligned_malloc(size * 4);
    this.#time = this.#view(this.#timePtr);
    this.#spectrum = this.#view(this.#spectrumPtr);
  }

  #view(ptr: number): Float32Array {
    return new Float32Array(this.#module.HEAPF32.buffer, ptr, this.size);
  }

  // WebAssembly memory may grow when another transform is created, which detaches old views.
  get time(): Float32Array {
    if (this.#time.buffer !== this.#module.HEAPF32.buffer) this.#time = this.#view(this.#timePtr);
    return this.#time;
  }

  get spectrum(): Float32Array {
    if (this.#spectrum.buffer !== this.#module.HEAPF32.buffer) this.#spectrum = this.#view(this.#spectrumPtr);
    return this.#spectrum;
  }

  forward(): void {
    this.#module._pffft_transform_ordered(
      this.#setup,
      this.#timePtr,
      this.#spectrumPtr,
      this.#workPtr,
      PFFFT_FORWARD,
    );
  }

  inverse(): void {
    this.#module._pffft_transform_ordered(
      this.#setup,
      this.#spectrumPtr,
      this.#timePtr,
      this.#workPtr,
      PFFFT_BACKWARD,
    );
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const m = this.#module;
    m._pffft_aligned_free(this.#timePtr);
    m._pffft_aligned_free(this.#spectrumPtr);
    m._pffft_aligned_free(this.#workPtr);
    m._pffft_destroy_setup(this.#setup);
  }
}

let pffftModule: Promise<{ module: PffftModule; simd: boolean } | null> | undefined;

async function loadPffft(): Promise<{ module: PffftModule; simd: boolean } | null> {
  for (const simd of [true, false]) {
    try {
      const factory = simd
        ? (await import('@echogarden/pffft-wasm/simd')).default
        : (await import('@echogarden/pffft-wasm')).default;
      return { module: (await factory()) as PffftModule, simd };
    } catch {
      // No WebAssembly SIMD here (or no wasm at all): try the next build, then fall back to fft.js.
    }
  }
  return null;
}

/**
 * The fastest real FFT available. `VAE_STUDIO_FFT=fft.js` (or `pffft`) forces one, for benchmarks and
 * for comparing implementations in tests.
 */
export async function createRealFft(size: number, prefer = process.env.VAE_STUDIO_FFT): Promise<RealFft> {
  if (!Number.isInteger(Math.log2(size)))
    throw new RangeError(`FFT size must be a power of two, got ${size}`);
  if (prefer !== 'fft.js') {
    pffftModule ??= loadPffft();
    const loaded = await pffftModule;
    if (loaded) return new Pffft(loaded.module, size, loaded.simd ? 'pffft-simd' : 'pffft');
    if (prefer === 'pffft') throw new Error('PFFFT (WebAssembly) could not be loaded');
  }
  return new FftJs(size);
}
