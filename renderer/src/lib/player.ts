/**
 * Plays mono sounds through a master volume and a limiter, so nothing the app plays can blast
 * the listener (a DynamicsCompressor with a hard knee at −1 dBFS and a 20:1 ratio acts as one).
 * One sound at a time: a new one stops the last.
 */
export class Player {
  #context: AudioContext | null = null;
  #master: GainNode | null = null;
  #current: AudioBufferSourceNode | null = null;
  #volume = 0.8;
  onEnded: () => void = () => {};

  #graph(): { context: AudioContext; master: GainNode } {
    if (!this.#context || !this.#master) {
      const context = new AudioContext();
      const master = context.createGain();
      master.gain.value = this.#volume;
      const limiter = context.createDynamicsCompressor();
      limiter.threshold.value = -1;
      limiter.knee.value = 0;
      limiter.ratio.value = 20;
      limiter.attack.value = 0.002;
      limiter.release.value = 0.1;
      master.connect(limiter).connect(context.destination);
      this.#context = context;
      this.#master = master;
    }
    return { context: this.#context, master: this.#master };
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

  /** Where the next streamed chunk starts (AudioContext seconds). */
  #streamAt = 0;

  /**
   * Queues a chunk of a stream right after the previous one (gapless); after an underrun it starts
   * a few milliseconds from now. Returns how long until its first sample plays, in milliseconds —
   * or null when the chunk was dropped because more than `maxAheadMs` is queued already: the
   * engine's clock and the sound card's drift apart (and the card starts late), and a queue that
   * grows is latency the listener hears. A chunk marked `keep` (the sound of a move) is never dropped.
   */
  queue(
    samples: Float32Array,
    sampleRate: number,
    options: { maxAheadMs?: number; keep?: boolean } = {},
  ): number | null {
    const { context, master } = this.#graph();
    if (context.state === 'suspended') void context.resume();
    const safety = 0.004;
    if (this.#streamAt < context.currentTime + safety) this.#streamAt = context.currentTime + safety;
    const ahead = (this.#streamAt - context.currentTime) * 1000;
    if (!options.keep && ahead > (options.maxAheadMs ?? 25)) return null;
    const buffer = context.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(master);
    source.onended = () => source.disconnect();
    source.start(this.#streamAt);
    const wait = (this.#streamAt - context.currentTime) * 1000;
    this.#streamAt += buffer.duration;
    return wait;
  }

  /** The device's own output latency (ms), where the platform says. */
  get outputLatencyMs(): number | null {
    const c = this.#context;
    if (!c) return null;
    const latency = (c as AudioContext & { outputLatency?: number }).outputLatency || c.baseLatency;
    return Number.isFinite(latency) ? latency * 1000 : null;
  }

  async play(samples: Float32Array, sampleRate: number): Promise<void> {
    const { context, master } = this.#graph();
    if (context.state === 'suspended') await context.resume();
    this.stop();
    const buffer = context.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(master);
    source.onended = () => {
      if (this.#current === source) {
        this.#current = null;
        this.onEnded();
      }
    };
    this.#current = source;
    source.start();
  }

  stop(): void {
    const current = this.#current;
    this.#current = null;
    current?.stop();
    current?.disconnect();
  }

  async dispose(): Promise<void> {
    this.stop();
    await this.#context?.close();
    this.#context = null;
    this.#master = null;
  }
}
