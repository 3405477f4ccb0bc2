// The map lab (renderer/map-lab.html): LatentMapView alone on a synthetic map, with no engine, for
// the map's benchmark and screenshots (test/e2e/map.spec.ts). Query: points (default 200,000),
// sources (8). What it drew is on window.__mapLab, with the map.
import { mount } from 'svelte';
import '../app.css';
import LatentMapView from '../components/LatentMapView.svelte';
import { syntheticMap } from './map-synthetic.js';
import type { MapPlaying } from './map-view.js';
import type { LatentMap } from './types.js';

export interface MapLab {
  map: LatentMap;
  /** performance.now() at the end of each draw, and the draw call's own time (ms). */
  draws: { at: number; ms: number }[];
  /** What the map asked to play, last first. */
  heard: string[];
}

const query = new URLSearchParams(location.search);
const points = Number(query.get('points') ?? 200_000);
const map = syntheticMap(points, Number(query.get('sources') ?? 8));
const lab: MapLab = { map, draws: [], heard: [] };
(window as unknown as { __mapLab: MapLab }).__mapLab = lab;

const state = $state({
  cursor: [0.8, 0.6] as [number, number],
  live: false,
  playing: null as MapPlaying | null,
});

const target = document.getElementById('lab')!;
target.style.cssText = 'height: 100vh; box-sizing: border-box; padding: 0.75rem 1rem;';
mount(LatentMapView, {
  target,
  props: {
    map,
    get cursor() {
      return state.cursor;
    },
    get live() {
      return state.live;
    },
    get playing() {
      return state.playing;
    },
    snapshots: [
      { name: 'bright', z: [2.2, -1.1, 0, 0, 0, 0, 0, 0] },
      { name: 'dark', z: [-2.4, 1.3, 0, 0, 0, 0, 0, 0] },
    ],
    names: { 'synthetic-1.wav': 'Voice (renamed)' },
    onframe: (index: number) => {
      state.playing = { kind: 'frame', index };
      lab.heard.unshift(`frame ${index}`);
    },
    onpoint: (p1: number, p2: number) => {
      state.playing = { kind: 'point', p1, p2 };
      lab.heard.unshift(`point ${p1.toFixed(2)} ${p2.toFixed(2)}`);
    },
    onlive: (on: boolean) => (state.live = on),
    onmove: () => undefined,
    oncursor: (p1: number, p2: number) => (state.cursor = [p1, p2]),
    ondraw: (ms: number) => lab.draws.push({ at: performance.now(), ms }),
  },
});
