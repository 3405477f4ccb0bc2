import { expect, it } from 'vitest';
import { noise } from '../../test/signals.js';
import { MaxHeap } from './heap.js';

it('pops ids in order of decreasing key, growing past its first capacity', () => {
  const keys = noise(1000, 1, 3);
  const heap = new MaxHeap(keys, 4);
  for (let i = 0; i < keys.length; i++) heap.push(i);
  expect(heap.size).toBe(1000);
  const popped: number[] = [];
  for (let id = heap.pop(); id >= 0; id = heap.pop()) popped.push(keys[id]);
  expect(popped).toEqual([...keys].sort((a, b) => b - a));
  expect(heap.pop()).toBe(-1);
});
