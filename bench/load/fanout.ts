/**
 * Row "fan-out: one fleet change to 10 000 `fleetStatus` subscribers, with keys" against
 * bare yoga + graphql-ws with in-memory pub/sub, 10 000 subscribers
 * (bench/reference/bare-ws-server.mjs; goal p99 ≤ 1.0×), and "idle CPU with 10 000 keyed
 * sockets" (goal ≤ 5 % of a core), on PostgreSQL.
 *
 * Each run is one fanout.mjs process: SUBSCRIBERS graphql-ws clients (default 10 000)
 * subscribe, then TRIGGERS triggers (default 3, GAP_MS apart) each change the status once,
 * and the time until each client received the change is measured (p50/p99/max per
 * trigger; the run's p99 is the median over its triggers). Our server runs with
 * ADMIN_API_KEY; the subscribers authenticate with KEYS viewer keys (default 20) in turn,
 * the trigger is `scaleFleetUp(by: 1)` with the admin key. The reference's trigger is its
 * `bump(by: 1)`, same status fields. Rounds interleave reference and ours. On our runs,
 * with every socket subscribed and nothing happening, the server's CPU is read from /proc
 * over IDLE_S seconds (default 30), and its RSS and heap per socket after a full GC.
 *
 * Sockets: each side holds SUBSCRIBERS file descriptors (check `ulimit -n`) and the client
 * uses as many ephemeral ports (net.ipv4.ip_local_port_range).
 *
 * `npx tsx bench/load/fanout.ts` (ROUNDS: see harness.ts)
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { envNumber, freshDatabase, median, r3, report, ROOT, runner, startOurs, startReference } from './harness.js';
import { createFleet, createKey, newAdminSecret } from './seed.js';

const FIELDS = 'at size retiring queueDepth assigned processing completed failed slots busySlots utilization avgWaitTimeMs recentSuccessRate slaBreaches slaCompliance healthScore';

interface FanoutResult {
  subscribers: number;
  connectMs: number;
  idleCpuPct: number | null;
  refused: number;
  connectErrors: number;
  subErrors: number;
  firstSubError: string | null;
  closes: Record<string, number>;
  rssKBPerSocket: number | null;
  heapKBPerSocket: number | null;
  rounds: Array<{ received: number; p50ms: number | null; p99ms: number | null; maxMs: number | null }>;
}

/** One fanout.mjs run; `env` adds SERVER_PID, MEM_FILE, IDLE_S. */
async function fanout(url: string, subscription: string, trigger: string, headers: unknown, env: Record<string, string>): Promise<FanoutResult> {
  const args = ['bench/load/fanout.mjs', url, String(envNumber('SUBSCRIBERS', 10_000)), subscription, trigger, JSON.stringify(headers)];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ROUNDS: String(envNumber('TRIGGERS', 3)), GAP_MS: String(envNumber('GAP_MS', 1500)), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const line = out.trim().split('\n').at(-1);
  if (!line?.startsWith('{')) throw new Error(`fanout.mjs printed no result: ${out}`);
  return JSON.parse(line) as FanoutResult;
}

const p99 = (result: FanoutResult) => median(result.rounds.map((r) => r.p99ms ?? Infinity));

runner(async () => {
  const admin = newAdminSecret();
  const memFile = path.join(tmpdir(), `bench-fanout-mem-${process.pid}.jsonl`);
  const ours = await startOurs('ours', { DATABASE_URL: await freshDatabase('fanout'), ADMIN_API_KEY: admin }, { memoryProbe: memFile });
  const reference = await startReference('bare-ws', 'bare-ws-server.mjs');
  const keys = await Promise.all(Array.from({ length: envNumber('KEYS', 20) }, (_, i) => createKey(ours.url, admin, 'VIEWER', `watcher ${i}`)));
  const { fleetId } = await createFleet(ours.url, admin, { name: 'Watched', size: 1, max: 1000 });

  const rounds: Array<{ round: number; reference: FanoutResult; ours: FanoutResult; p99Ratio: number }> = [];
  for (let round = 0; round < envNumber('ROUNDS', 2); round++) {
    const ref = await fanout(reference.url, `subscription { status { ${FIELDS} } }`, 'mutation { bump(by: 1) { size } }', {}, {});
    console.log(JSON.stringify({ round, name: 'bare-ws', ...ref }));
    const mine = await fanout(
      ours.url,
      `subscription { fleetStatus(fleetId: "${fleetId}") { ${FIELDS} } }`,
      `mutation { scaleFleetUp(input: { fleetId: "${fleetId}", by: 1 }) { __typename ... on Error { message } } }`,
      keys.map((key) => ({ authorization: `Bearer ${key}` })),
      { SERVER_PID: String(ours.pid), MEM_FILE: memFile, IDLE_S: String(envNumber('IDLE_S', 30)), TRIGGER_HEADERS: JSON.stringify({ authorization: `Bearer ${admin}` }) },
    );
    console.log(JSON.stringify({ round, name: 'ours', ...mine }));
    rounds.push({ round, reference: ref, ours: mine, p99Ratio: r3(p99(mine) / p99(ref)) });
  }
  rmSync(memFile, { force: true });
  await report('fanout', {
    goal: 'p99 <= 1.0x; idle CPU <= 5 % of a core',
    subscribers: envNumber('SUBSCRIBERS', 10_000),
    p99RatioPerRound: rounds.map((r) => r.p99Ratio),
    p99RatioMedian: r3(median(rounds.map((r) => r.p99Ratio))),
    p99MsReference: rounds.map((r) => p99(r.reference)),
    p99MsOurs: rounds.map((r) => p99(r.ours)),
    idleCpuPctOurs: rounds.map((r) => r.ours.idleCpuPct),
    rssKBPerSocketOurs: rounds.map((r) => r.ours.rssKBPerSocket),
    receivedOurs: rounds.map((r) => r.ours.rounds.map((t) => t.received)),
    receivedReference: rounds.map((r) => r.reference.rounds.map((t) => t.received)),
    refusedOurs: rounds.map((r) => r.ours.refused + r.ours.connectErrors + r.ours.subErrors),
  });
});
