// MIDI mapping, tested with MIDI messages as the bytes a device sends. (The Web MIDI device path
// itself, midi-input.ts, is untested: no MIDI device exists on the machines that run these tests.)
import { describe, expect, it } from 'vitest';
import { midiMapSchema } from '../../../common/protocol.js';
import {
  actionsFor,
  describeSource,
  MidiLearn,
  parseMidi,
  scale,
  withMapping,
  type MidiMap,
} from './midi-map.js';

const cc = (channel: number, controller: number, value: number) => [0xb0 | channel, controller, value];
const noteOn = (channel: number, note: number, velocity: number) => [0x90 | channel, note, velocity];
const noteOff = (channel: number, note: number) => [0x80 | channel, note, 64];
const bend = (channel: number, value14: number) => [0xe0 | channel, value14 & 0x7f, value14 >> 7];

describe('parseMidi', () => {
  it('reads controllers, notes and the pitch bend wheel, scaled to 0..1', () => {
    expect(parseMidi(cc(0, 21, 127))).toEqual({ type: 'cc', channel: 0, controller: 21, value: 1 });
    expect(parseMidi(cc(15, 7, 0))).toEqual({ type: 'cc', channel: 15, controller: 7, value: 0 });
    expect(parseMidi(noteOn(2, 60, 127))).toEqual({ type: 'noteon', channel: 2, note: 60, velocity: 1 });
    expect(parseMidi(noteOff(2, 60))).toEqual({ type: 'noteoff', channel: 2, note: 60 });
    // Running a note-on at velocity 0 is a note-off.
    expect(parseMidi(noteOn(2, 60, 0))).toEqual({ type: 'noteoff', channel: 2, note: 60 });
    expect(parseMidi(bend(0, 8192))).toEqual({ type: 'pitchbend', channel: 0, value: 8192 / 16383 });
    expect(parseMidi(bend(0, 16383))!).toMatchObject({ value: 1 });
  });

  it('ignores what it does not use and what is malformed', () => {
    expect(parseMidi([0xf8])).toBeNull(); // clock
    expect(parseMidi([0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7])).toBeNull(); // sysex
    expect(parseMidi([0xc0, 5])).toBeNull(); // program change
    expect(parseMidi([0xb0, 21])).toBeNull(); // cut short
    expect(parseMidi([0xb0, 200, 3])).toBeNull(); // data byte with the high bit
    expect(parseMidi([0x40, 1, 2])).toBeNull(); // no status byte
    expect(parseMidi([])).toBeNull();
  });
});

describe('scale', () => {
  it('applies the curve, then the range (reversed when min > max)', () => {
    expect(scale(0.5, { min: 0, max: 1, curve: 'linear' })).toBe(0.5);
    expect(scale(0.5, { min: 0, max: 1, curve: 'exponential' })).toBe(0.25);
    expect(scale(0.25, { min: 0, max: 1, curve: 'logarithmic' })).toBe(0.5);
    expect(scale(1, { min: 0.2, max: 0.6, curve: 'linear' })).toBeCloseTo(0.6);
    expect(scale(0, { min: 1, max: 0, curve: 'linear' })).toBe(1);
    expect(scale(7, { min: 0, max: 1, curve: 'linear' })).toBe(1);
  });
});

