/**
 * The read side of live audition, as the AudioWorklet runs it (renderer/src/worklets/live-processor.ts):
 * the engine's stream (whole hops at the model's rate) goes in as it arrives, 128-frame render
 * quanta at the output's rate come out. One read head moves through the input at inRate/outRate
 * per output frame and reads it through a windowed sinc (sinc-kernel.ts), so the stream is resampled
 * once, continuously, and chunk boundaries leave no trace. Everything that would otherwise be a
 * discontinuity is a short raised-cosine fade (FADE_SECONDS):
 * - start: the sound fades in (SMOOTH_SECONDS) once there is input for a quantum, a fade and the
 *   margin;
 * - underrun: when less than a quantum and a fade is left, the sound fades out (FADE_SECONDS) on
 *   what is left — that reserve is always kept — and fades in again when the input is back, as late
 *   as it came, so the buffer has grown by the lateness that caused it;
 * - catch-up: input that stayed ahead of need through the last WINDOWS × WINDOW_SECONDS (the
 *   engine's clock ahead of the sound card's, a burst after a stall, lateness that did not recur)
 *   is skipped with a crossfade between the old and the new position, so the buffer stays as deep
 *   as the worst lateness of the last second and no deeper;
 * - stop, and a new stream: the sound fades out.
 * Markers travel with the input, at absolute input indices (counted from the first sample ever
 * written): a stream's start (and its rate), its stop, and the echo of a move — the input index of
 * the first sample of the glide toward the move's point — which is reported with the output frame
 * at which the read head reaches it.
 */
import { SincKernel } from './sinc-kernel.js';

export const QUANTUM = 128;
/** An underrun's fade-out: its input is held in reserve all the time, so it costs latency. */
export const FADE_SECONDS = 0.0015;
/** Fades that need no reserve (in, a stop's out) and the catch-up crossfade: longer, smoother. */
export const SMOOTH_SECONDS = 0.005;
/** The read head keeps this much input beyond need, for the jitter a window's minimum misses. */
const MARGIN_SECONDS = 0.001;
/**
 * Catch-up: the fill's minimum is taken over windows of WINDOW_SECONDS; input that stayed beyond
 * need in each of the last WINDOWS windows (the arrivals' worst lateness of that long) is skipped.
 */
const WINDOW_SECONDS = 0.25;
const WINDOWS = 4;
const SLACK_SECONDS = 0.002;
/** Input this far beyond what is needed is skipped at once (a suspended context, a long stall). */
const BACKLOG_SECONDS = 0.1;

/** Marker kinds, as they travel (a Float64 triple: kind, input index, value). */
export const Marker = { Start: 1, Stop: 2, Echo: 3 } as const;
export type Marker = (typeof Marker)[keyof typeof Marker];

export type PlayheadReport =
  | { type: 'echo'; sentAt: number; frame: number }
  | { type: 'underrun'; frame: number }
  | { type: 'skip'; frame: number; samples: number };

/** Per quantum, in probe mode: its first frame, the read position there, and what happened in it. */
export const LOG_STRIDE = 3;
export const QuantumFlags = {
  Silent: 0,
  /** Every frame read the input at pos0 + k·step, at full gain. */
  Steady: 1,
  /** A fade or a crossfade ran in it (or it was partly silent). */
  Transition: 2,
} as const;
export type QuantumFlags = (typeof QuantumFlags)[keyof typeof QuantumFlags];

type State = 'idle' | 'buffering' | 'playing';

export class LivePlayhead {
  readonly outRate: number;
  onReport: (report: PlayheadReport) => void = () => {};
  readonly stats = { underruns: 0, skips: 0, skipped: 0, dropped: 0 };

  #buf: Float32Array;
  /** Absolute input index of #buf[0], and one past the last sample written. */
  #start = 0;
  #end = 0;
  /** Where the current stream's input ends (a stop or the next stream's start), else Infinity. */
  #limit = Infinity;
  #state: State = 'idle';
  #inRate = 0;
  #step = 0;
  #kernel: SincKernel | null = null;
  #fade: number;
  #smooth: number;
  #pos = 0;
  #margin = 0;

