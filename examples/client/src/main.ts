/**
 * The example client at work: hires a worker, finds its `Worker.hired` event in the
 * `events` subscription over graphql-ws (replayed from the store, so it cannot be
 * missed), then lists the workers — every operation sent as a persisted document id.
 *
 *   WORKFORCE_URL=http://127.0.0.1:4000/graphql [WORKFORCE_API_KEY=wf_…] npx tsx examples/client/src/main.ts
 */
import { WorkforceClient } from './client.js';
import { DomainEventsSubscription, HireWorkerMutation, WorkersQuery } from './operations.js';

const client = new WorkforceClient({ url: process.env.WORKFORCE_URL ?? 'http://127.0.0.1:4000/graphql', apiKey: process.env.WORKFORCE_API_KEY });

const { hireWorker } = await client.execute(HireWorkerMutation, { input: { name: 'Alex Rodriguez', role: 'SalesDevelopmentRepresentative' } });
if (hireWorker.__typename !== 'Worker') throw new Error(`hireWorker refused: ${hireWorker.message}`);
console.log(`hired ${hireWorker.name} (${hireWorker.id})`);

for await (const { events } of client.subscribe(DomainEventsSubscription, { types: ['Worker.hired'], after: 0 })) {
  if (events.subjectId !== hireWorker.id) continue;
  console.log(`event #${events.seq}: ${events.type} about ${events.subjectId}`);
  break; // leaving the loop unsubscribes
}

const { workers } = await client.execute(WorkersQuery, { first: 10 });
console.log(`${workers.totalCount} worker(s):`);
for (const { node } of workers.edges) console.log(`- ${node.name}, ${node.role}, ${node.lifecycle}${node.fleet ? `, fleet ${node.fleet.name}` : ''}`);
await client.close();
