/**
 * The committed events a process keeps of the runs it writes (RecentRunEvents): trusted
 * only while the process holds the run's lease or once the run ended here, forgotten on a
 * pause, served only when every requested event is held, and bounded in size. The lease
 * expiry is compared with an injected clock.
 */
import { describe, expect, it } from 'vitest';

import { RecentRunEvents } from '../../src/runs/recent-events.js';

const RUN = { id: 'run-1', organizationId: 'org-1', workerId: null, lastSeq: 0 };
const at = new Date('2026-12-03T12:00:00Z');

/** Committed events with these seqs, each a `text-delta` of `text`. */
const eventsOf = (seqs: number[], text = 'x') =>
  seqs.map((seq) => ({ seq, at, json: JSON.stringify({ type: 'text-delta', id: 't', delta: text }) }));

describe('recent run events', () => {
  it('knows a run while its lease holds and serves the events committed so far', () => {
    let now = 1_000;
    const recent = new RecentRunEvents(1024 * 1024, () => now);
    recent.open(RUN, new Date(31_000));
    expect(recent.snapshot('run-1')).toEqual({ organizationId: 'org-1', workerId: null, lastSeq: 0, ended: false });

    recent.committed('run-1', eventsOf([1, 2, 3]), { lastSeq: 3, ended: false }, new Date(40_000));
    expect(recent.events('run-1', 0, 3)!.map((event) => event.seq)).toEqual([1, 2, 3]);
    expect(recent.events('run-1', 1, 2)).toEqual([{ type: 'text-delta', id: 't', delta: 'x', seq: 2, at }]);
    // Beyond what was committed here: the store decides.
    expect(recent.events('run-1', 0, 4)).toBeUndefined();

    now = 40_000; // the lease ran out: another process may have taken the run
    expect(recent.snapshot('run-1')).toBeUndefined();
    expect(recent.events('run-1', 0, 3)).toBeUndefined();
  });

  it('keeps a run that ended here, and forgets one paused for tools', () => {
    let now = 1_000;
    const recent = new RecentRunEvents(1024 * 1024, () => now);
    recent.open(RUN, new Date(31_000));
    recent.open({ ...RUN, id: 'run-2' }, new Date(31_000));

    recent.committed('run-1', eventsOf([1]), { lastSeq: 1, ended: true }, null);
    recent.committed('run-2', eventsOf([1]), { lastSeq: 1, ended: false }, null);

    now = 1_000_000;
    expect(recent.snapshot('run-1')).toMatchObject({ lastSeq: 1, ended: true });
    expect(recent.snapshot('run-2')).toBeUndefined();
  });

  it('ignores a run it was not told of, and forgets one whose events would leave a gap', () => {
    const recent = new RecentRunEvents(1024 * 1024, () => 0);
    recent.committed('unknown', eventsOf([1]), { lastSeq: 1, ended: false }, new Date(30_000));
    expect(recent.snapshot('unknown')).toBeUndefined();

    recent.open({ ...RUN, lastSeq: 5 }, new Date(30_000));
    recent.committed('run-1', eventsOf([7]), { lastSeq: 7, ended: false }, new Date(30_000));
    expect(recent.snapshot('run-1')).toBeUndefined();
  });

  it('forgets the runs written least recently, then a run\'s oldest events, past its bound', () => {
    const size = JSON.stringify({ type: 'text-delta', id: 't', delta: 'x' }).length;
    const recent = new RecentRunEvents(4 * size, () => 0);
    recent.open(RUN, new Date(30_000));
    recent.open({ ...RUN, id: 'run-2' }, new Date(30_000));
    recent.committed('run-1', eventsOf([1, 2]), { lastSeq: 2, ended: false }, new Date(30_000));
    recent.committed('run-2', eventsOf([1, 2]), { lastSeq: 2, ended: false }, new Date(30_000));
    expect(recent.events('run-1', 0, 2)).toHaveLength(2);

    recent.committed('run-2', eventsOf([3]), { lastSeq: 3, ended: false }, new Date(30_000));
    expect(recent.snapshot('run-1')).toBeUndefined();
    expect(recent.events('run-2', 0, 3)).toHaveLength(3);

    recent.committed('run-2', eventsOf([4, 5, 6]), { lastSeq: 6, ended: false }, new Date(30_000));
    // Events 1 and 2 were dropped: a reader from 0 goes to the store, one from 2 does not.
    expect(recent.events('run-2', 0, 6)).toBeUndefined();
    expect(recent.events('run-2', 2, 6)!.map((event) => event.seq)).toEqual([3, 4, 5, 6]);
  });

  it('knows at most its bound of runs, forgetting the one written least recently', () => {
    const recent = new RecentRunEvents(1024 * 1024, () => 0, 2);
    for (const id of ['run-1', 'run-2']) recent.open({ ...RUN, id }, new Date(30_000));
    recent.committed('run-1', eventsOf([1]), { lastSeq: 1, ended: false }, new Date(30_000));
    recent.open({ ...RUN, id: 'run-3' }, new Date(30_000));
    expect(['run-1', 'run-2', 'run-3'].map((id) => recent.snapshot(id) !== undefined)).toEqual([true, false, true]);
  });
});
