/** The availability estimate of a worker's status: its queue placed on its slots at its measured completion time. */
import { describe, expect, it } from 'vitest';

import { estimateNextFree } from '../../src/workers/status.js';

const now = new Date('2030-01-01T12:00:00Z');
const minutes = (n: number) => n * 60_000;
const ago = (n: number) => new Date(now.getTime() - minutes(n));
const inMinutes = (date: Date | null) => (date === null ? null : (date.getTime() - now.getTime()) / 60_000);

describe('estimateNextFree', () => {
  it('is now while a slot is free after the queue takes its slots', () => {
    expect(inMinutes(estimateNextFree({ now, concurrency: 3, runningSince: [ago(5)], queued: 1, avgMs: null }))).toBe(0);
  });

  it('places queued tasks on the slot that frees first, each for the average', () => {
    // Slots free in 40 and 10 minutes; three queued tasks of 60: 10→70, 40→100, 70→130; next free: 100.
    expect(inMinutes(estimateNextFree({ now, concurrency: 2, runningSince: [ago(20), ago(50)], queued: 3, avgMs: minutes(60) }))).toBe(100);
    // One slot, nothing running, two queued: free after both.
    expect(inMinutes(estimateNextFree({ now, concurrency: 1, runningSince: [], queued: 2, avgMs: minutes(15) }))).toBe(30);
  });

  it('counts a task that already ran past the average as ending now', () => {
    expect(inMinutes(estimateNextFree({ now, concurrency: 1, runningSince: [ago(90)], queued: 1, avgMs: minutes(60) }))).toBe(60);
  });

  it('is unknown when the slots are taken and no completion time was measured', () => {
    expect(estimateNextFree({ now, concurrency: 1, runningSince: [ago(1)], queued: 0, avgMs: null })).toBeNull();
  });
});
