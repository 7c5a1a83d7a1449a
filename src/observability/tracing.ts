/**
 * OpenTelemetry tracing, off by default. It is on when the standard variables ask for an
 * exporter (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_TRACES_EXPORTER` other than `none`) and `OTEL_SDK_DISABLED` is not `true`; the
 * OpenTelemetry Node SDK then reads the rest of the `OTEL_*` variables itself (protocol,
 * headers, sampler, batch delays, resource attributes), as the specification's
 * "Environment Variable Specification" describes.
 *
 * Traces only: the server's metrics are Prometheus's (src/observability/metrics.ts), so
 * the SDK is given no metric reader and no log processor. No auto-instrumentation is
 * loaded; spans come from the integrations that create them through `@opentelemetry/api`:
 * GraphQL operations (@envelop/opentelemetry, src/http/yoga.ts), SQL statements
 * (src/db/tracing.ts), runs (src/runs/executor.ts), run blocks and model calls (the
 * engine, with the AI SDK's telemetry; src/engine/tracing.ts).
 */
import { context, propagation, ROOT_CONTEXT, trace, type Link, type Tracer } from '@opentelemetry/api';
import { setCurrentOtelContext, useOpenTelemetry } from '@envelop/opentelemetry';
import type { Plugin } from 'graphql-yoga';

import type { TracingConfig } from '../config.js';
import { traceSqlStatements } from '../db/tracing.js';

/** The instrumentation scope of the server's own spans. */
export const TRACER_NAME = 'workforce-server';

/** A started tracing SDK; `shutdown` exports what is buffered and stops it. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for this process (it registers the global tracer
 * provider, the AsyncLocalStorage context manager and the W3C propagators) and traces
 * SQL statements (src/db/tracing.ts), or does nothing when `config.enabled` is false.
 * The service is `workforce-server` unless `OTEL_SERVICE_NAME` (or `service.name` in
 * `OTEL_RESOURCE_ATTRIBUTES`) names it. Call it once per process, before the app is
 * created; the app then makes its spans when `config.tracing.enabled`.
 */
export async function startTracing(config: TracingConfig, env: Record<string, string | undefined>): Promise<Tracing> {
  if (!config.enabled) return { shutdown: async () => {} };
  // Loaded only when tracing is on: a server without it never loads the SDK.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const named = env.OTEL_SERVICE_NAME?.trim() || /(^|,)\s*service\.name=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  const sdk = new NodeSDK({
    ...(named ? {} : { serviceName: TRACER_NAME }),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  traceSqlStatements(serverTracer());
  return { shutdown: () => sdk.shutdown() };
}

/** The tracer of the server's own spans (a no-op until a provider is registered). */
export function serverTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * The yoga plugins of operation spans: @envelop/opentelemetry's (one span per operation,
 * `query.<name>`, `mutation.<name>`, `subscription.<name>`, kind SERVER, active while it
 * executes, with its document unless it has inline arguments; no variables, results or
 * resolver spans), preceded by {@link useIncomingTraceContext}.
 */
export function operationTracingPlugins(): Plugin[] {
  const spans = useOpenTelemetry({ resolvers: false, variables: false, result: false }, trace.getTracerProvider(), undefined, undefined, TRACER_NAME);
  return [useIncomingTraceContext(), spans as Plugin];
}

/**
 * A yoga plugin making an HTTP request's operation span continue the trace its client
 * sent in `traceparent` / `tracestate` (W3C Trace Context): placed before
 * @envelop/opentelemetry's plugin, it sets the context that plugin starts its span in.
 * graphql-ws operations start new traces.
 */
function useIncomingTraceContext(): Plugin<{ request?: Request }> {
  const continueTrace = (contextValue: { request?: Request }) => {
    const headers = contextValue.request?.headers;
    if (!headers?.has('traceparent')) return;
    setCurrentOtelContext(contextValue, propagation.extract(ROOT_CONTEXT, headers, { get: (carrier, key) => carrier.get(key) ?? undefined, keys: (carrier) => [...carrier.keys()] }));
  };
  return {
    onExecute: ({ args }) => continueTrace(args.contextValue),
    onSubscribe: ({ args }) => continueTrace(args.contextValue),
  };
}

/**
 * Runs `work` outside whatever trace is active (a run started by a request must not
 * become part of that request's trace: it may outlive it by hours), handing it a link to
 * the active span so that the two traces stay connected.
 */
export function detachedFromActiveTrace<T>(work: (links: Link[]) => T): T {
  const active = trace.getActiveSpan();
  return context.with(ROOT_CONTEXT, () => work(active ? [{ context: active.spanContext() }] : []));
}
