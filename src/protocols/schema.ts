/** GraphQL types and operations of protocols. */
import { and, eq } from 'drizzle-orm';

import type { ProtocolPrompt } from '../db/documents.js';
import { findFirstPrepared } from '../db/prepared-reads.js';
import { protocols } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ProtocolError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { DiagnosticRef } from '../graphql/errors.js';
import type { Block, InputDeclaration, ToolDeclaration, VariableDeclaration } from '../engine/types.js';
import {
  createProtocol,
  deleteProtocol,
  parsedVersion,
  updateProtocol,
  validateProtocolPackage,
  type CreateProtocolInput as CreateProtocolInputData,
  type UpdateProtocolInput as UpdateProtocolInputData,
  type ProtocolRow,
  type ProtocolValidation,
} from './service.js';

const ProtocolFormatEnum = builder.enumType('ProtocolFormat', {
  description: 'Kind of protocol package; this server runs workers.',
  values: { WORKER: { description: 'Steps executed in order, returning an output.' } },
});

const PromptRef = builder.objectRef<ProtocolPrompt>('ProtocolPrompt').implement({
  description: 'A prompt template of the package.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Path under prompts/ without `.md`, e.g. `shared/rules`.' }),
    content: t.exposeString('content', { description: 'Markdown template.' }),
  }),
});

const InputDeclarationRef = builder.objectRef<InputDeclaration>('ProtocolInput').implement({
  description: 'A value the caller supplies when executing the protocol.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'UPPER_SNAKE_CASE name.' }),
    type: t.exposeString('type', { description: 'Type, e.g. `string` or `string[]`.' }),
    description: t.exposeString('description', { nullable: true, description: 'Documentation.' }),
    optional: t.exposeBoolean('optional', { description: 'Whether the caller may omit it.' }),
    default: t.expose('default', { type: 'JSON', nullable: true, description: 'Value used when omitted.' }),
    enum: t.exposeStringList('enum', { nullable: true, description: 'Allowed values.' }),
  }),
});

const VariableDeclarationRef = builder.objectRef<VariableDeclaration>('ProtocolVariable').implement({
  description: 'Internal state written by block outputs.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'UPPER_SNAKE_CASE name.' }),
    type: t.exposeString('type', { description: 'Type.' }),
    description: t.exposeString('description', { nullable: true, description: 'Documentation.' }),
    default: t.expose('default', { type: 'JSON', nullable: true, description: 'Initial value.' }),
  }),
});

const ToolDeclarationRef = builder.objectRef<ToolDeclaration>('ProtocolTool').implement({
  description: 'An external tool the protocol offers its models.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'lowercase-with-dashes name.' }),
    description: t.exposeString('description', { description: 'Sent to the model.' }),
    parameters: t.expose('parameters', { type: 'JSON', description: 'Parameter specs {name type description optional}.' }),
  }),
});

const StepRef = builder.objectRef<Block>('ProtocolStep').implement({
  description: 'One step of the protocol, in execution order.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Step name (the `steps` key).' }),
    block: t.string({ description: 'Block kind, e.g. `next-message`.', resolve: (step) => step.kind }),
    thread: t.string({ nullable: true, description: 'Thread the step works on.', resolve: (step) => ('thread' in step ? (step.thread ?? null) : null) }),
    description: t.exposeString('description', { nullable: true, description: 'UI text.' }),
  }),
});

const latestVersion = { with: { versions: { orderBy: { version: 'desc' as const }, limit: 1 } } };

export const Protocol = builder.drizzleNode('protocols', {
  name: 'Protocol',
  description: 'A versioned worker protocol package: YAML steps, prompts and settings.',
  id: { column: (protocol) => protocol.id },
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Identifier used by `executeWorker`.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { nullable: true, description: 'Short summary.' }),
    format: t.field({ type: ProtocolFormatEnum, description: 'Always WORKER.', resolve: (p) => p.format }),
    version: t.exposeInt('latestVersion', { description: 'Newest version number (1, 2, …).' }),
    source: t.string({ select: latestVersion, description: 'Protocol YAML of the newest version.', resolve: (p) => p.versions[0]!.source }),
    prompts: t.field({ type: [PromptRef], select: latestVersion, description: 'Prompts of the newest version.', resolve: (p) => p.versions[0]!.prompts }),
    input: t.field({ type: [InputDeclarationRef], select: latestVersion, description: 'Declared inputs.', resolve: (p) => parsedVersion(p.versions[0]!).protocol.input }),
    variables: t.field({ type: [VariableDeclarationRef], select: latestVersion, description: 'Declared variables.', resolve: (p) => parsedVersion(p.versions[0]!).protocol.variables }),
    tools: t.field({ type: [ToolDeclarationRef], select: latestVersion, description: 'Declared tools.', resolve: (p) => parsedVersion(p.versions[0]!).protocol.tools }),
    steps: t.field({ type: [StepRef], select: latestVersion, description: 'Steps in execution order.', resolve: (p) => parsedVersion(p.versions[0]!).protocol.steps }),
    output: t.string({ nullable: true, select: latestVersion, description: 'Variable returned as the output.', resolve: (p) => parsedVersion(p.versions[0]!).protocol.output ?? null }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When version 1 was stored.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the newest version was stored.' }),
  }),
});

