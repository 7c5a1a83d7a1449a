/** GraphQL types and operations of API keys and the audit log (admins only). */
import { and, eq } from 'drizzle-orm';

import { apiKeyRole, apiKeys, auditLog } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { Worker } from '../workers/schema.js';
import { createApiKey, revokeApiKey, type ApiKeyRow } from './api-keys.js';

const ApiKeyRoleEnum = builder.enumType('ApiKeyRole', {
  description: 'What a key may do: ADMIN manages keys, protocols and fleet policies; OPERATOR runs work; VIEWER reads; WORKER acts as one worker.',
  values: apiKeyRole.enumValues,
});

export const ApiKey = builder.drizzleNode('apiKeys', {
  name: 'ApiKey',
  description: 'An API key. Its secret was shown once, at creation; `prefix` tells keys apart.',
  authScopes: { admin: true },
  id: { column: (key) => key.id },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the key is for.' }),
    role: t.field({ type: ApiKeyRoleEnum, description: 'What it may do.', resolve: (key) => key.role }),
    prefix: t.exposeString('prefix', { description: 'First characters after `wfk_`, for identification.' }),
    worker: t.relation('worker', { nullable: true, description: 'For WORKER keys: the worker it acts as.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'When it stops working.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked.' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Last use (minute precision).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
  }),
});

const CreatedApiKey = builder.objectRef<{ apiKey: ApiKeyRow; secret: string }>('CreatedApiKey').implement({
  description: 'A new key and its secret. Store the secret now: it is never shown again.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKey, description: 'The key.', resolve: (created) => created.apiKey }),
    secret: t.exposeString('secret', { description: 'Send it as `Authorization: Bearer <secret>`.' }),
  }),
});

const AuditEntry = builder.drizzleObject('auditLog', {
  name: 'AuditEntry',
  description: 'One mutation: who ran it, when, and how it ended.',
  fields: (t) => ({
    actor: t.exposeString('actor', { description: 'The key (prefix and name) or `open local access`.' }),
    operation: t.exposeString('operation', { description: 'Operation name, or `anonymous`.' }),
    fields: t.exposeStringList('fields', { description: 'Root mutation fields it ran.' }),
    outcome: t.exposeString('outcome', { description: '`success`, an error type such as `ValidationError`, or `error`.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it ran.' }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'A new API key.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'What it is for.' }),
    role: t.field({ type: ApiKeyRoleEnum, required: true, description: 'What it may do.' }),
    workerId: t.globalID({ for: Worker, description: 'For WORKER keys: the worker it acts as.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When it stops working (default: never).' }),
  }),
});

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  description: 'The key to revoke.',
  fields: (t) => ({ apiKeyId: t.globalID({ required: true, for: ApiKey, description: 'The key.' }) }),
});

builder.queryFields((t) => ({
  apiKeys: t.drizzleConnection({
    type: 'apiKeys',
    description: 'API keys of the organisation, newest first. Admins only.',
    authScopes: { admin: true },
    totalCount: (_root, _args, ctx) => ctx.db.$count(apiKeys, eq(apiKeys.organizationId, ctx.actor.organizationId)),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.apiKeys.findMany(query({ where: { organizationId: ctx.actor.organizationId }, orderBy: { id: 'desc' } })),
  }),
  auditLog: t.drizzleConnection({
    type: 'auditLog',
    description: 'Mutations of the organisation, newest first. Admins only.',
    authScopes: { admin: true },
    totalCount: (_root, _args, ctx) => ctx.db.$count(auditLog, and(eq(auditLog.organizationId, ctx.actor.organizationId))),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.auditLog.findMany(query({ where: { organizationId: ctx.actor.organizationId }, orderBy: { id: 'desc' } })),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKey,
    description: 'Creates an API key and returns its secret once. Admins only. Appends `ApiKey.created`.',
    authScopes: { admin: true },
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => createApiKey(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId?.id }),
  }),
  revokeApiKey: t.field({
    type: ApiKey,
    description: 'Revokes an API key: requests using it are refused and its sockets closed at once, in every server process. Admins only.',
    authScopes: { admin: true },
    errors: { types: [NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => revokeApiKey(ctx, ctx.actor.organizationId, input.apiKeyId.id),
  }),
}));

