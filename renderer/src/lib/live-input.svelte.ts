/**
 * Live input in the page: the chosen microphone, captured on the player's own audio context by a
 * small worklet ('vae-live-input'), is sent to the engine in chunks at the context's rate (the
 * engine resamples it to the model's and runs the live path, ml/synth/live-resynth.ts); what comes
 * back ('liveAudio' events) is played through a live worklet in front of the master volume and the
 * limiter (Player.liveChannel). Each input chunk carries the context frame of its first sample; the
 * engine echoes that clock, advanced to the marked output sample's input time, so the worklet's
 * report of when its read head reached that sample, plus the limiter's delay, gives microphone to
 * output in frames of one clock — resampling both ways, the network, the engine and the jitter
 * buffer included; the device's own input and output latencies are not (the web reports neither
 * the first nor, reliably, the second).
 */
import liveInputProcessorUrl from '../worklets/live-input-processor.ts?worker&url';
import type { LiveInputChunk } from '../worklets/live-input-processor.js';
import type { LiveOutput } from './live-output.js';
import { liveProbe } from './live-probe.js';
import type { Player } from './player.js';
import type { StudioClient, StudioEvent } from './types.js';

/** Frames per chunk sent to the engine: 4 render quanta (10.7 ms at 48 kHz). */
const CHUNK_FRAMES = 1024;
/** Latencies kept for the median shown. */
const LATENCY_WINDOW = 200;

export interface LiveInputDevice {
  id: string;
  label: string;
}

export interface LiveInputOptions {
  mix: number;
  gain: number;
  /** A map axis (standard deviations) or a latent dimension (0-based), and how far; null: none. */
  offset: { direction: 'axis1' | 'axis2' | number; amount: number } | null;
  /** Toward a snapshot's latent vector: 0 the input's own, 1 the snapshot; null: none. */
  morph: { z: number[]; amount: number } | null;
}

export class LiveInput {
  /** On while a stream runs. */
  running = $state(false);
  starting = $state(false);
  error = $state<string | null>(null);
  /** Why the engine ended the stream by itself. */
  ended = $state<string | null>(null);
  /** The input's peak after the gain, dBFS, for the meter (−∞ as −120). */
  levelDb = $state(-120);
  /** Microphone to limiter output, ms: the median of the last measurements, and how many. */
  medianLatency = $state<number | null>(null);
  measured = $state(0);
  /** The live path's own share (one analysis window), as the engine says. */
  algorithmicMs = $state<number | null>(null);
  outputLatencyMs = $state<number | null>(null);
  /** The context's rate (the microphone's chunks are sent at it). */
  inputRate = $state<number | null>(null);
  /** Times the output ran dry (the input came late) or skipped ahead (it came in a burst). */
  underruns = $state(0);
  skips = $state(0);
  /** Context frames of the last underruns and skips: where the output is not the stream. */
  readonly breaks: number[] = [];

  #client: StudioClient | null = null;
  #stream: number | null = null;
  #media: MediaStream | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #capture: AudioWorkletNode | null = null;
  #output: LiveOutput | null = null;
  #unsubscribe: (() => void) | null = null;
  #latencies: number[] = [];
  #underruns = 0;
  #skips = 0;
  #gain = 1;
  #peak = 0;
  #meter: ReturnType<typeof setInterval> | null = null;

  constructor() {
    // The Chromium spec reads the output's breaks through the test probe's window.
    if (liveProbe) (globalThis as { __vaeLiveInput?: LiveInput }).__vaeLiveInput = this;
  }