const ProtocolValidationRef = builder.objectRef<ProtocolValidation>('ProtocolValidation').implement({
  description: 'Result of validating a protocol package without storing it.',
  fields: (t) => ({
    valid: t.exposeBoolean('valid', { description: 'False when any diagnostic is an ERROR.' }),
    diagnostics: t.field({ type: [DiagnosticRef], description: 'Errors and warnings with line and column.', resolve: (v) => v.diagnostics }),
  }),
});

const PromptInput = builder.inputType('ProtocolPromptInput', {
  description: 'A prompt template.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Path under prompts/ without `.md`.' }),
    content: t.string({ required: true, description: 'Markdown template.' }),
  }),
});

const ProtocolSettingsInput = builder.inputType('ProtocolSettingsInput', {
  description: 'settings.json of the package, less the slug (given separately).',
  fields: (t) => ({
    name: t.string({ description: 'Display name; defaults to the slug.' }),
    description: t.string({ description: 'Short summary.' }),
    httpTools: t.field({
      type: 'JSON',
      description:
        'Declared tools run by POSTing their arguments to a URL: {"web-search": {"url": "https://…", "timeoutMs": 10000, "headers": {}}}. Tools neither bound here nor built in are client tools.',
    }),
  }),
});

const CreateProtocolInput = builder.inputType('CreateProtocolInput', {
  description: 'A protocol package.',
  fields: (t) => ({
    slug: t.string({ required: true, description: 'lowercase-with-dashes identifier.' }),
    source: t.string({ required: true, description: 'protocol.yaml text.' }),
    prompts: t.field({ type: [PromptInput], description: 'Prompt templates.' }),
    settings: t.field({ type: ProtocolSettingsInput, description: 'Name, description, HTTP tool bindings.' }),
  }),
});

const UpdateProtocolInput = builder.inputType('UpdateProtocolInput', {
  description: 'The whole new package of an existing protocol; it becomes the next version.',
  fields: (t) => ({
    slug: t.string({ required: true, description: 'The protocol to update.' }),
    source: t.string({ required: true, description: 'protocol.yaml text.' }),
    prompts: t.field({ type: [PromptInput], description: 'Prompt templates.' }),
    settings: t.field({ type: ProtocolSettingsInput, description: 'Name, description, HTTP tool bindings.' }),
  }),
});

const DeletedProtocolRef = builder.objectRef<ProtocolRow>('DeletedProtocol').implement({
  description: 'A protocol that was deleted.',
  fields: (t) => ({
    deletedProtocolId: t.globalID({ description: 'Global ID it had.', resolve: (p) => ({ type: 'Protocol', id: p.id }) }),
    slug: t.exposeString('slug', { description: 'Slug it had (free again).' }),
  }),
});

const DeleteProtocolInput = builder.inputType('DeleteProtocolInput', {
  description: 'The protocol to delete.',
  fields: (t) => ({ slug: t.string({ required: true, description: 'Its slug.' }) }),
});

builder.queryFields((t) => ({
  protocol: t.drizzleField({
    type: 'protocols',
    nullable: true,
    description: 'One protocol by slug.',
    args: { slug: t.arg.string({ required: true, description: 'Protocol slug.' }) },
    resolve: (query, _root, { slug }, ctx) => findFirstPrepared(ctx.db, 'protocols', query, { slug, organizationId: ctx.actor.organizationId }),
  }),
  protocols: t.drizzleConnection({
    type: 'protocols',
    description: 'Protocols, oldest first.',
    totalCount: (_root, _args, ctx) => ctx.db.$count(protocols, and(eq(protocols.organizationId, ctx.actor.organizationId))),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.protocols.findMany(query({ where: { organizationId: ctx.actor.organizationId }, orderBy: { id: 'asc' } })),
  }),
  validateProtocol: t.field({
    type: ProtocolValidationRef,
    description: 'Parses and validates a package without storing it.',
    args: {
      source: t.arg.string({ required: true, description: 'protocol.yaml text.' }),
      prompts: t.arg({ type: [PromptInput], description: 'Prompt templates.' }),
    },
    resolve: (_root, args) => validateProtocolPackage({ source: args.source, prompts: args.prompts ?? [] }),
  }),
}));

builder.mutationFields((t) => ({
  createProtocol: t.field({
    authScopes: { admin: true },
    type: Protocol,
    description: 'Validates and stores a protocol package as version 1. Admins only. Appends `Protocol.created`.',
    errors: { types: [ValidationError, ProtocolError] },
    args: { input: t.arg({ type: CreateProtocolInput, required: true }) },
    resolve: (_root, { input }, ctx) => createProtocol(ctx, ctx.actor.organizationId, input as CreateProtocolInputData),
  }),
  updateProtocol: t.field({
    authScopes: { admin: true },
    type: Protocol,
    description: 'Validates and stores a new version; runs keep the version they started with. Appends `Protocol.updated`.',
    errors: { types: [ValidationError, ProtocolError, NotFoundError] },
    args: { input: t.arg({ type: UpdateProtocolInput, required: true }) },
    resolve: (_root, { input }, ctx) => updateProtocol(ctx, ctx.actor.organizationId, input as UpdateProtocolInputData),
  }),
  deleteProtocol: t.field({
    authScopes: { admin: true },
    type: DeletedProtocolRef,
    description: 'Deletes a protocol that no run has executed. Appends `Protocol.deleted`.',
    errors: { types: [NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: DeleteProtocolInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteProtocol(ctx, ctx.actor.organizationId, input.slug),
  }),
}));
