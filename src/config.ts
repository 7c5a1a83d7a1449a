/**
 * Server configuration, read once from environment variables (docs/architecture.md "Configuration";
 * the variable names are part of the contract). Every problem is reported at once.
 */
import proxyAddr from 'proxy-addr';
import { z } from 'zod';

import { DEFAULT_MODEL_PRICES, ModelPriceModel, type ModelPrices } from './models/prices.js';
import { parseAllowEntry } from './net/outbound.js';
import { ModelId } from './validation.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** An optional variable holding a JSON object whose values are `value`s; `example` is shown when it is not JSON. */
function jsonObject<T extends z.ZodType>(example: string, value: T) {
  return optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: `must be a JSON object such as ${example}` });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string(), value))
      .optional(),
  );
}

const EnvironmentModel = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url({ message: 'must be an http(s) URL' }).optional()),
  MODEL_ALIASES: jsonObject('{"anthropic/x":"openai/gpt-4o"}', z.string()),
  MODEL_PRICES: jsonObject('{"gpt-4o":{"input":2.5,"output":10,"cachedInput":1.25}}', ModelPriceModel),
  DEFAULT_MODEL: optionalString.pipe(ModelId.optional()),
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  ADMIN_API_KEY: optionalString,
  RUN_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  // Limits (README "Limits"); graphql-armor's own default noted where ours differs.
  NODE_ENV: optionalString,
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(2 * 1024 * 1024),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive().default(2_000), // armor: 1000
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(10), // armor: 6
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(50_000), // armor: 5000
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().positive().default(15),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().positive().default(50),
  GRAPHQL_INTROSPECTION: z.stringbool().optional(),
  GRAPHIQL: z.stringbool().optional(),
  PERSISTED_OPERATIONS_FILE: optionalString,
  PERSISTED_OPERATIONS_ONLY: z.stringbool().default(true),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  RATE_LIMIT_PER_CLIENT: z.coerce.number().int().min(0).default(1_200),
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(0).default(1_200),
  RATE_LIMIT_PER_SOCKET: z.coerce.number().int().min(0).default(600),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().positive().default(50),
  MAX_SUBSCRIPTIONS_PER_KEY: z.coerce.number().int().positive().default(200),
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(16_384).default(1024 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  OUTBOUND_ALLOW: optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
        for (const entry of entries) {
          try {
            parseAllowEntry(entry);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        }
        return entries;
      })
      .optional(),
  ),
  OUTBOUND_ALLOW_PUBLIC: z.stringbool().default(true),
  TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
        try {
          proxyAddr.compile(entries);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `${(error as Error).message} (expected addresses, CIDR ranges or loopback, linklocal, uniquelocal, separated by commas)` });
        }
        return entries;
      })
      .optional(),
  ),
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL' }).optional()),
  ALERT_EMAIL_FROM: z.string().trim().min(3).default('Workforce <workforce@localhost>'),
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
});

/** Variables whose values are never repeated in an error (they are, or may hold, credentials). */
const SECRET_VARIABLES = new Set(['ADMIN_API_KEY', 'OPENAI_API_KEY', 'DATABASE_URL', 'REDIS_URL', 'METRICS_TOKEN']);

/** graphql-armor's limits on one operation (src/limits/query-limits.ts). */
export interface QueryLimits {
  /** Lexical tokens in the document, checked while parsing. */
  maxTokens: number;
  /** Nesting of selections; a Relay connection costs two levels (`edges`, `node`). */
  maxDepth: number;
  /** graphql-armor's cost: 2 per object and 1 per scalar field, ×1.5 per level, × `first`/`last`. */
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
}

/** Request rates, each over a fixed window of `windowSeconds`; 0 turns one off (src/limits/rate-limit.ts). */
export interface RateLimits {
  windowSeconds: number;
  /** HTTP requests and websocket upgrades per client address. */
  perClient: number;
  /** Operations per API key (HTTP and graphql-ws together). */
  perKey: number;
  /** Operations per graphql-ws socket. */
  perSocket: number;
  /**
   * Proxies whose `X-Forwarded-For` names the client (proxy-addr's `trust` list: addresses,
   * CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`); empty: the socket's peer is the client.
   */
  trustProxy: string[];
}

/** Everything that bounds what one client can make the server do (README "Limits"). */
export interface Limits {
  /** Largest request body, in bytes; also the largest graphql-ws message. */
  maxBodyBytes: number;
  query: QueryLimits;
  /** Whether the schema answers introspection (off: also no field suggestions). */
  introspection: boolean;
  /** Whether GET /graphql in a browser serves GraphiQL. */
  graphiql: boolean;
  /** A JSON file of hash → query (src/limits/persisted-operations.ts), or undefined: off. */
  persistedOperations: { file: string; only: boolean } | undefined;
  rate: RateLimits;
  /** Concurrent subscriptions per connection (graphql-ws socket, SSE request) and per API key. */
  subscriptions: { perConnection: number; perKey: number };
  /** How long a graphql-ws socket may wait before `connection_init`, in ms (closed with 4408). */
  wsConnectionInitTimeoutMs: number;
  /** Bytes a graphql-ws socket may hold unread by its client before it is closed with 4413. */
  wsMaxBufferedBytes: number;
  /** How long a client may take to send a whole HTTP request (headers and body), in ms; then 408 and the socket is closed. */
  requestTimeoutMs: number;
}

