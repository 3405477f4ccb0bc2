import { LiveOutput } from './live-output.js';
import { liveProbe } from './live-probe.js';

/**
 * The context's latency hint: 0 asks for the smallest buffer the platform offers. In headless
 * Chromium on Linux that is one 128-frame quantum (2.9 ms) with 9 ms of output latency, against
 * 10 ms and 32 ms for the default 'interactive': live audition is played like an instrument.
 */
const LATENCY_HINT: AudioContextLatencyCategory | number = 0;

/** A DynamicsCompressor with a hard knee at −1 dBFS and a 20:1 ratio: the player's limiter. */
export function configureLimiter(limiter: DynamicsCompressorNode): DynamicsCompressorNode {
  limiter.threshold.value = -1;
  limiter.knee.value = 0;
  limiter.ratio.value = 20;
  limiter.attack.value = 0.002;
  limiter.release.value = 0.1;
  return limiter;
}

/**
 * The limiter's own delay (its look-ahead, 6 ms in Chromium), in frames at `rate`: an impulse
 * rendered offline through one configured the same way.
 */
export async function measureLimiterDelay(rate: number): Promise<number> {
  const length = Math.ceil(rate * 0.05);
  const offline = new OfflineAudioContext(1, length, rate);
  const impulse = offline.createBuffer(1, length, rate);
  impulse.getChannelData(0)[0] = 0.25;
  const source = offline.createBufferSource();
  source.buffer = impulse;
  source.connect(configureLimiter(offline.createDynamicsCompressor())).connect(offline.destination);
  source.start();
  const out = (await offline.startRendering()).getChannelData(0);
  let at = 0;
  for (let i = 1; i < out.length; i++) if (Math.abs(out[i]) > Math.abs(out[at])) at = i;
  return at;
}

/**
 * Plays mono sounds through a master volume and a limiter, so nothing the app plays can blast
 * the listener (a DynamicsCompressor with a hard knee at −1 dBFS and a 20:1 ratio acts as one).
 * One sound at a time: a new one stops the last. Live audition plays through the same chain, from
 * an AudioWorklet (live()).
 */
export class Player {
  #context: AudioContext | null = null;
  #master: GainNode | null = null;
  #limiter: DynamicsCompressorNode | null = null;
  #current: AudioBufferSourceNode | null = null;
  #live: Promise<LiveOutput> | null = null;
  /** The limiter's delay in frames (measured when live audition first starts). */
  #limiterDelay = 0;
  #volume = 0.8;
  /** When the sound playing now started, on the context's clock, less its offset. */
  #started: { at: number; duration: number } | null = null;
  onEnded: () => void = () => {};

  #graph(): { context: AudioContext; master: GainNode } {
    if (!this.#context || !this.#master) {
      const context = new AudioContext({ latencyHint: LATENCY_HINT });
      const master = context.createGain();
      master.gain.value = this.#volume;
      const limiter = configureLimiter(context.createDynamicsCompressor());
      master.connect(limiter).connect(context.destination);
      this.#context = context;
      this.#master = master;
      this.#limiter = limiter;
    }
    return { context: this.#context, master: this.#master };
  }

