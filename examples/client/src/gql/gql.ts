/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Workers($first: Int!) {\n    workers(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          role\n          lifecycle\n          fleet {\n            name\n          }\n        }\n      }\n    }\n  }\n": typeof types.WorkersDocument,
    "\n  mutation HireWorker($input: HireWorkerInput!) {\n    hireWorker(input: $input) {\n      __typename\n      ... on Worker {\n        id\n        name\n        role\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.HireWorkerDocument,
    "\n  subscription DomainEvents($types: [String!], $after: Int) {\n    events(types: $types, after: $after) {\n      seq\n      type\n      subjectId\n      payload\n    }\n  }\n": typeof types.DomainEventsDocument,
};
const documents: Documents = {
    "\n  query Workers($first: Int!) {\n    workers(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          role\n          lifecycle\n          fleet {\n            name\n          }\n        }\n      }\n    }\n  }\n": types.WorkersDocument,
    "\n  mutation HireWorker($input: HireWorkerInput!) {\n    hireWorker(input: $input) {\n      __typename\n      ... on Worker {\n        id\n        name\n        role\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.HireWorkerDocument,
    "\n  subscription DomainEvents($types: [String!], $after: Int) {\n    events(types: $types, after: $after) {\n      seq\n      type\n      subjectId\n      payload\n    }\n  }\n": types.DomainEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Workers($first: Int!) {\n    workers(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          role\n          lifecycle\n          fleet {\n            name\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Workers($first: Int!) {\n    workers(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          role\n          lifecycle\n          fleet {\n            name\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation HireWorker($input: HireWorkerInput!) {\n    hireWorker(input: $input) {\n      __typename\n      ... on Worker {\n        id\n        name\n        role\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation HireWorker($input: HireWorkerInput!) {\n    hireWorker(input: $input) {\n      __typename\n      ... on Worker {\n        id\n        name\n        role\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DomainEvents($types: [String!], $after: Int) {\n    events(types: $types, after: $after) {\n      seq\n      type\n      subjectId\n      payload\n    }\n  }\n"): (typeof documents)["\n  subscription DomainEvents($types: [String!], $after: Int) {\n    events(types: $types, after: $after) {\n      seq\n      type\n      subjectId\n      payload\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;