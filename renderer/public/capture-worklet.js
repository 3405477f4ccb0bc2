// The microphone's samples, as they arrive, to the page (lossless: no codec between the input and
// the WAV the engine writes). Loaded by renderer/src/lib/recorder.ts with audioWorklet.addModule.
class Capture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice());
    return true;
  }
}
registerProcessor('vae-studio-capture', Capture);