  /**
   * The live audition's output (one per context, made on first use): a worklet in front of the
   * master volume and the limiter. With the test probe on, a tap after the limiter records.
   */
  live(): Promise<LiveOutput> {
    if (!this.#live) {
      const { context, master } = this.#graph();
      if (context.state === 'suspended') void context.resume();
      const made = (async () => {
        const output = await LiveOutput.create(context, master, {
          inputRate: context.sampleRate,
          logQuanta: liveProbe ? liveProbe.logQuanta(context.sampleRate) : undefined,
          messagesOnly: liveProbe?.messagesOnly,
        });
        this.#limiterDelay = await measureLimiterDelay(context.sampleRate);
        if (liveProbe) await liveProbe.attach(context, this.#limiter!, output, this.#limiterDelay);
        return output;
      })();
      this.#live = made;
      made.catch(() => {
        if (this.#live === made) this.#live = null;
      });
    }
    return this.#live;
  }

  /**
   * Live input's output (renderer/src/lib/live-input.svelte.ts): a second live worklet in front of
   * the same master volume and limiter, on the same context (whose clock the microphone is captured
   * on too), made after live() so the test probe's tap is in place; with the limiter's delay in
   * frames. Its owner disposes the output.
   */
  async liveChannel(): Promise<{ context: AudioContext; output: LiveOutput; limiterDelay: number }> {
    await this.live();
    const { context, master } = this.#graph();
    const output = await LiveOutput.create(context, master, {
      inputRate: context.sampleRate,
      messagesOnly: liveProbe?.messagesOnly,
    });
    return { context, output, limiterDelay: this.#limiterDelay };
  }

  /**
   * Milliseconds from `sentAt` (performance.now() time of a pointer event) to when context frame
   * `frame` of the live worklet's output leaves the limiter: the moment that frame is heard
   * (getOutputTimestamp) less the device's output latency. Without an output timestamp the
   * context's current time is taken as now.
   */
  latencySince(sentAt: number, frame: number): number | null {
    const c = this.#context;
    if (!c) return null;
    const at = (frame + this.#limiterDelay) / c.sampleRate;
    const stamp = typeof c.getOutputTimestamp === 'function' ? c.getOutputTimestamp() : null;
    if (stamp && stamp.performanceTime && stamp.contextTime) {
      const heard = stamp.performanceTime + (at - stamp.contextTime) * 1000;
      return heard - (c.outputLatency || 0) * 1000 - sentAt;
    }
    return performance.now() + (at - c.currentTime) * 1000 - sentAt;
  }

  /** Output devices, where the platform lets a page choose one (AudioContext.setSinkId). */
  static async outputs(): Promise<{ id: string; label: string }[]> {
    if (!('setSinkId' in AudioContext.prototype)) return [];
    const all = await navigator.mediaDevices.enumerateDevices();
    return all
      .filter((d) => d.kind === 'audiooutput')
      .map((d, i) => ({ id: d.deviceId, label: d.label || `Output ${i + 1}` }));
  }

  /** Plays everything through that device from now on ('' for the system default). */
  async setOutput(deviceId: string): Promise<void> {
    const { context } = this.#graph();
    await (context as AudioContext & { setSinkId(id: string): Promise<void> }).setSinkId(deviceId);
  }

  get volume(): number {
    return this.#volume;
  }

  set volume(v: number) {
    this.#volume = Math.min(1, Math.max(0, v));
    if (this.#master) this.#master.gain.value = this.#volume;
  }

  /** The device's own output latency (ms), where the platform says. */
  get outputLatencyMs(): number | null {
    const c = this.#context;
    if (!c) return null;
    const latency = (c as AudioContext & { outputLatency?: number }).outputLatency || c.baseLatency;
    return Number.isFinite(latency) ? latency * 1000 : null;
  }

  /**
   * Plays a sound from `offset` seconds (0: its start) with a `gain` on top of the master volume
   * (level matching); stops the last one.
   */
  async play(
    samples: Float32Array,
    sampleRate: number,
    options: { offset?: number; gain?: number } = {},
  ): Promise<void> {
    const { context, master } = this.#graph();
    if (context.state === 'suspended') await context.resume();
    this.stop();
    const buffer = context.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    const gain = context.createGain();
    gain.gain.value = options.gain ?? 1;
    source.connect(gain).connect(master);
    source.onended = () => {
      gain.disconnect();
      if (this.#current === source) {
        this.#current = null;
        this.#started = null;
        this.onEnded();
      }
    };
    this.#current = source;
    const offset = Math.min(Math.max(0, options.offset ?? 0), buffer.duration);
    this.#started = { at: context.currentTime - offset, duration: buffer.duration };
    source.start(0, offset);
  }

  /** Where the sound playing now is (seconds from its start) and how long it is; null when none plays. */
  get position(): { seconds: number; duration: number } | null {
    const started = this.#started;
    if (!started || !this.#context) return null;
    return {
      seconds: Math.min(started.duration, this.#context.currentTime - started.at),
      duration: started.duration,
    };
  }

  /** How much the limiter is turning the sound down now (dB, 0 or less). */
  get limiterReductionDb(): number {
    return this.#limiter?.reduction ?? 0;
  }

  stop(): void {
    const current = this.#current;
    this.#current = null;
    this.#started = null;
    current?.stop();
    current?.disconnect();
  }

  async dispose(): Promise<void> {
    this.stop();
    const live = this.#live;
    this.#live = null;
    await live?.then((l) => l.dispose()).catch(() => undefined);
    await this.#context?.close();
    this.#context = null;
    this.#master = null;
    this.#limiter = null;
  }
}
