/**
 * Server configuration, read once from environment variables (DESIGN.md "Configuration";
 * the variable names are part of the contract). Every problem is reported at once.
 */
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

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
  MODEL_ALIASES: optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object such as {"anthropic/x":"openai/gpt-4o"}' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string(), z.string()))
      .optional(),
  ),
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  ADMIN_API_KEY: optionalString,
  RUN_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
});

/** The parsed configuration; see DESIGN.md for each variable's meaning and default. */
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
  redisUrl: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  adminApiKey: string | undefined;
  /**
   * How long a process owns a run it executes without renewing its lease, in ms; a run
   * whose process died is taken over by another process this long after its last renewal.
   */
  runLeaseMs: number;
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
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(env[String(issue.path[0])])})`),
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
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    adminApiKey: e.ADMIN_API_KEY,
    runLeaseMs: e.RUN_LEASE_MS,
  };
}
