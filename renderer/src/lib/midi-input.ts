// Web MIDI in the window (docs/design.md, "Control: OSC and MIDI"): every input's messages, as
// bytes, to one handler (ControlLink.onMidiMessage, which maps them with midi-map.ts). Access is
// asked without system exclusive (the desktop app grants 'midi' and refuses 'midiSysex'). In a
// browser Web MIDI needs a secure context (localhost or https) and, in Chromium, the user's leave.
//
// UNTESTED: no MIDI device exists on the machines that run this project's tests, so this path —
// requestMIDIAccess, the device list, messages from a real device — has never run here. The logic
// it feeds (midi-map.ts) is unit-tested with MIDI messages.

export interface MidiDevice {
  id: string;
  name: string;
}

export class MidiInput {
  /** The inputs now connected. */
  devices: MidiDevice[] = [];
  onDevices: (devices: MidiDevice[]) => void = () => {};
  #access: MIDIAccess | null = null;
  readonly #onMessage: (data: Uint8Array) => void;
  readonly #listener = (event: Event) => {
    const data = (event as MIDIMessageEvent).data;
    if (data) this.#onMessage(data);
  };

  constructor(onMessage: (data: Uint8Array) => void) {
    this.#onMessage = onMessage;
  }

  /** Whether this browser has Web MIDI at all. */
  static get available(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.requestMIDIAccess === 'function';
  }

  /** Asks for MIDI (no sysex) and listens to every input, now and as devices come and go. */
  async enable(): Promise<void> {
    if (!MidiInput.available)
      throw new Error('This browser has no Web MIDI (Chromium-based browsers and the desktop app do)');
    if (this.#access) return;
    const access = await navigator.requestMIDIAccess({ sysex: false });
    this.#access = access;
    access.onstatechange = () => this.#refresh();
    this.#refresh();
  }

  #refresh(): void {
    const access = this.#access;
    if (!access) return;
    const devices: MidiDevice[] = [];
    access.inputs.forEach((input) => {
      // Setting the listener again is harmless; a new device gets it here.
      input.removeEventListener('midimessage', this.#listener);
      input.addEventListener('midimessage', this.#listener);
      devices.push({ id: input.id, name: input.name ?? input.id });
    });
    this.devices = devices;
    this.onDevices(devices);
  }

  dispose(): void {
    const access = this.#access;
    if (!access) return;
    access.onstatechange = null;
    access.inputs.forEach((input) => input.removeEventListener('midimessage', this.#listener));
    this.#access = null;
    this.devices = [];
  }
}
