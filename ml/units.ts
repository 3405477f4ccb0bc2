/** Named units: signatures say what a number means (after Tone.js). They are plain numbers at run time. */
export type Hertz = number;
export type Seconds = number;
export type Samples = number;
export type Decibels = number;
/** A value in [0, 1]. */
export type NormalRange = number;
/** Phase or phase increment in radians. */
export type Radians = number;
