import type { LiveOutput } from './live-output.js';
import { liveProbe } from './live-probe.js';
import type { Player } from './player.js';
import type { AuditionStream, LatentMap, StudioClient } from './types.js';

interface Chunk {
  stream: number;
  samples: Float32Array;
  echo?: number;
  /** The sample of the chunk where the echoed move's glide begins (the engine's word for it). */
  echoAt?: number;
  trace?: Float32Array;
}

/** Latencies kept for the diagnostics panel (the most recent ones). */
const LATENCY_WINDOW = 100;

/** What the explorer shows and plays: the map of one model, and the last thing heard from it. */
export class Explorer {
  model = $state<string | null>(null);
  map = $state.raw<LatentMap | null>(null);
  loading = $state(false);
  /** What is playing, in words ("bells.wav at 1.25 s", "the point (0.50, −1.20)"). */
  hearing = $state<string | null>(null);
  error = $state<string | null>(null);
  /** What is heard, for the map to mark: a training frame, or a point of the plane. */
  played = $state.raw<
    | { kind: 'frame'; index: number; label?: string }
    | { kind: 'point'; p1: number; p2: number; label?: string }
    | null
  >(null);
  /** Why the last live audition ended by itself (its model deleted, idle a minute, an error). */
  ended = $state<string | null>(null);
  readonly #audio = new Map<string, { samples: Float32Array; sampleRate: number }>();
  /** The live audition, while one runs. */
  audition = $state.raw<AuditionStream | null>(null);
  /**
   * Pointer event to the first sample of the glide toward its point leaving the limiter, ms, most
   * recent last (the device's output latency comes on top).
   */
  latencies = $state.raw<number[]>([]);
  /** How the chunks reach the audio thread: shared memory, or messages where the page is not isolated. */
  feed = $state<'shared memory' | 'messages' | null>(null);
  /** The device's own output latency (ms), beside ours, where the platform says. */
  outputLatency = $state<number | null>(null);
  #starting: Promise<void> | null = null;
  #live: LiveOutput | null = null;
  /** Latencies measured since the figures were last shown. */
  #measured: number[] = [];
  #publish: ReturnType<typeof setTimeout> | null = null;
  /** Chunks that arrived while the audition was starting (the engine sends before it answers). */
  #early: Chunk[] = [];

  readonly medianLatency = $derived.by(() => {
    if (this.latencies.length === 0) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  });

  async startAudition(client: StudioClient, player: Player, p1: number, p2: number): Promise<void> {
    if (!this.model || this.audition || this.#starting) return;
    this.latencies = [];
    this.#measured = [];
    this.ended = null;
    this.#starting = (async () => {
      try {
        const live = await player.live();
        this.#attach(player, live);
        this.#early = [];
        const audition = await client.startAudition(
          this.model!,
          p1,
          p2,
          liveProbe ? { trace: true } : undefined,
        );
        const first = live.begin(audition.sampleRate);
        liveProbe?.starts.push({ ...audition, index: first });
        this.audition = audition;
        this.outputLatency = player.outputLatencyMs;
        this.hearing = 'live audition';
        for (const chunk of this.#early) if (chunk.stream === audition.stream) this.#play(chunk);
      } catch (err) {
        this.error = (err as Error).message;
      } finally {
        this.#early = [];
        this.#starting = null;
      }
    })();
    await this.#starting;
  }

