/** Structured JSON logs (pino), one logger per process, children per component. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the root logger at `level` (`silent` in tests). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'workforce-server' } });
}
