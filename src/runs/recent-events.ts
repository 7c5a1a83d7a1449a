/**
 * The newest committed events of the runs this process writes, kept in memory so that this
 * process's `runEvents` subscribers take them from here instead of reading back what was
 * just written (docs/architecture.md, "Realtime"). The run's writer (its RunEventLog)
 * records each batch after its commit, so memory never holds an event the store does not.
 *
 * What is known here is only trusted while it cannot be stale: for a run this process
 * holds the lease of (until the lease's expiry as last written), or one it ended (a final
 * status never changes). Anything else — a run paused for tools, taken over by another
 * process, evicted, or never written here — is read from the store as before.
 *
 * Bounded by the JSON size of the events held ({@link RECENT_EVENTS_BYTES} by default) and
 * by the number of runs ({@link RECENT_RUNS}): past either, the runs written least recently
 * are forgotten first.
 */
import type { StoredRunEvent } from './service.js';

/** Default bound of the events held, in bytes of their JSON. */
export const RECENT_EVENTS_BYTES = 8 * 1024 * 1024;
/** Default bound of the runs known. */
export const RECENT_RUNS = 10_000;

/** What a subscriber needs of a run to start: who may see it, how far its events go, whether it ended. */
export interface RunSnapshot {
  organizationId: string;
  workerId: string | null;
  lastSeq: number;
  ended: boolean;
}

interface Entry extends RunSnapshot {
  /** Events with consecutive seqs ending at `lastSeq`, each with its JSON size. */
  events: Array<{ event: StoredRunEvent; bytes: number }>;
  /** Epoch ms until which this process holds the run's lease; Infinity once the run ended here. */
  trustedUntil: number;
}

export class RecentRunEvents {
  private readonly runs = new Map<string, Entry>();
  private bytes = 0;

  /**
   * @param maxBytes bound of the events held (JSON bytes)
   * @param now the clock the lease expiry is compared with (epoch ms)
   * @param maxRuns bound of the runs known
   */
  constructor(
    private readonly maxBytes = RECENT_EVENTS_BYTES,
    private readonly now: () => number = Date.now,
    private readonly maxRuns = RECENT_RUNS,
  ) {}

  /**
   * Starts keeping `run`, just claimed by this process with its lease until `leaseExpiresAt`,
   * with no events held yet (`lastSeq` stored).
   */
  open(run: Omit<RunSnapshot, 'ended'> & { id: string }, leaseExpiresAt: Date | null): void {
    this.forget(run.id);
    if (!leaseExpiresAt) return;
    const { organizationId, workerId, lastSeq } = run;
    const entry = { organizationId, workerId, lastSeq, ended: false, events: [], trustedUntil: leaseExpiresAt.getTime() };
    this.runs.set(run.id, entry);
    this.evict(entry);
  }

  /**
   * Records a commit of this process's writer of run `runId`: `events` (their JSON, as
   * stored, and seqs following the last held), the run's new `lastSeq` and whether it
   * ended. `leaseExpiresAt`: the lease the commit renewed, or null when it released it
   * without ending the run (a pause), which forgets the run.
   */
  committed(runId: string, events: Array<{ json: string; seq: number; at: Date }>, change: { lastSeq: number; ended: boolean }, leaseExpiresAt: Date | null): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    if ((!change.ended && !leaseExpiresAt) || (events.length > 0 && events[0]!.seq !== entry.lastSeq + 1)) {
      this.forget(runId);
      return;
    }
    for (const { json, seq, at } of events) {
      entry.events.push({ event: { ...(JSON.parse(json) as StoredRunEvent), seq, at }, bytes: json.length });
      this.bytes += json.length;
    }
    entry.lastSeq = change.lastSeq;
    entry.ended = change.ended;
    entry.trustedUntil = change.ended ? Infinity : leaseExpiresAt!.getTime();
    // The most recently written run goes last: eviction takes the first.
    this.runs.delete(runId);
    this.runs.set(runId, entry);
    this.evict(entry);
  }

  /** Forgets run `runId` (its lease was lost or released). */
  forget(runId: string): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    for (const { bytes } of entry.events) this.bytes -= bytes;
    this.runs.delete(runId);
  }

  /** Who may see run `runId` and how far its committed events go, if that is known here for certain. */
  snapshot(runId: string): RunSnapshot | undefined {
    const entry = this.trusted(runId);
    return entry && { organizationId: entry.organizationId, workerId: entry.workerId, lastSeq: entry.lastSeq, ended: entry.ended };
  }

  /** The committed events of run `runId` with `after < seq <= upTo`, if every one of them is held here. */
  events(runId: string, after: number, upTo: number): StoredRunEvent[] | undefined {
    const entry = this.trusted(runId);
    if (!entry || upTo > entry.lastSeq) return undefined;
    const first = entry.lastSeq - entry.events.length + 1;
    if (after + 1 < first) return undefined;
    return entry.events.slice(after + 1 - first, upTo + 1 - first).map(({ event }) => event);
  }

  private trusted(runId: string): Entry | undefined {
    const entry = this.runs.get(runId);
    if (entry && entry.trustedUntil <= this.now()) {
      this.forget(runId);
      return undefined;
    }
    return entry;
  }

  /** Forgets the least recently written runs, then the oldest events of `current`, until within the bounds. */
  private evict(current: Entry): void {
    for (const [runId, entry] of this.runs) {
      if ((this.bytes <= this.maxBytes && this.runs.size <= this.maxRuns) || entry === current) break;
      this.forget(runId);
    }
    while (this.bytes > this.maxBytes && current.events.length > 0) this.bytes -= current.events.shift()!.bytes;
  }
}
