// Live audition: a model's sound at a moving point of its latent map, synthesised frame by frame
// with RTPGHI (ml/synth/stream.ts) and streamed to the UI as 'audio' events, one hop of 128
// samples at a time, paced by the wall clock a few hops ahead of real time. A move takes effect at
// once: the next frames are made from the new point and sent straight away, and the first chunk
// that carries the changed sound echoes the move's timestamp, so the UI can measure the latency
// from its pointer event to that sound.
import type { StudioEvent } from '../../common/api.js';
import { fromUnitFrames } from '../../ml/features/scale.js';
import { createRealFft, type RealFft } from '../../ml/synth/fft.js';
import { RtPghiSynth } from '../../ml/synth/stream.js';
import type { VaeModel } from '../../ml/vae/vae-model.js';

/** Hops produced ahead of the wall clock: the stream's own latency, traded against gaps. */
const LEAD_HOPS = 2;
const TICK_MS = 5;
/** An audition that hears no move for this long stops by itself (a closed window, a lost client). */
const IDLE_STOP_MS = 60_000;

interface Stream {
  id: number;
  model: VaeModel;
  fft: RealFft;
  synth: RtPghiSynth;
  z: Float32Array;
  startedAt: number;
  hops: number;
  /** The timestamp of the last move whose changed sound has not been sent yet. */
  pendingEcho: number | null;
  /** Frames still to push before the move's frame comes out of RTPGHI's one-frame delay. */
  echoAfter: number;
  lastMove: number;
  timer: ReturnType<typeof setInterval>;
}

export class Auditions {
  readonly #streams = new Map<number, Stream>();
  readonly #emit: (event: StudioEvent) => void;
  #next = 1;

  constructor(emit: (event: StudioEvent) => void) {
    this.#emit = emit;
  }

  async start(
    model: VaeModel,
    p1: number,
    p2: number,
  ): Promise<{ stream: number; sampleRate: number; hop: number }> {
    const settings = model.studio.frames;
    const fft = await createRealFft(settings.windowSize);
    const id = this.#next++;
    const stream: Stream = {
      id,
      model,
      fft,
      synth: new RtPghiSynth(fft, settings),
      z: model.mapPointToLatent(p1, p2),
      startedAt: performance.now(),
      hops: 0,
      pendingEcho: null,
      echoAfter: 0,
      lastMove: performance.now(),
      timer: setInterval(() => this.#tick(stream), TICK_MS),
    };
    this.#streams.set(id, stream);
    this.#tick(stream);
    return { stream: id, sampleRate: settings.sampleRate, hop: settings.hop };
  }

  move(id: number, p1: number, p2: number, sentAt: number): void {
    const stream = this.#streams.get(id);
    if (stream) this.moveTo(id, stream.model.mapPointToLatent(p1, p2), sentAt);
  }

  moveTo(id: number, z: Float32Array, sentAt: number): void {
    const stream = this.#streams.get(id);
    if (!stream || z.length !== stream.model.latent) return;
    stream.z = Float32Array.from(z);
    stream.pendingEcho = sentAt;
    // The frame made from the new point leaves RTPGHI one push later.
    stream.echoAfter = 2;
    stream.lastMove = performance.now();
    this.#produce(stream, 2);
  }

  stop(id: number): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    clearInterval(stream.timer);
    stream.fft.dispose();
    this.#streams.delete(id);
  }

  dispose(): void {
    for (const id of [...this.#streams.keys()]) this.stop(id);
  }

  #tick(stream: Stream): void {
    const now = performance.now();
    if (now - stream.lastMove > IDLE_STOP_MS) return this.stop(stream.id);
    const settings = stream.model.studio.frames;
    const due =
      Math.floor(((now - stream.startedAt) / 1000) * (settings.sampleRate / settings.hop)) + LEAD_HOPS;
    if (due > stream.hops) this.#produce(stream, Math.min(due - stream.hops, 64));
  }

  /** Makes `count` hops of audio from the current point and sends them as one chunk. */
  #produce(stream: Stream, count: number): void {
    const { model } = stream;
    const settings = model.studio.frames;
    const z = new Float32Array(count * model.latent);
    for (let i = 0; i < count; i++) z.set(stream.z, i * model.latent);
    const unit = model.decode(z);
    const magnitude = fromUnitFrames(unit, model.studio.ref, settings.floorDb);
    const bins = settings.bins;
    const frame = new Float32Array(bins + 1);
    const samples = new Float32Array(count * settings.hop);
    let filled = 0;
    let echo: number | undefined;
    for (let i = 0; i < count; i++) {
      frame.set(magnitude.subarray(i * bins, (i + 1) * bins));
      const out = stream.synth.push(frame);
      samples.set(out, filled);
      filled += out.length;
      if (stream.pendingEcho !== null && --stream.echoAfter <= 0) {
        echo = stream.pendingEcho;
        stream.pendingEcho = null;
      }
    }
    stream.hops += count;
    this.#emit({
      type: 'audio',
      stream: stream.id,
      samples: samples.subarray(0, filled),
      ...(echo !== undefined ? { echo } : {}),
    });
  }
}
