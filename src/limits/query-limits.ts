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
 *
 * graphql-armor's cost counts a page only from a literal `first` / `last` (`first: 100`);
 * given by a variable (`first: $n`) it would count as one item and a costly document
 * would pass. {@link useVariablePageCost} checks such documents again once the variables
 * are known, with the values in place of the variables, so that a document costs the same
 * whichever way its page sizes are written (refused with the same message, in the
 * execution result: HTTP 200 with `errors`, or a graphql-ws `next` then `complete`).
 */
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin, costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { Kind, NoSchemaIntrospectionCustomRule, validate, visit, type DocumentNode, type GraphQLError, type ValidationContext } from 'graphql';
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
    useVariablePageCost(limits.maxCost),
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

/** Connection arguments whose value graphql-armor's cost multiplies a selection by. */
const PAGE_ARGUMENTS = new Set(['first', 'last']);

/** Whether `document` gives a page size (`first` / `last`) by a variable. */
function pagesByVariable(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Argument(node) {
      if (PAGE_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) found = true;
    },
  });
  return found;
}

/**
 * `document` with each page size given by a variable replaced by the variable's value as
 * a literal; a variable without an integer value leaves the argument out (as armor
 * counts a connection without `first` / `last`).
 */
function withPageSizes(document: DocumentNode, variables: Record<string, unknown>): DocumentNode {
  return visit(document, {
    Argument(node) {
      if (!PAGE_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      const value = variables[node.value.name.value];
      return Number.isInteger(value) ? { ...node, value: { kind: Kind.INT, value: String(value) } } : null;
    },
  });
}

/**
 * An envelop plugin checking graphql-armor's cost limit (`maxCost`) again at execution for
 * documents that give page sizes by variables, with the request's values in their place.
 * Whether a document does is remembered per parsed document (yoga caches those), so other
 * documents cost one WeakMap lookup.
 */
function useVariablePageCost(maxCost: number): Plugin {
  const byVariable = new WeakMap<DocumentNode, boolean>();
  const rule = costLimitRule({ maxCost, ignoreIntrospection: true, propagateOnRejection: false, onReject: [reportTo] });
  const check = (args: { schema: Parameters<typeof validate>[0]; document: DocumentNode; variableValues?: Record<string, unknown> | null | undefined }) => {
    let paged = byVariable.get(args.document);
    if (paged === undefined) byVariable.set(args.document, (paged = pagesByVariable(args.document)));
    if (!paged) return [];
    return validate(args.schema, withPageSizes(args.document, args.variableValues ?? {}), [rule]);
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