  /** The live output's echoes become latencies (once per output: it outlives auditions). */
  #attach(player: Player, live: LiveOutput): void {
    if (this.#live === live) return;
    this.#live = live;
    this.feed = live.shared ? 'shared memory' : 'messages';
    live.onEcho = (sentAt, frame) => {
      const ms = player.latencySince(sentAt, frame);
      this.outputLatency = player.outputLatencyMs;
      if (ms === null || !this.audition) return;
      liveProbe?.latencies.push({ sentAt, frame, ms });
      this.#measured.push(ms);
      // Shown four times a second: a render per echo would be main-thread time the audio's chunks wait for.
      if (this.#publish === null)
        this.#publish = setTimeout(() => {
          this.#publish = null;
          if (this.#measured.length === 0 || !this.audition) return;
          this.latencies = [...this.latencies, ...this.#measured].slice(-LATENCY_WINDOW);
          this.#measured = [];
        }, 250);
    };
    if (liveProbe) live.onReport = (report) => liveProbe!.reports.push(report);
  }

  moveAudition(client: StudioClient, p1: number, p2: number, eventTime: number): void {
    if (!this.audition) return;
    liveProbe?.moves.push({ stream: this.audition.stream, p1, p2, sentAt: eventTime });
    client
      .moveAudition(this.audition.stream, p1, p2, eventTime)
      .catch((err: Error) => (this.error = err.message));
  }

  async stopAudition(client: StudioClient): Promise<void> {
    const stream = this.audition;
    this.audition = null;
    if (stream) this.#live?.end();
    if (stream) await client.stopAudition(stream.stream).catch(() => undefined);
    if (this.hearing === 'live audition') this.hearing = null;
  }

  /** The engine ended a live audition of this window by itself: let it go, and say why. */
  onEnded(stream: number, reason: string): void {
    if (this.audition?.stream !== stream) return;
    this.audition = null;
    this.#live?.end();
    this.latencies = [];
    if (this.hearing === 'live audition') this.hearing = null;
    this.ended = `Live audition ended: ${reason}`;
  }

  /** A chunk of the live audition, to the live output. */
  onAudio(stream: number, samples: Float32Array, echo?: number, trace?: Float32Array, echoAt?: number): void {
    const chunk = { stream, samples, echo, trace, echoAt };
    if (!this.audition && this.#starting) this.#early.push(chunk);
    else if (this.audition?.stream === stream) this.#play(chunk);
  }

  /**
   * Writes a chunk; a move's echo marks the first sample of the glide, which the engine names
   * (`echoAt`). An engine that does not name it is read as before: the glide's first hop is the
   * chunk's second when it has two or more hops, else its first (one hop late at worst).
   */
  #play(chunk: Chunk): void {
    const live = this.#live;
    const audition = this.audition;
    if (!live || !audition) return;
    const hops = Math.round(chunk.samples.length / audition.hop);
    const echoOffset = chunk.echo === undefined ? null : (chunk.echoAt ?? (hops >= 2 ? audition.hop : 0));
    const index = live.write(
      chunk.samples,
      chunk.echo !== undefined ? { offset: echoOffset!, sentAt: chunk.echo } : undefined,
    );
    liveProbe?.chunks.push({
      stream: chunk.stream,
      index,
      samples: chunk.samples.slice(),
      echo: chunk.echo ?? null,
      echoOffset,
      trace: chunk.trace ? chunk.trace.slice() : null,
      at: performance.now(),
    });
  }

  async open(client: StudioClient, model: string): Promise<void> {
    this.model = model;
    this.map = null;
    this.error = null;
    this.ended = null;
    this.loading = true;
    try {
      const map = await client.with({ timeoutMs: 0 }).getMap(model);
      if (this.model === model) this.map = map;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** Plays half a second of the source around training frame `index`. */
  /** The latest request to hear something: an older one that finishes later is dropped, not played. */
  #ticket = 0;

  async playFrame(client: StudioClient, player: Player, index: number): Promise<void> {
    const map = this.map;
    if (!map) return;
    const ticket = ++this.#ticket;
    const source = map.sources[map.source[index]];
    let audio = this.#audio.get(source);
    if (!audio) {
      audio = await client.getSourceAudio(source);
      this.#audio.set(source, audio);
    }
    const centre = map.frame[index] * map.hopSeconds;
    const from = Math.max(0, Math.round((centre - 0.25) * audio.sampleRate));
    const to = Math.min(audio.samples.length, Math.round((centre + 0.25) * audio.sampleRate));
    if (ticket !== this.#ticket) return;
    await player.play(audio.samples.slice(from, to), audio.sampleRate);
    this.hearing = `${source} at ${centre.toFixed(2)} s`;
    this.played = { kind: 'frame', index };
  }

  async playPoint(client: StudioClient, player: Player, p1: number, p2: number): Promise<void> {
    if (!this.model) return;
    const ticket = ++this.#ticket;
    try {
      const audio = await client.renderPoint(this.model, p1, p2, 1);
      if (ticket !== this.#ticket) return;
      await player.play(audio.samples, audio.sampleRate);
      this.hearing = `the point (${p1.toFixed(2)}, ${p2.toFixed(2)})`;
      this.played = { kind: 'point', p1, p2 };
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Closes the map (its model was deleted). */
  close(): void {
    this.model = null;
    this.map = null;
    this.hearing = null;
    this.played = null;
    this.ended = null;
  }

  /** Forgets cached audio (after an import or removal the project's sources may differ). */
  forget(): void {
    this.#audio.clear();
  }
}
