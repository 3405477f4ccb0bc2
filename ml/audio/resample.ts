import wavefile from 'wavefile';
import type { Hertz } from '../units.js';

const { WaveFile } = wavefile;

/** Half-width, in input samples, of the interpolating windowed sinc. */
const SINC_HALF_WIDTH = 32;

/**
 * wavefile's resampler with two changes to its defaults. The low-pass is a 255th-order FIR run
 * forwards and backwards (zero phase): aliasing stays below -90 dB just above the new Nyquist,
 * where the default IIR leaks about -23 dB. The sinc's default window (a Gaussian over 12 taps)
 * rolls off the top of the input band, which shows when upsampling: -0.4 dB at 5 kHz from 16 kHz,
 * -4.6 dB at 3.8 kHz from 8 kHz. A 64-tap Blackman window keeps those within 0.01 and 0.3 dB.
 */
const OPTIONS = {
  method: 'sinc',
  LPF: true,
  LPFType: 'FIR',
  LPForder: 255,
  sincFilterSize: SINC_HALF_WIDTH,
  sincWindow: (x: number): number =>
    Math.abs(x) >= SINC_HALF_WIDTH
      ? 0
      : 0.42 +
        0.5 * Math.cos((Math.PI * x) / SINC_HALF_WIDTH) +
        0.08 * Math.cos((2 * Math.PI * x) / SINC_HALF_WIDTH),
};

/**
 * Band-limited resampling of mono audio. The result has round(length·to/from) samples and its
 * sample i lies at time i/toRate, on the same time line as the input's sample i at i/fromRate.
 */
export function resample(x: Float32Array, fromRate: Hertz, toRate: Hertz): Float32Array {
  checkRate('fromRate', fromRate);
  checkRate('toRate', toRate);
  if (fromRate === toRate) return x.slice();
  const outLength = Math.round((x.length * toRate) / fromRate);
  if (x.length === 0) return new Float32Array(0);

  // wavefile reads output sample i at input position i·(P-1)/Q, for P input samples and
  // Q = floor(P·rate/from) output samples, rather than at i·from/to: left alone, the output
  // drifts by up to a sample by the end of the file. Zero-padding the input to P = k·(from/g) + 1
  // (g the rates' gcd) makes (P-1)/Q exactly from/to for Q = k·(to/g) ≥ outLength, and the rate
  // handed to wavefile is nudged, by less than 1/(2Q), so that its length formula gives that Q.
  // The interpolator reads zeros past the end anyway, so the padding changes nothing else.
  const g = gcd(fromRate, toRate);
  const k = Math.ceil(x.length / (fromRate / g));
  const padded = new Float64Array((k * fromRate) / g + 1);
  padded.set(x);
  const q = (k * toRate) / g;
  const wav = new WaveFile();
  wav.fromScratch(1, fromRate, '64', padded);
  // A copy: wavefile writes its defaults into the options object it is given.
  wav.toSampleRate(((q + 0.5) * fromRate) / padded.length, { ...OPTIONS });
  const y = wav.getSamples(false, Float64Array);
  return Float32Array.from(y.subarray(0, outLength));
}

function checkRate(name: string, rate: Hertz): void {
  if (!Number.isInteger(rate) || rate < 1) {
    throw new RangeError(`${name} must be a positive whole number of hertz, got ${rate}`);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
