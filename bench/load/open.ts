/**
 * Row "`{ __typename }`, open access" against bare graphql-yoga answering `{ hello }`
 * (bench/reference/baseline-yoga.mjs; goal ≥ 0.85): the cost of our plugins and
 * request pipeline on the smallest query.
 *
 * `npx tsx bench/load/open.ts` (DURATION, ROUNDS, CONNECTIONS: see harness.ts)
 */
import { ab, freshDatabase, report, runner, startOurs, startReference } from './harness.js';

runner(async () => {
  const yoga = await startReference('bare-yoga', 'baseline-yoga.mjs');
  const ours = await startOurs('ours-open', { DATABASE_URL: await freshDatabase('open') });
  const summary = await ab([
    { name: 'bare-yoga', url: yoga.url, body: { query: '{ hello }' }, ref: true, pid: yoga.pid },
    { name: 'ours-open', url: ours.url, body: { query: '{ __typename }' }, pid: ours.pid },
  ]);
  const mine = summary.find((s) => s.name === 'ours-open')!;
  await report('open', { goal: '>= 0.85', ratioPerRound: mine.rpsRatioTo!['bare-yoga'], ratioMedian: mine.rpsRatioMedianTo!['bare-yoga'], summary });
});
