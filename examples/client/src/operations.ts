/**
 * The example client's operations. GraphQL Codegen's client preset reads the `graphql()`
 * calls below and generates their types and persisted ids into ./gql/; the server runs
 * nothing else when started with PERSISTED_OPERATIONS_FILE=examples/client/src/gql/persisted-documents.json.
 */
import { graphql } from './gql/index.js';

/** The first workers with their fleet, newest first. */
export const WorkersQuery = graphql(`
  query Workers($first: Int!) {
    workers(first: $first) {
      totalCount
      edges {
        node {
          id
          name
          role
          lifecycle
          fleet {
            name
          }
        }
      }
    }
  }
`);

/** Hires a worker; a bad input comes back as a `ValidationError` member of the result union. */
export const HireWorkerMutation = graphql(`
  mutation HireWorker($input: HireWorkerInput!) {
    hireWorker(input: $input) {
      __typename
      ... on Worker {
        id
        name
        role
      }
      ... on Error {
        message
      }
    }
  }
`);

/** Domain events of the given types as they are appended (resume with `after`). */
export const DomainEventsSubscription = graphql(`
  subscription DomainEvents($types: [String!], $after: Int) {
    events(types: $types, after: $after) {
      seq
      type
      subjectId
      payload
    }
  }
`);