describe('learn, then play', () => {
  it('maps a knob to map X by moving it and clicking the target, and moves X with it', () => {
    const learn = new MidiLearn();
    let map: MidiMap = { mappings: [] };
    // Not armed: nothing is learned.
    expect(learn.hear(parseMidi(cc(0, 21, 10))!)).toBe(false);
    learn.arm();
    expect(learn.assign(map, { kind: 'mapX' })).toBeNull(); // no gesture yet
    learn.hear(parseMidi(cc(0, 20, 3))!);
    learn.hear(parseMidi(cc(0, 21, 64))!); // the last gesture counts
    expect(learn.hear(parseMidi(noteOff(0, 60))!)).toBe(false);
    map = learn.assign(map, { kind: 'mapX' })!;
    expect(map.mappings).toEqual([
      {
        source: { kind: 'cc', channel: 0, controller: 21 },
        target: { kind: 'mapX' },
        min: 0,
        max: 1,
        curve: 'linear',
      },
    ]);
    expect(learn.armed).toBe(false);
    expect(midiMapSchema.safeParse(map).success).toBe(true);

    expect(actionsFor(map, parseMidi(cc(0, 21, 127))!)).toEqual([{ kind: 'mapX', value: 1 }]);
    expect(actionsFor(map, parseMidi(cc(0, 21, 0))!)).toEqual([{ kind: 'mapX', value: 0 }]);
    // Another controller, another channel: not this mapping.
    expect(actionsFor(map, parseMidi(cc(0, 22, 127))!)).toEqual([]);
    expect(actionsFor(map, parseMidi(cc(1, 21, 127))!)).toEqual([]);
  });

  it('drives a latent dimension, the mix and the volume through their ranges and curves', () => {
    let map: MidiMap = { mappings: [] };
    map = withMapping(map, {
      source: { kind: 'cc', channel: 0, controller: 1 },
      target: { kind: 'latent', dim: 4 },
      min: 0.25,
      max: 0.75,
      curve: 'linear',
    });
    map = withMapping(map, {
      source: { kind: 'pitchbend', channel: 0 },
      target: { kind: 'mix' },
      min: 0,
      max: 1,
      curve: 'exponential',
    });
    map = withMapping(map, {
      source: { kind: 'cc', channel: 0, controller: 7 },
      target: { kind: 'volume' },
      min: 0,
      max: 1,
      curve: 'logarithmic',
    });
    const [latent] = actionsFor(map, parseMidi(cc(0, 1, 127))!);
    expect(latent).toEqual({ kind: 'latent', dim: 4, value: 0.75 });
    const [mix] = actionsFor(map, parseMidi(bend(0, 8192))!);
    expect(mix.kind).toBe('mix');
    expect((mix as { value: number }).value).toBeCloseTo((8192 / 16383) ** 2, 6);
    const [volume] = actionsFor(map, parseMidi(cc(0, 7, 32))!);
    expect((volume as { value: number }).value).toBeCloseTo(Math.sqrt(32 / 127), 6);
    expect(midiMapSchema.safeParse(map).success).toBe(true);
  });

  it('recalls a snapshot by its note, and plays snapshots from a keyboard one-shot', () => {
    const learn = new MidiLearn();
    let map: MidiMap = { mappings: [] };
    learn.arm();
    learn.hear(parseMidi(noteOn(9, 36, 100))!);
    // A note cannot drive a knob's target.
    expect(learn.assign(map, { kind: 'mapY' })).toBeNull();
    map = learn.assign(map, { kind: 'snapshot', index: 3, play: false })!;
    learn.arm();
    learn.hear(parseMidi(noteOn(0, 60, 100))!);
    map = learn.assign(map, { kind: 'keys', play: true })!;

    expect(actionsFor(map, parseMidi(noteOn(9, 36, 127))!)).toEqual([{ kind: 'recall', index: 3 }]);
    expect(actionsFor(map, parseMidi(noteOff(9, 36))!)).toEqual([]);
    expect(actionsFor(map, parseMidi(noteOn(0, 60, 127))!)).toEqual([
      { kind: 'play', index: 1, velocity: 1 },
    ]);
    expect(actionsFor(map, parseMidi(noteOn(0, 64, 64))!)).toEqual([
      { kind: 'play', index: 5, velocity: 64 / 127 },
    ]);
    // Below the keyboard's first note: nothing.
    expect(actionsFor(map, parseMidi(noteOn(0, 59, 127))!)).toEqual([]);
    expect(describeSource(map.mappings[1].source)).toBe('note C4, channel 1');
  });

  it('gives one job per control and one control per continuous target', () => {
    let map: MidiMap = { mappings: [] };
    const k21 = { kind: 'cc' as const, channel: 0, controller: 21 };
    const k22 = { kind: 'cc' as const, channel: 0, controller: 22 };
    map = withMapping(map, { source: k21, target: { kind: 'mapX' }, min: 0, max: 1, curve: 'linear' });
    map = withMapping(map, { source: k21, target: { kind: 'mapY' }, min: 0, max: 1, curve: 'linear' });
    expect(map.mappings.map((m) => m.target.kind)).toEqual(['mapY']);
    map = withMapping(map, { source: k22, target: { kind: 'mapY' }, min: 0, max: 1, curve: 'linear' });
    expect(map.mappings).toHaveLength(1);
    expect(map.mappings[0].source).toEqual(k22);
  });
});
