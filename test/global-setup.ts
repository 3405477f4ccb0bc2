import { allFixtures, longSpeechFixture } from './fixtures.js';

/** Makes the recorded fixtures once, before test files run in parallel workers. */
export default function setup(): void {
  allFixtures();
  longSpeechFixture();
}