  /** The gain envelope: from → to over `length` frames, `left` to go; then `done` runs. */
  #env = { from: 1, to: 1, length: 0, left: 0, done: null as (() => void) | null };
  /** A crossfade toward pos + skip, `left` frames to go. */
  #xfade = { skip: 0, length: 0, left: 0 };
  #windowMin = Infinity;
  #windowCount = 0;
  /** The minima of the last WINDOWS windows. */
  #minima: number[] = [];
  #echoes: { index: number; sentAt: number }[] = [];
  #pendingStart: { index: number; rate: number } | null = null;
  #stopping = false;

  readonly #log: Float64Array | null;
  #logged = 0;

  constructor(outRate: number, options: { capacity?: number; logQuanta?: number } = {}) {
    this.outRate = outRate;
    this.#buf = new Float32Array(options.capacity ?? 1 << 16);
    this.#fade = Math.max(8, Math.round(FADE_SECONDS * outRate));
    this.#smooth = Math.max(this.#fade, Math.round(SMOOTH_SECONDS * outRate));
    this.#log = options.logQuanta ? new Float64Array(options.logQuanta * LOG_STRIDE) : null;
  }

  get state(): State {
    return this.#state;
  }

  /** Input samples ahead of the read head (of the current stream). */
  get fill(): number {
    return Math.max(0, Math.min(this.#end, this.#limit) - this.#pos);
  }

  get margin(): number {
    return this.#margin;
  }

  /** Appends input samples (the next absolute indices). */
  write(samples: Float32Array): void {
    const n = samples.length;
    if (this.#end - this.#start + n > this.#buf.length) this.#compact();
    if (this.#end - this.#start + n > this.#buf.length) {
      // No room even after compacting: the output has not run for seconds. Start over from here.
      this.stats.dropped += this.#end - this.#start;
      this.#start = this.#end;
      if (this.#state === 'playing') this.#enter('buffering');
      this.#pos = Math.max(this.#pos, this.#end);
      this.#env.left = 0;
      this.#xfade.left = 0;
      if (n > this.#buf.length) {
        this.#start = this.#end = this.#end + n;
        this.#pos = Math.max(this.#pos, this.#end);
        return;
      }
    }
    this.#buf.set(samples, this.#end - this.#start);
    this.#end += n;
  }

  mark(kind: Marker, index: number, value: number): void {
    if (kind === Marker.Echo) {
      this.#echoes.push({ index, sentAt: value });
    } else if (kind === Marker.Start) {
      this.#limit = Math.min(this.#limit, index);
      this.#pendingStart = { index, rate: value };
      this.#stopping = false;
      if (this.#state === 'playing') this.#fadeOut();
      else this.#applyStart();
    } else if (kind === Marker.Stop) {
      this.#limit = Math.min(this.#limit, index);
      this.#pendingStart = null;
      this.#stopping = true;
      if (this.#state === 'playing') this.#fadeOut();
      else this.#applyStop();
    }
  }

  /** Renders one quantum (out.length frames) whose first frame is context frame `frame`. */
  render(out: Float32Array, frame: number): void {
    const kernel = this.#kernel;
    const frames = out.length;
    if (
      this.#state === 'buffering' &&
      kernel &&
      this.#available() >= frames + this.#fade + this.#marginFrames()
    ) {
      this.#state = 'playing';
      this.#ramp(0, 1, this.#smooth, null);
      this.#resetWindow();
    }
    if (this.#state !== 'playing' || !kernel) {
      out.fill(0);
      this.#logQuantum(frame, QuantumFlags.Silent);
      return;
    }
    if (!this.#fadingOut()) {
      const available = this.#available();
      if (available < frames + this.#fade) {
        // The stream resumes as late as the input came: the wait that follows is the jitter buffer's growth.
        this.stats.underruns++;
        this.onReport({ type: 'underrun', frame });
        this.#ramp(this.#gain(), 0, Math.max(1, Math.min(this.#fade, available)), () =>
          this.#enter('buffering'),
        );
      } else if (this.#xfade.left === 0 && this.#env.left === 0) {
        this.#catchUp(frame, frames);
      }
    }
    const logPos = this.#pos;
    let flags: QuantumFlags =
      this.#env.left > 0 || this.#xfade.left > 0 ? QuantumFlags.Transition : QuantumFlags.Steady;
    const step = this.#step;
    for (let k = 0; k < frames; k++) {
      if (this.#state !== 'playing') {
        out.fill(0, k);
        flags = QuantumFlags.Transition;
        break;
      }
      while (this.#echoes.length > 0 && this.#echoes[0].index <= this.#pos) {
        const echo = this.#echoes.shift()!;
        this.onReport({ type: 'echo', sentAt: echo.sentAt, frame: frame + k });
      }
      let y = kernel.read(this.#buf, this.#start, this.#pos);
      const x = this.#xfade;
      if (x.left > 0) {
        const g = 0.5 - 0.5 * Math.cos((Math.PI * (x.length - x.left + 0.5)) / x.length);
        y += g * (kernel.read(this.#buf, this.#start, this.#pos + x.skip) - y);
        if (--x.left === 0) {
          this.#pos += x.skip;
          this.stats.skipped += x.skip;
        }
      }
      const e = this.#env;
      if (e.left > 0) {
        const t = (e.length - e.left + 0.5) / e.length;
        y *= e.from + (e.to - e.from) * (0.5 - 0.5 * Math.cos(Math.PI * t));
        if (--e.left === 0) {
          const done = e.done;
          e.done = null;
          e.from = e.to;
          if (done) done();
        }
      } else {
        y *= e.to;
      }
      out[k] = y;
      this.#pos += step;
    }
    this.#logQuantum(frame, flags, logPos);
  }

  /** The probe's log so far: LOG_STRIDE values per quantum (frame, pos, flags). */
  log(): Float64Array {
    return this.#log ? this.#log.slice(0, this.#logged * LOG_STRIDE) : new Float64Array(0);
  }

  #marginFrames(): number {
    return this.#step > 0 ? Math.ceil(this.#margin / this.#step) : 0;
  }

  /** Output frames that can be read from the input there is (of the current stream). */
  #available(): number {
    if (!this.#kernel) return 0;
    const end = Math.min(this.#end, this.#limit);
    const room = end - 1 - this.#kernel.half - this.#pos;
    return room < 0 ? 0 : Math.floor(room / this.#step) + 1;
  }

  #fadingOut(): boolean {
    return this.#env.left > 0 && this.#env.to === 0;
  }

  #gain(): number {
    const e = this.#env;
    if (e.left === 0) return e.to;
    const t = (e.length - e.left) / e.length;
    return e.from + (e.to - e.from) * (0.5 - 0.5 * Math.cos(Math.PI * t));
  }

  #ramp(from: number, to: number, length: number, done: (() => void) | null): void {
    this.#env = { from, to, length, left: length, done };
  }

  #fadeOut(): void {
    if (this.#fadingOut()) return;
    const length = Math.max(1, Math.min(this.#smooth, this.#available()));
    this.#ramp(this.#gain(), 0, length, () => {
      if (this.#pendingStart) this.#applyStart();
      else if (this.#stopping) this.#applyStop();
      else this.#enter('buffering');
    });
  }

  #enter(state: State): void {
    this.#state = state;
    this.#env = {
      from: state === 'playing' ? 1 : 0,
      to: state === 'playing' ? 1 : 0,
      length: 0,
      left: 0,
      done: null,
    };
    if (this.#xfade.left > 0) {
      this.#pos += this.#xfade.skip;
      this.#xfade.left = 0;
    }
    this.#resetWindow();
  }

  #applyStart(): void {
    const start = this.#pendingStart!;
    this.#pendingStart = null;
    this.#enter('buffering');
    this.#pos = start.index;
    this.#limit = Infinity;
    this.#echoes = this.#echoes.filter((e) => e.index >= start.index);
    if (start.rate !== this.#inRate) {
      this.#inRate = start.rate;
      this.#step = start.rate / this.outRate;
      this.#kernel = new SincKernel(start.rate, this.outRate);
    }
    this.#margin = MARGIN_SECONDS * this.#inRate;
    this.#silenceBefore(start.index);
  }

  /** The kernel's reach before a stream's first sample reads silence (not the last stream's tail). */
  #silenceBefore(index: number): void {
    const from = index - this.#kernel!.half - 1;
    if (this.#start > from) {
      const shift = this.#start - from;
      if (this.#end - this.#start + shift > this.#buf.length) this.#compact();
      const length = this.#end - this.#start;
      if (length + shift <= this.#buf.length) {
        this.#buf.copyWithin(shift, 0, length);
        this.#start = from;
      }
    }
    const a = Math.max(0, from - this.#start);
    const b = Math.max(a, Math.min(index, this.#end) - this.#start);
    this.#buf.fill(0, a, b);
    // Before the first write the buffer is empty: the silence is its start.
    if (this.#end < index) this.#end = index;
  }

  #applyStop(): void {
    this.#stopping = false;
    this.#enter('idle');
    this.#pos = Math.max(this.#pos, Math.min(this.#end, this.#limit));
    this.#echoes = this.#echoes.filter((e) => e.index >= this.#limit);
  }

  #resetWindow(): void {
    this.#windowMin = Infinity;
    this.#windowCount = 0;
    this.#minima = [];
  }

  /** Input samples the read head needs ahead of it to play a quantum and keep a fade in reserve. */
  #needed(frames: number): number {
    return (frames + this.#fade - 1) * this.#step + this.#kernel!.half + 1;
  }

  /** Skips, with a crossfade, input that has stayed ahead of need for a while. */
  #catchUp(frame: number, frames: number): void {
    const fill = this.fill;
    const target = this.#needed(frames) + this.#margin;
    this.#windowMin = Math.min(this.#windowMin, fill);
    this.#windowCount++;
    let surplus: number;
    if (fill - target > BACKLOG_SECONDS * this.#inRate) {
      // A backlog has no arrivals to count on: what this quantum reads stays too.
      surplus = Math.floor(fill - target - frames * this.#step);
      this.#resetWindow();
    } else {
      if (this.#windowCount < Math.round((WINDOW_SECONDS * this.outRate) / frames)) return;
      this.#minima.push(this.#windowMin);
      if (this.#minima.length > WINDOWS) this.#minima.shift();
      this.#windowMin = Infinity;
      this.#windowCount = 0;
      if (this.#minima.length < WINDOWS) return;
      surplus = Math.floor(Math.min(...this.#minima) - target);
    }
    // The crossfade reads the new position for longer than an underrun's fade: that reach stays.
    surplus -= Math.ceil((this.#smooth - this.#fade) * this.#step);
    if (surplus <= SLACK_SECONDS * this.#inRate) return;
    this.#minima = this.#minima.map((m) => m - surplus);
    this.stats.skips++;
    this.onReport({ type: 'skip', frame, samples: surplus });
    this.#xfade = { skip: surplus, length: this.#smooth, left: this.#smooth };
  }

  #compact(): void {
    const keep = Math.min(this.#end, Math.floor(this.#pos) - (this.#kernel?.half ?? 0) - 1);
    const drop = keep - this.#start;
    if (drop <= 0) return;
    this.#buf.copyWithin(0, drop, this.#end - this.#start);
    this.#start = keep;
  }

  #logQuantum(frame: number, flags: QuantumFlags, pos = this.#pos): void {
    const log = this.#log;
    if (!log || (this.#logged + 1) * LOG_STRIDE > log.length) return;
    const at = this.#logged++ * LOG_STRIDE;
    log[at] = frame;
    log[at + 1] = pos;
    log[at + 2] = flags;
  }
}
