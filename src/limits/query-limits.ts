/**
 * Limits on the shape of an operation, checked before it runs (OWASP GraphQL Cheat
 * Sheet, "Query limiting"): graphql-armor's maintained envelop plugins for tokens (at
 * parse time, so a huge document is refused before it becomes a tree), depth, cost,
 * aliases and directives (validation rules), and the switch that turns introspection
 * off for production. They run in yoga's envelop, so HTTP, SSE and graphql-ws (which
 * parses and validates through `yoga.getEnveloped`) are checked alike.
 *
 * A refusal is a GraphQL error whose message names the limit and what was found
 * (`Syntax Error: Query depth limit of 10 exceeded, found 50.`), answered like any
 * invalid document (HTTP 400 with graphql-response+json; over graphql-ws an `error`
 * message) before any resolver runs: nothing is read or changed.
 */
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { NoSchemaIntrospectionCustomRule, type GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import type { QueryLimits } from '../config.js';

/**
 * The envelop plugins enforcing `limits`; graphql-armor's defaults are noted in
 * src/config.ts beside each variable.
 * @param introspection false adds graphql-js's `NoSchemaIntrospectionCustomRule` and
 *   masks "Did you mean …?" field suggestions, which would otherwise reveal the schema
 *   that introspection hides (graphql-armor's block-field-suggestions)
 */
export function queryLimitPlugins(limits: QueryLimits, introspection: boolean): Plugin[] {
  // Reported as validation errors rather than thrown, so that yoga answers them as it
  // answers any invalid document (400 with graphql-response+json, GraphQL over HTTP).
  const asValidationError = { propagateOnRejection: false, onReject: [reportTo] };
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.maxTokens }),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...asValidationError }),
    costLimitPlugin({ maxCost: limits.maxCost, ignoreIntrospection: true, ...asValidationError }),
    maxAliasesPlugin({ n: limits.maxAliases, ...asValidationError }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...asValidationError }),
  ];
  if (!introspection) {
    plugins.push(blockFieldSuggestionsPlugin(), {
      onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
    });
  }
  return plugins;
}

/** graphql-armor's rejection callback: the limit's error joins the document's validation errors. */
function reportTo(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(error);
}