/** The parsed configuration; see docs/architecture.md for each variable's meaning and default. */
export interface Config {
  port: number;
  host: string;
  /** A postgres:// URL, or undefined for the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** PGlite's directory; `memory://` keeps nothing. */
  dataDir: string;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  modelAliases: Record<string, string>;
  /**
   * DEFAULT_MODEL, as `vendor/model`: the model of a worker (or fleet template) given neither
   * a model nor a protocol, so that it runs the default worker protocol; undefined: such a
   * worker is driven from outside (README "Configuration").
   */
  defaultModel: string | undefined;
  /** USD per million tokens by billed model id: the built-in list prices with `MODEL_PRICES` over them. */
  modelPrices: ModelPrices;
  redisUrl: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  adminApiKey: string | undefined;
  /**
   * How long a process owns a run it executes without renewing its lease, in ms; a run
   * whose process died is taken over by another process this long after its last renewal.
   */
  runLeaseMs: number;
  /**
   * How long a verified API key is reused from memory, in ms (0: checked in SQL on every
   * request); a revocation reaches every process at once over the bus, and this bounds
   * how stale a process can be if that message is lost.
   */
  apiKeyCacheMs: number;
  limits: Limits;
  /** Where HTTP tools, webhooks and MCP connections may go (src/net/outbound.ts). */
  outbound: { allow: string[]; allowPublic: boolean };
  /** The SMTP server of e-mail alert channels and their sender (src/net/mailer.ts), or undefined: e-mail channels are refused. */
  mail: { smtpUrl: string; from: string } | undefined;
  /** The bearer token that may read `/metrics` besides admin API keys (src/http/server.ts). */
  metricsToken: string | undefined;
  /** OpenTelemetry tracing, from the standard `OTEL_*` variables (src/observability/tracing.ts). */
  tracing: TracingConfig;
}

/** What `loadConfig` reads of tracing (src/observability/tracing.ts starts it). */
export interface TracingConfig {
  /** Whether an exporter is configured (module comment); false: no span is made at all. */
  enabled: boolean;
  /**
   * Whether model-call spans carry prompts and answers (the AI SDK's `recordInputs` and
   * `recordOutputs`): `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`, the
   * variable OpenTelemetry's GenAI instrumentations use. Off by default: prompts may hold
   * personal data.
   */
  recordContent: boolean;
}

/**
 * Reads the tracing switches from OpenTelemetry's standard variables: on when an exporter
 * is asked for (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or
 * `OTEL_TRACES_EXPORTER` other than `none`) and `OTEL_SDK_DISABLED` is not `true`. Never
 * throws: the SDK reports its own bad values (`OTEL_LOG_LEVEL`).
 */
function tracingConfigOf(env: Record<string, string | undefined>): TracingConfig {
  const set = (name: string) => (env[name]?.trim() ?? '') !== '';
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const wanted = exporters.length > 0 ? !exporters.includes('none') : set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  return {
    enabled: wanted && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true',
    recordContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === 'true',
  };
}

/** Thrown by {@link loadConfig} with one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` (normally `process.env`) into a {@link Config}.
 * @throws ConfigError naming every variable whose value is not acceptable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvironmentModel.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${issue.path.join('.')}: ${issue.message} (got ${SECRET_VARIABLES.has(name) ? 'a value that is not shown' : JSON.stringify(env[name])})`;
      }),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    modelAliases: e.MODEL_ALIASES ?? {},
    defaultModel: e.DEFAULT_MODEL,
    modelPrices: { ...DEFAULT_MODEL_PRICES, ...e.MODEL_PRICES },
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    adminApiKey: e.ADMIN_API_KEY,
    runLeaseMs: e.RUN_LEASE_MS,
    apiKeyCacheMs: e.API_KEY_CACHE_SECONDS * 1000,
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      query: {
        maxTokens: e.GRAPHQL_MAX_TOKENS,
        maxDepth: e.GRAPHQL_MAX_DEPTH,
        maxCost: e.GRAPHQL_MAX_COST,
        maxAliases: e.GRAPHQL_MAX_ALIASES,
        maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      },
      // Off in production unless asked for (Apollo's convention; OWASP GraphQL Cheat Sheet).
      introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== 'production',
      graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
      persistedOperations: e.PERSISTED_OPERATIONS_FILE ? { file: e.PERSISTED_OPERATIONS_FILE, only: e.PERSISTED_OPERATIONS_ONLY } : undefined,
      rate: {
        windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
        perClient: e.RATE_LIMIT_PER_CLIENT,
        perKey: e.RATE_LIMIT_PER_KEY,
        perSocket: e.RATE_LIMIT_PER_SOCKET,
        trustProxy: e.TRUST_PROXY ?? [],
      },
      subscriptions: { perConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION, perKey: e.MAX_SUBSCRIPTIONS_PER_KEY },
      wsConnectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
      wsMaxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    },
    outbound: { allow: e.OUTBOUND_ALLOW ?? [], allowPublic: e.OUTBOUND_ALLOW_PUBLIC },
    mail: e.SMTP_URL ? { smtpUrl: e.SMTP_URL, from: e.ALERT_EMAIL_FROM } : undefined,
    metricsToken: e.METRICS_TOKEN,
    tracing: tracingConfigOf(env),
  };
}
