/**
 * Seeding through the GraphQL API, as a client would: keys, fleets of ACTIVE workers,
 * protocols. Every helper throws on a GraphQL error or an error result.
 */
import { randomBytes } from 'node:crypto';

import { gql } from './harness.js';

/**
 * A fresh key secret in the shape ADMIN_API_KEY requires:
 * `wfk_<8 lowercase letters or digits>_<43 base64url characters>` (32 random bytes).
 */
export function newAdminSecret(): string {
  const prefix = Array.from(randomBytes(8), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return `wfk_${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Fails unless `result.__typename` is `expected`. */
function expectType(result: Record<string, any>, expected: string): Record<string, any> {
  if (result.__typename !== expected) throw new Error(`expected ${expected}, got ${JSON.stringify(result)}`);
  return result;
}

/** Creates an API key of `role` with the admin key `admin`; returns its secret. */
export async function createKey(url: string, admin: string, role: 'ADMIN' | 'OPERATOR' | 'VIEWER', name: string): Promise<string> {
  const { createApiKey } = await gql(
    url,
    `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename ... on Error { message } ... on CreatedApiKey { secret } } }`,
    { input: { name, role } },
    admin,
  );
  return expectType(createApiKey, 'CreatedApiKey').secret as string;
}

/**
 * Creates a fleet whose scaling minimum hires `size` ACTIVE workers from its template,
 * each taking `concurrency` tasks at once, balanced by `strategy`.
 * @returns the fleet's and its workers' global IDs
 */
export async function createFleet(
  url: string,
  key: string | undefined,
  options: { name: string; size: number; max?: number; concurrency?: number; strategy?: string },
): Promise<{ fleetId: string; workerIds: string[] }> {
  const { createFleet: fleet } = await gql(
    url,
    `mutation ($input: CreateFleetInput!) { createFleet(input: $input) { __typename ... on Error { message } ... on Fleet { id } } }`,
    {
      input: {
        name: options.name,
        workerTemplate: { role: 'Agent', concurrency: options.concurrency ?? 1 },
        scaling: { min: options.size, max: options.max ?? Math.max(options.size, 1) },
        balancing: { strategy: options.strategy ?? 'LEAST_LOADED' },
      },
    },
    key,
  );
  const fleetId = expectType(fleet, 'Fleet').id as string;
  const workerIds: string[] = [];
  let after: string | null = null;
  do {
    const data: Record<string, any> = await gql(
      url,
      `query ($id: ID!, $after: String) { fleet(id: $id) { workers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id lifecycle } } } } }`,
      { id: fleetId, after },
      key,
    );
    const page = data.fleet.workers;
    for (const { node } of page.edges) if (node.lifecycle === 'ACTIVE') workerIds.push(node.id);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  if (workerIds.length !== options.size) throw new Error(`fleet ${options.name}: ${workerIds.length} ACTIVE workers, expected ${options.size}`);
  return { fleetId, workerIds };
}

/** Stores protocol `slug` (source YAML and prompts by name). */
export async function createProtocol(url: string, key: string | undefined, slug: string, source: string, prompts: Record<string, string>): Promise<void> {
  const { createProtocol: created } = await gql(
    url,
    `mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`,
    { input: { slug, source, prompts: Object.entries(prompts).map(([name, content]) => ({ name, content })) } },
    key,
  );
  if (created.__typename === 'Protocol' || created.__typename === 'ProtocolVersion') return;
  if (created.message) throw new Error(`createProtocol: ${JSON.stringify(created)}`);
}
