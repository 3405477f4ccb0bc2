/**
 * Real recordings for tests and benchmarks, made on demand with Debian's espeak-ng (speech) and
 * fluidsynth + fluid-soundfont-gm (instruments), cached in test/.fixtures/. Nothing here is committed
 * audio: the same commands make the same files on any machine with those packages.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../main/package-info.js';

export const FIXTURE_DIR = join(packageRoot(), 'test', '.fixtures');
const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';

export type FixtureKind = 'speech' | 'instrument';
export interface Fixture {
  name: string;
  kind: FixtureKind;
  path: string;
}

const SPEECH_TEXT = [
  'The quick brown fox jumps over the lazy dog, while seven wizards quietly judge the boxing match.',
  'Every spectral frame holds two hundred and fifty six numbers, and the model learns what they share.',
];

const LONG_TEXT =
  'Sound designers build new sounds from old ones. They record voices, instruments and noises, ' +
  'cut them into pieces, and bend those pieces until something new appears. A variational autoencoder ' +
  'learns a small space in which every point is a sound, so that moving through that space changes ' +
  'the sound smoothly. This recording is long on purpose: it measures how fast the phase reconstruction ' +
  'runs on a minute of speech, and whether its quality holds over many different words and pauses. ' +
  'The speaker reads slowly and clearly, with full stops between the sentences. Numbers such as one, ' +
  'two, three, four, five, six, seven, eight, nine and ten are spoken as words. The end of the minute ' +
  'comes after a few more sentences about weather, rivers, mountains, trains and the quiet of the night. ' +
  'Rain falls on the river. Trains cross the mountains. The night is quiet, and the recording ends here.';

/** General MIDI programs and a short phrase for each instrument fixture. */
const INSTRUMENTS: { name: string; program: number; notes: [number, number, number][] }[] = [
  { name: 'piano', program: 0, notes: phrase([60, 64, 67, 72, 67, 64, 62, 65, 69, 72], 0.45, [48, 55]) },
  { name: 'strings', program: 48, notes: phrase([57, 60, 64, 62, 65, 69], 0.8, [45]) },
  { name: 'guitar', program: 24, notes: phrase([52, 55, 59, 64, 59, 55, 57, 60, 64, 69], 0.4, [40]) },
  { name: 'flute', program: 73, notes: phrase([72, 74, 76, 79, 76, 74, 72], 0.6, []) },
];

/** Notes as [start seconds, duration seconds, key]: a melody plus held bass notes under it. */
function phrase(melody: number[], step: number, bass: number[]): [number, number, number][] {
  const notes: [number, number, number][] = melody.map((key, i) => [i * step, step * 0.95, key]);
  const total = melody.length * step;
  bass.forEach((key) => notes.push([0, total, key]));
  return notes;
}

function vlq(value: number): number[] {
  const bytes = [value & 0x7f];
  while ((value >>= 7) > 0) bytes.unshift((value & 0x7f) | 0x80);
  return bytes;
}

/** A format-0 Standard MIDI File (480 ticks per quarter at 120 bpm: 960 ticks a second). */
export function midiFile(program: number, notes: [number, number, number][]): Uint8Array {
  const events: { tick: number; bytes: number[] }[] = [{ tick: 0, bytes: [0xc0, program] }];
  for (const [start, duration, key] of notes) {
    events.push({ tick: Math.round(start * 960), bytes: [0x90, key, 96] });
    events.push({ tick: Math.round((start + duration) * 960), bytes: [0x80, key, 0] });
  }
  events.sort((a, b) => a.tick - b.tick);
  const track: number[] = [];
  let last = 0;
  for (const e of events) {
    track.push(...vlq(e.tick - last), ...e.bytes);
    last = e.tick;
  }
  track.push(...vlq(960), 0xff, 0x2f, 0x00); // a second of release, then end of track
  const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0];
  const len = track.length;
  return Uint8Array.from([
    ...header,
    0x4d,
    0x54,
    0x72,
    0x6b,
    (len >>> 24) & 0xff,
    (len >>> 16) & 0xff,
    (len >>> 8) & 0xff,
    len & 0xff,
    ...track,
  ]);
}

function cached(name: string, make: (tmp: string) => void): string {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const path = join(FIXTURE_DIR, name);
  if (!existsSync(path)) {
    const tmp = `${path}.${process.pid}.tmp`;
    make(tmp);
    renameSync(tmp, path);
  }
  return path;
}

export function speechFixture(index = 0): Fixture {
  const name = `speech-${index}.wav`;
  const path = cached(name, (tmp) =>
    execFileSync('espeak-ng', [
      '-v',
      index % 2 ? 'en-us' : 'en',
      '-s',
      '150',
      '-w',
      tmp,
      SPEECH_TEXT[index % SPEECH_TEXT.length],
    ]),
  );
  return { name, kind: 'speech', path };
}

/** About 70 seconds of speech. */
export function longSpeechFixture(): Fixture {
  const name = 'speech-long.wav';
  const path = cached(name, (tmp) =>
    execFileSync('espeak-ng', ['-v', 'en', '-s', '120', '-w', tmp, LONG_TEXT]),
  );
  return { name, kind: 'speech', path };
}

export function instrumentFixture(index = 0): Fixture {
  const inst = INSTRUMENTS[index % INSTRUMENTS.length];
  const name = `${inst.name}.wav`;
  const path = cached(name, (tmp) => {
    const mid = `${tmp}.mid`;
    writeFileSync(mid, midiFile(inst.program, inst.notes));
    execFileSync('fluidsynth', [
      '-ni',
      '-q',
      '-g',
      '0.7',
      '-r',
      '22050',
      '-T',
      'wav',
      '-O',
      's16',
      '-F',
      tmp,
      SOUNDFONT,
      mid,
    ]);
  });
  return { name, kind: 'instrument', path };
}

export function allFixtures(): Fixture[] {
  return [speechFixture(0), speechFixture(1), ...INSTRUMENTS.map((_, i) => instrumentFixture(i))];
}
