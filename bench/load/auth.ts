/**
 * Row "`{ __typename }` with a Bearer key" against the same server with open access
 * (goal ≥ 0.85). Two instances of our server, each on a database of its own: one started
 * with ADMIN_API_KEY (every request must carry a key; the load sends that admin key), one
 * without any key (open access on loopback, which needs a database with no key at all).
 * Same build, same settings otherwise: the ratio is the cost of checking the key.
 *
 * `npx tsx bench/load/auth.ts` (DURATION, ROUNDS, CONNECTIONS: see harness.ts)
 */
import { ab, freshDatabase, report, runner, startOurs } from './harness.js';
import { newAdminSecret } from './seed.js';

runner(async () => {
  const key = newAdminSecret();
  const open = await startOurs('ours-open', { DATABASE_URL: await freshDatabase('auth_open') });
  const keyed = await startOurs('ours-keyed', { DATABASE_URL: await freshDatabase('auth_keyed'), ADMIN_API_KEY: key });
  const body = { query: '{ __typename }' };
  const summary = await ab([
    { name: 'ours-open', url: open.url, body, ref: true, pid: open.pid },
    { name: 'ours-keyed', url: keyed.url, body, headers: { authorization: `Bearer ${key}` }, pid: keyed.pid },
  ]);
  const mine = summary.find((s) => s.name === 'ours-keyed')!;
  await report('auth', { goal: '>= 0.85', ratioPerRound: mine.rpsRatioTo!['ours-open'], ratioMedian: mine.rpsRatioMedianTo!['ours-open'], summary });
});
