/**
 * Entry point: `npm start`. Reads the environment, starts tracing when the `OTEL_*`
 * variables ask for it, starts the app, stops on SIGTERM/SIGINT (exporting the last spans).
 */
import { createApp } from './app.js';
import { InsecureStartError } from './auth/access.js';
import { ConfigError, loadConfig } from './config.js';
import { ValidationError } from './errors.js';
import { ModelResolutionError } from './models/registry.js';
import { startTracing } from './observability/tracing.js';

try {
  const config = loadConfig(process.env);
  const tracing = await startTracing(config.tracing, process.env);
  const app = await createApp(config);
  try {
    await app.start();
  } catch (error) {
    await app.stop();
    throw error;
  }
  const shutdown = (signal: string) => {
    app.services.logger.info({ signal }, 'shutting down');
    app
      .stop()
      .then(() => tracing.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          app.services.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  // Configuration problems: a message for people and exit code 2, no stack trace.
  if (error instanceof ConfigError || error instanceof InsecureStartError || error instanceof ValidationError || error instanceof ModelResolutionError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
