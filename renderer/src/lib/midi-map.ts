// MIDI control's logic (docs/design.md, "Control: OSC and MIDI"), pure so it is tested with MIDI
// messages as bytes: what a message is, what a learned mapping makes of it, and the learn mode
// (move a knob, then click the target). The Web MIDI device path (midi-input.ts) only hands this
// module the bytes of each message.
import type { MidiMap, MidiMapping, MidiSource, MidiTarget } from '../../../common/api.js';

export type { MidiMap, MidiMapping, MidiSource, MidiTarget };

/** A channel message we use; values scaled to 0..1. Channels 0–15 (shown as 1–16). */
export type MidiEvent =
  | { type: 'cc'; channel: number; controller: number; value: number }
  | { type: 'noteon'; channel: number; note: number; velocity: number }
  | { type: 'noteoff'; channel: number; note: number }
  | { type: 'pitchbend'; channel: number; value: number };

/**
 * One MIDI message's bytes (as Web MIDI's MIDIMessageEvent.data gives them) as an event; null for
 * what we do not use (system messages, clock, aftertouch, program change) or malformed bytes.
 * A note-on with velocity 0 is a note-off, as the MIDI standard says.
 */
export function parseMidi(data: ArrayLike<number>): MidiEvent | null {
  if (data.length < 2) return null;
  const status = data[0];
  if (status < 0x80 || status >= 0xf0) return null;
  const kind = status & 0xf0;
  const channel = status & 0x0f;
  const d1 = data[1];
  const d2 = data.length > 2 ? data[2] : -1;
  if (d1 > 127 || d1 < 0) return null;
  switch (kind) {
    case 0xb0:
      return d2 >= 0 && d2 <= 127 ? { type: 'cc', channel, controller: d1, value: d2 / 127 } : null;
    case 0x90:
      if (d2 < 0 || d2 > 127) return null;
      return d2 === 0
        ? { type: 'noteoff', channel, note: d1 }
        : { type: 'noteon', channel, note: d1, velocity: d2 / 127 };
    case 0x80:
      return d2 >= 0 && d2 <= 127 ? { type: 'noteoff', channel, note: d1 } : null;
    case 0xe0:
      // 14 bits, least significant first; 8192 is the centre (0.5).
      return d2 >= 0 && d2 <= 127 ? { type: 'pitchbend', channel, value: ((d2 << 7) | d1) / 16383 } : null;
    default:
      return null;
  }
}

/** What a learn captures from an event: its source (a note-off is not a gesture to learn). */
export function sourceOf(event: MidiEvent): MidiSource | null {
  switch (event.type) {
    case 'cc':
      return { kind: 'cc', channel: event.channel, controller: event.controller };
    case 'noteon':
      return { kind: 'note', channel: event.channel, note: event.note };
    case 'pitchbend':
      return { kind: 'pitchbend', channel: event.channel };
    default:
      return null;
  }
}

/** The source in words, as the panel lists it ("CC 21, channel 1"). */
export function describeSource(source: MidiSource): string {
  const ch = `channel ${source.channel + 1}`;
  if (source.kind === 'cc') return `CC ${source.controller}, ${ch}`;
  if (source.kind === 'note') return `note ${noteName(source.note)}, ${ch}`;
  return `pitch bend, ${ch}`;
}

export function describeTarget(target: MidiTarget): string {
  switch (target.kind) {
    case 'mapX':
      return 'map X';
    case 'mapY':
      return 'map Y';
    case 'latent':
      return `z${target.dim + 1}`;
    case 'mix':
      return 'live mix';
    case 'volume':
      return 'volume';
    case 'snapshot':
      return `${target.play ? 'play' : 'recall'} snapshot ${target.index}`;
    case 'keys':
      return `snapshots on the keys (${target.play ? 'play' : 'recall'})`;
  }
}

const NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];
/** Middle C (60) is C4. */
export function noteName(note: number): string {
  return `${NAMES[note % 12]}${Math.floor(note / 12) - 1}`;
}

/** Whether a target takes a continuous value (a knob, a fader, the wheel) or a note. */
export function continuous(target: MidiTarget): boolean {
  return target.kind !== 'snapshot' && target.kind !== 'keys';
}

