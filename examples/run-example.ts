/**
 * Loads an example protocol package into a running server and executes it, printing the
 * run's events as they stream over graphql-ws.
 *
 *   npm start                                   # in another terminal
 *   npm run examples:run -- research-assistant '{"TOPIC": "solid-state batteries"}'
 *
 * GRAPHQL_URL overrides the server (default http://127.0.0.1:4000/graphql); API_KEY is
 * sent as the bearer key when the server has keys (an admin key: it stores a protocol).
 */
import { fileURLToPath } from 'node:url';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { readProtocolPackage } from '../src/engine/package-files.js';

const [name = 'title-generator', inputJson = '{}'] = process.argv.slice(2);
const url = process.env.GRAPHQL_URL ?? 'http://127.0.0.1:4000/graphql';
const authorization = process.env.API_KEY ? `Bearer ${process.env.API_KEY}` : undefined;

async function graphql(query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors, null, 2));
  return body.data!;
}

const pkg = await readProtocolPackage(fileURLToPath(new URL(`./${name}`, import.meta.url)));
const settings = pkg.settings as { slug: string; name: string; description?: string };

const existing = await graphql('query ($slug: String!) { protocol(slug: $slug) { version } }', { slug: settings.slug });
if (!existing.protocol) {
  const created = await graphql(
    `mutation ($input: CreateProtocolInput!) {
      createProtocol(input: $input) {
        __typename
        ... on ProtocolError { diagnostics { line column message } }
        ... on Error { message }
      }
    }`,
    { input: { slug: settings.slug, source: pkg.source, prompts: pkg.prompts, settings: { name: settings.name, description: settings.description } } },
  );
  if (created.createProtocol.__typename !== 'Protocol') {
    console.error(JSON.stringify(created.createProtocol, null, 2));
    process.exit(1);
  }
  console.log(`stored protocol ${settings.slug}`);
}

const executed = await graphql(
  `mutation ($input: ExecuteWorkerInput!) { executeWorker(input: $input) { ... on Run { id } ... on Error { message } } }`,
  { input: { protocol: settings.slug, input: JSON.parse(inputJson) } },
);
const runId = executed.executeWorker.id as string;
console.log(`run ${runId}`);

const client = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  ...(authorization ? { connectionParams: { authorization } } : {}),
});
const subscription = client.iterate({
  query: `subscription ($runId: ID!) {
    runEvents(runId: $runId) {
      seq type
      ... on WorkerStartEvent { models { requested provider modelId offline } }
      ... on BlockStartEvent { blockName }
      ... on TextDeltaEvent { delta }
      ... on WorkerResultEvent { output error }
      ... on ErrorEvent { message }
    }
  }`,
  variables: { runId },
});
for await (const result of subscription) {
  const event = (result.data as { runEvents: Record<string, any> }).runEvents;
  if (event.type === 'text-delta') process.stdout.write(event.delta);
  else if (event.type === 'block-start') console.log(`\n[${event.seq}] ${event.blockName}`);
  else if (event.type === 'worker-start') console.log(`[${event.seq}] worker-start`, JSON.stringify(event.models));
  else if (event.type === 'worker-result') console.log(`\n[${event.seq}] worker-result`, JSON.stringify(event.output ?? event.error));
  else if (event.type === 'error') console.log(`\n[${event.seq}] error: ${event.message}`);
}
await client.dispose();
