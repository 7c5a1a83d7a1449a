/**
 * The GraphQL figures of `/metrics`: yoga's Prometheus plugin (@graphql-yoga/plugin-prometheus,
 * over @envelop/prometheus) for operations, their phases and HTTP durations, with two
 * changes — no `url` label (a GET request's URL holds its query and variables: one series
 * per distinct request) and errors counted by `code` instead of response path — plus what
 * it does not count: open subscriptions, and requests refused before GraphQL runs.
 *
 * `operationName` labels are what clients send; persisted operations
 * (PERSISTED_OPERATIONS_FILE) bound them.
 */
import { getOperationAST, type GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { createCounter, usePrometheus, type FillLabelsFnParams } from '@graphql-yoga/plugin-prometheus';
import { Counter, Gauge } from 'prom-client';

import { errorCode, type ErrorPhase } from '../graphql/mask-errors.js';
import type { Metrics } from './metrics.js';

/** The yoga plugins recording GraphQL figures into `metrics.registry`. */
export function graphqlMetricsPlugins(metrics: Metrics): Plugin[] {
  const { registry } = metrics;
  return [
    usePrometheus({
      registry,
      endpoint: false, // served by src/http/server.ts with its access rule
      labels: { url: false },
      metrics: {
        // The request-duration histogram says the same, with buckets that aggregate.
        graphql_envelop_request_time_summary: false,
        graphql_envelop_error_result: createCounter({
          registry,
          counter: {
            name: 'graphql_envelop_error_result',
            help: 'GraphQL errors in answers, by operation, phase and extensions.code.',
            labelNames: ['operationName', 'operationType', 'phase', 'code'],
          },
          fillLabelsFn: (params: FillLabelsFnParams) => {
            const phase = (params.errorPhase ?? 'execute') as ErrorPhase;
            return {
              operationName: params.operationName ?? 'Anonymous',
              operationType: params.operationType ?? 'unknown',
              phase,
              code: errorCode(params.error as GraphQLError | undefined, phase),
            };
          },
        }),
      },
    }),
    useSubscriptionGauge(metrics),
    useRefusalCounter(metrics),
  ];
}

/** `workforce_graphql_subscriptions_open{field, transport}`: subscriptions streaming now, by root field. */
function useSubscriptionGauge({ registry }: Metrics): Plugin<{ socket?: object }> {
  const open = new Gauge({
    name: 'workforce_graphql_subscriptions_open',
    help: 'Subscriptions streaming now, by root field and transport (ws: graphql-ws, sse: server-sent events).',
    labelNames: ['field', 'transport'],
    registers: [registry],
  });
  return {
    onSubscribe({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const first = operation?.selectionSet.selections[0];
      const labels = { field: first?.kind === 'Field' ? first.name.value : 'unknown', transport: args.contextValue.socket ? 'ws' : 'sse' };
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return undefined;
          open.inc(labels);
          return { onEnd: () => open.dec(labels) };
        },
      };
    },
  };
}

/** `workforce_http_refusals_total{status}`: HTTP requests answered 4xx before GraphQL read them (401, 413, 429). */
function useRefusalCounter({ registry }: Metrics): Plugin {
  const refusals = new Counter({
    name: 'workforce_http_refusals_total',
    help: 'HTTP requests refused before GraphQL read them, by status (401 unauthenticated, 408 timeout, 413 too large, 429 rate limited).',
    labelNames: ['status'],
    registers: [registry],
  });
  const read = new WeakSet<Request>();
  return {
    onParams({ request }) {
      read.add(request);
    },
    onResponse({ request, response }) {
      if (response.status >= 400 && !read.has(request)) refusals.inc({ status: String(response.status) });
    },
  };
}
