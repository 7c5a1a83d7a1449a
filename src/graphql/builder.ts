/**
 * The one Pothos schema builder. Types live beside their domain (src/<domain>/schema.ts)
 * and register themselves on this builder; src/graphql/schema.ts assembles them.
 */
import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin, { resolveNodes } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { getTableConfig } from 'drizzle-orm/pg-core';
import type { GraphQLResolveInfo } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

import { recordHandledError } from '../auth/audit.js';
import { relations, type Relations } from '../db/relations.js';
import { ForbiddenError, ValidationError } from '../errors.js';
import type { AppContext } from './context.js';
import InputGuardPlugin from './input-guard.js';
import { decodeGlobalId, isVisibleNode } from './node-access.js';

export const builder = new SchemaBuilder<{
  Context: AppContext;
  DrizzleRelations: Relations;
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean; worker: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    DueDate: { Input: Date | string; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string | number | bigint };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
}>({
  plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin, DrizzlePlugin, InputGuardPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Roles nest: an admin is also an operator and a viewer. A worker key is none of
    // them; fields open to it say `worker: true` and its services filter to its worker.
    authScopes: (ctx) => ({
      viewer: ctx.actor.role !== 'worker',
      operator: ctx.actor.role === 'operator' || ctx.actor.role === 'admin',
      admin: ctx.actor.role === 'admin',
      worker: ctx.actor.role === 'worker',
    }),
    unauthorizedError: (_parent, ctx, info) =>
      new ForbiddenError(`The ${ctx.actor.role} role may not use ${info.parentType.name}.${info.fieldName}`),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // The one decoder of global IDs. One that does not decode names no type: node(id)
    // answers null for it, and typed ID arguments refuse it first (input-guard.ts).
    decodeGlobalID: (globalId) => decodeGlobalId(globalId) ?? { typename: '', id: '' },
    nodeTypeOptions: { description: 'An object with a globally unique ID (Relay).' },
    pageInfoTypeOptions: { description: 'Where a page of a connection starts and ends (Relay).' },
    nodeQueryOptions: {
      description: 'Fetches any object by its global ID; null when there is no such object, it is not yours to see, or the ID is malformed.',
      authScopes: { viewer: true, worker: true },
      skipTypeScopes: true,
      resolve: async (_root, { id }, ctx, _info, resolveNode) => ((await isVisibleNode(ctx.db, ctx.actor, id)) ? resolveNode(id) : null),
    },
    nodesQueryOptions: {
      description: 'Fetches several objects by their global IDs, in order; null for each that does not exist, is not yours to see, or is malformed.',
      authScopes: { viewer: true, worker: true },
      skipTypeScopes: true,
      resolve: (_root, { ids }, ctx, info) => resolveVisibleNodes(ids, ctx, info),
    },
  },
  drizzle: {
    client: (ctx) => ctx.db,
    getTableConfig,
    relations,
  },
  errors: {
    directResult: true,
    // Every mutation's result union includes ForbiddenError (scope-auth throws it) and
    // ValidationError (input-guard.ts refuses malformed IDs and text before the resolver).
    defaultTypes: [ForbiddenError, ValidationError],
    unsafelyHandleInputErrors: true,
    onResolvedError: recordHandledError,
  },
});

/**
 * `nodes(ids)`: loads only the IDs the caller may see (one query per node type), in
 * order; the others answer null.
 */
async function resolveVisibleNodes(ids: Array<{ typename: string; id: string }>, ctx: AppContext, info: GraphQLResolveInfo): Promise<unknown[]> {
  const visible = await Promise.all(ids.map((id) => isVisibleNode(ctx.db, ctx.actor, id)));
  const loaded = await resolveNodes(builder, ctx, info, ids.filter((_id, index) => visible[index]));
  let next = 0;
  return visible.map((isVisible) => (isVisible ? (loaded[next++] ?? null) : null));
}

builder.addScalarType('DateTime', DateTimeResolver, {});
builder.addScalarType('JSON', JSONResolver, {});

builder.queryType({
  description: 'Reads: workers, fleets, tasks, protocols, runs. Viewers and up.',
  authScopes: { viewer: true },
});
builder.mutationType({
  description: 'Changes: every mutation takes one `input` and returns its result or a typed error. Operators and up; some admins only.',
  authScopes: { operator: true },
});
builder.subscriptionType({
  description: 'Live streams over graphql-ws or server-sent events. Viewers and up.',
  authScopes: { viewer: true },
});
