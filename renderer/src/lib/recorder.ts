/**
 * Records the microphone: the raw samples through an AudioWorklet (renderer/public/capture-worklet.js)
 * and the level for a meter. One recording at a time; stop() hands back everything recorded.
 */
export interface InputDevice {
  id: string;
  label: string;
}

export class Recorder {
  #context: AudioContext | null = null;
  #stream: MediaStream | null = null;
  #node: AudioWorkletNode | null = null;
  #chunks: Float32Array[] = [];
  /** The last chunk's peak level, 0..1, for the meter. */
  level = 0;

  static async devices(): Promise<InputDevice[]> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all
      .filter((d) => d.kind === 'audioinput')
      .map((d, i) => ({ id: d.deviceId, label: d.label || `Input ${i + 1}` }));
  }

  get recording(): boolean {
    return this.#node !== null;
  }

  async start(deviceId?: string): Promise<void> {
    if (this.#node) return;
    // No processing: a sound designer wants what the microphone hears.
    this.#stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
        echoCancellation: false,
        noiseSuppression: false,
        autoGainControl: false,
        channelCount: 1,
      },
    });
    const context = new AudioContext();
    await context.audioWorklet.addModule(new URL('capture-worklet.js', document.baseURI).href);
    const source = context.createMediaStreamSource(this.#stream);
    const node = new AudioWorkletNode(context, 'vae-studio-capture');
    this.#chunks = [];
    node.port.onmessage = (e: MessageEvent<Float32Array>) => {
      this.#chunks.push(e.data);
      let peak = 0;
      for (const v of e.data) peak = Math.max(peak, Math.abs(v));
      this.level = peak;
    };
    source.connect(node);
    this.#context = context;
    this.#node = node;
  }

  /** Stops and returns the recording (mono) and its rate. */
  async stop(): Promise<{ samples: Float32Array; sampleRate: number }> {
    const context = this.#context;
    const sampleRate = context?.sampleRate ?? 48000;
    this.#node?.disconnect();
    this.#node = null;
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
    await context?.close();
    this.#context = null;
    this.level = 0;
    const length = this.#chunks.reduce((n, c) => n + c.length, 0);
    const samples = new Float32Array(length);
    let at = 0;
    for (const c of this.#chunks) {
      samples.set(c, at);
      at += c.length;
    }
    this.#chunks = [];
    return { samples, sampleRate };
  }
}
