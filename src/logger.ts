/** Structured JSON logs (pino), one logger per process, children per component. */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino replaces with "[redacted]" wherever they are logged (issue 6: secrets never
 * in logs): authorization headers and API keys as request, connection-parameter or
 * configuration fields, and provider keys. A `*` matches one level of nesting.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'connectionParams',
  '*.connectionParams',
  'adminApiKey',
  '*.adminApiKey',
  'openaiApiKey',
  '*.openaiApiKey',
];

/**
 * Creates the root logger at `level` (`silent` in tests).
 * @param destination where lines go (default: stdout)
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'workforce-server' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