  static async devices(): Promise<LiveInputDevice[]> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all
      .filter((d) => d.kind === 'audioinput')
      .map((d, i) => ({ id: d.deviceId, label: d.label || `Input ${i + 1}` }));
  }

  /** The microphone needs a secure context: localhost or https (a remote plain-http address has none). */
  static get available(): boolean {
    return globalThis.isSecureContext === true && typeof navigator.mediaDevices?.getUserMedia === 'function';
  }

  async start(
    client: StudioClient,
    player: Player,
    model: string,
    deviceId: string,
    options: LiveInputOptions,
  ): Promise<void> {
    if (this.running || this.starting) return;
    this.starting = true;
    this.error = null;
    this.ended = null;
    this.#latencies = [];
    this.#underruns = 0;
    this.#skips = 0;
    this.breaks.length = 0;
    this.underruns = 0;
    this.skips = 0;
    this.medianLatency = null;
    this.measured = 0;
    try {
      if (!LiveInput.available)
        throw new Error('the microphone needs a secure context: open the studio on localhost or over https');
      const { context, output, limiterDelay } = await player.liveChannel();
      this.#output = output;
      if (context.state === 'suspended') await context.resume();
      this.#media = await navigator.mediaDevices.getUserMedia({
        audio: {
          ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
          echoCancellation: false,
          noiseSuppression: false,
          autoGainControl: false,
          channelCount: 1,
        },
      });
      await context.audioWorklet.addModule(liveInputProcessorUrl);
      const live = await client.startLiveInput(model, context.sampleRate, {
        mix: options.mix,
        gain: options.gain,
        offset: options.offset,
        morph: options.morph,
      });
      this.#client = client;
      this.#stream = live.stream;
      this.#gain = options.gain;
      this.algorithmicMs = live.latencyMs;
      this.inputRate = context.sampleRate;
      this.outputLatencyMs = player.outputLatencyMs;
      output.begin(live.sampleRate);
      output.onEcho = (clock, frame) => {
        const ms = ((frame + limiterDelay - clock) / context.sampleRate) * 1000;
        this.#latencies.push(ms);
        if (this.#latencies.length > LATENCY_WINDOW) this.#latencies.shift();
      };
      output.onReport = (report) => {
        if (report.type === 'echo') return;
        if (report.type === 'underrun') this.#underruns++;
        else this.#skips++;
        this.breaks.push(report.frame);
        if (this.breaks.length > 1000) this.breaks.shift();
      };
      this.#unsubscribe = client.onEvent((event: StudioEvent) => this.#onEvent(event));
      const source = context.createMediaStreamSource(this.#media);
      const capture = new AudioWorkletNode(context, 'vae-live-input', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: 'explicit',
        processorOptions: { chunk: CHUNK_FRAMES },
      });
      capture.port.onmessage = (e: MessageEvent<LiveInputChunk>) => this.#send(e.data);
      source.connect(capture);
      this.#source = source;
      this.#capture = capture;
      // The meter and the latency figure, four times a second (not a render per chunk).
      this.#meter = setInterval(() => this.#publish(), 250);
      this.running = true;
    } catch (err) {
      this.error = (err as Error).message;
      await this.#teardown();
    } finally {
      this.starting = false;
    }
  }

  /** Changes the sound of a running stream (mix, gain, offset, morph). */
  async update(options: Partial<LiveInputOptions>): Promise<void> {
    if (options.gain !== undefined) this.#gain = options.gain;
    if (this.#client === null || this.#stream === null) return;
    try {
      await this.#client.setLiveInput(this.#stream, options);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async stop(): Promise<void> {
    const client = this.#client;
    const stream = this.#stream;
    await this.#teardown();
    if (client && stream !== null) await client.stopLiveInput(stream).catch(() => undefined);
  }

  #send(chunk: LiveInputChunk): void {
    let peak = 0;
    for (const v of chunk.samples) peak = Math.max(peak, Math.abs(v));
    this.#peak = Math.max(this.#peak, peak * this.#gain);
    if (this.#client === null || this.#stream === null) return;
    this.#client.liveInput(this.#stream, chunk.samples, chunk.frame).catch((err: Error) => {
      this.error = err.message;
    });
  }

  #onEvent(event: StudioEvent): void {
    if (event.type === 'liveAudio' && event.stream === this.#stream) {
      this.#output?.write(
        event.samples,
        event.echo !== undefined ? { offset: event.echoAt ?? 0, sentAt: event.echo } : undefined,
      );
    } else if (event.type === 'liveInput' && event.stream === this.#stream) {
      this.ended = `Live input ended: ${event.reason}`;
      void this.#teardown();
    }
  }

  #publish(): void {
    this.underruns = this.#underruns;
    this.skips = this.#skips;
    this.levelDb = this.#peak > 0 ? Math.max(-120, 20 * Math.log10(this.#peak)) : -120;
    this.#peak = 0;
    if (this.#latencies.length > 0) {
      const sorted = [...this.#latencies].sort((a, b) => a - b);
      this.medianLatency = sorted[Math.floor(sorted.length / 2)];
      this.measured = this.#latencies.length;
    }
  }

  async #teardown(): Promise<void> {
    this.running = false;
    if (this.#meter) clearInterval(this.#meter);
    this.#meter = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#capture) this.#capture.port.onmessage = null;
    this.#capture?.disconnect();
    this.#source?.disconnect();
    this.#media?.getTracks().forEach((t) => t.stop());
    this.#capture = null;
    this.#source = null;
    this.#media = null;
    const output = this.#output;
    this.#output = null;
    if (output) {
      output.end();
      // The fade-out plays before the node goes.
      setTimeout(() => output.dispose(), 50);
    }
    this.#client = null;
    this.#stream = null;
    this.levelDb = -120;
  }
}