/** The mapping a learn makes: the full range, linear. A note can only drive a note target, and a knob a continuous one. */
export function learnMapping(source: MidiSource, target: MidiTarget): MidiMapping | null {
  if ((source.kind === 'note') === continuous(target)) return null;
  return { source, target, min: 0, max: 1, curve: 'linear' };
}

/**
 * Adds a mapping, replacing any other from the same source (one control, one job) and, for a
 * continuous target, any other to the same target (two knobs fighting over one value is never meant).
 */
export function withMapping(map: MidiMap, mapping: MidiMapping): MidiMap {
  const same = (a: MidiSource, b: MidiSource) => JSON.stringify(a) === JSON.stringify(b);
  const sameTarget = (a: MidiTarget, b: MidiTarget) => JSON.stringify(a) === JSON.stringify(b);
  return {
    mappings: [
      ...map.mappings.filter(
        (m) =>
          !same(m.source, mapping.source) &&
          !(continuous(mapping.target) && sameTarget(m.target, mapping.target)),
      ),
      mapping,
    ],
  };
}

/** The curve, then the range: 0..1 in, the target's units out. */
export function scale(value: number, mapping: Pick<MidiMapping, 'min' | 'max' | 'curve'>): number {
  const v = Math.min(1, Math.max(0, value));
  const shaped = mapping.curve === 'exponential' ? v * v : mapping.curve === 'logarithmic' ? Math.sqrt(v) : v;
  return mapping.min + (mapping.max - mapping.min) * shaped;
}

/** What the window does for an event. */
export type MidiAction =
  | { kind: 'mapX' | 'mapY' | 'mix' | 'volume'; value: number }
  | { kind: 'latent'; dim: number; value: number }
  /** Snapshot `index` (1-based): recall moves the point there; play sounds it once at `velocity`. */
  | { kind: 'recall'; index: number }
  | { kind: 'play'; index: number; velocity: number };

function matches(source: MidiSource, event: MidiEvent): boolean {
  if (source.channel !== event.channel) return false;
  if (source.kind === 'cc') return event.type === 'cc' && event.controller === source.controller;
  if (source.kind === 'pitchbend') return event.type === 'pitchbend';
  return event.type === 'noteon';
}

/** Every action the mappings make of one event, in the order of the mappings. */
export function actionsFor(map: MidiMap, event: MidiEvent): MidiAction[] {
  const out: MidiAction[] = [];
  for (const m of map.mappings) {
    if (!matches(m.source, event)) continue;
    const t = m.target;
    if (event.type === 'noteon') {
      if (m.source.kind !== 'note') continue;
      let index: number;
      if (t.kind === 'snapshot') {
        if (event.note !== m.source.note) continue;
        index = t.index;
      } else if (t.kind === 'keys') {
        if (event.note < m.source.note) continue;
        index = event.note - m.source.note + 1;
      } else continue;
      out.push(t.play ? { kind: 'play', index, velocity: event.velocity } : { kind: 'recall', index });
      continue;
    }
    if (event.type !== 'cc' && event.type !== 'pitchbend') continue;
    const value = scale(event.value, m);
    if (t.kind === 'latent') out.push({ kind: 'latent', dim: t.dim, value });
    else if (t.kind === 'mapX' || t.kind === 'mapY' || t.kind === 'mix' || t.kind === 'volume')
      out.push({ kind: t.kind, value });
  }
  return out;
}

/**
 * Learn mode: armed, it keeps the last gesture's source; a click on a target then makes the
 * mapping. Disarmed, it ignores everything.
 */
export class MidiLearn {
  armed = false;
  source: MidiSource | null = null;

  arm(): void {
    this.armed = true;
    this.source = null;
  }

  cancel(): void {
    this.armed = false;
    this.source = null;
  }

  /** An event while armed: remembered when it is a gesture (a knob moved, a key pressed). */
  hear(event: MidiEvent): boolean {
    if (!this.armed) return false;
    const source = sourceOf(event);
    if (!source) return false;
    this.source = source;
    return true;
  }

  /** The target clicked: the new map, or null when no gesture was heard or it cannot drive the target. */
  assign(map: MidiMap, target: MidiTarget): MidiMap | null {
    if (!this.armed || !this.source) return null;
    const mapping = learnMapping(this.source, target);
    if (!mapping) return null;
    this.cancel();
    return withMapping(map, mapping);
  }
}
