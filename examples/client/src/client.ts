/**
 * A small typed client for the workforce server that sends persisted documents only:
 * each operation goes out as its `documentId` (the `sha256:<hex>` hash GraphQL Codegen's
 * client preset put in the document), never as text, so the server can run with
 * PERSISTED_OPERATIONS_ONLY. Queries and mutations are POSTed over HTTP; subscriptions
 * run over graphql-ws. Results are typed by the generated `TypedDocumentNode`s.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';

/** Where the server is and how to authenticate (`Authorization: Bearer <apiKey>` over HTTP, `connectionParams.authorization` over graphql-ws). */
export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** An API key (`wf_…`), or undefined on a server with open access. */
  apiKey?: string | undefined;
}

/** A typed document whose text the client preset replaced by its hash. */
type PersistedDocument<Result, Variables> = TypedDocumentNode<Result, Variables> & { __meta__?: { hash?: string } };

/** An operation answered with errors; `errors` holds the server's GraphQL errors as sent. */
export class OperationError extends Error {
  constructor(readonly errors: readonly GraphQLFormattedError[]) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'OperationError';
  }
}

/** The typed client: {@link WorkforceClient.execute} for queries and mutations, {@link WorkforceClient.subscribe} for subscriptions. */
export class WorkforceClient {
  private sockets: Client | undefined;

  constructor(private readonly options: ClientOptions) {}

  /**
   * Runs a query or mutation by its persisted id and returns its data.
   * @throws OperationError when the answer carries errors (e.g. `PERSISTED_QUERY_NOT_FOUND` on a server that does not know the id)
   */
  async execute<Result, Variables>(document: PersistedDocument<Result, Variables>, variables: Variables): Promise<Result> {
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: JSON.stringify({ documentId: documentId(document), variables }),
    });
    const result = (await response.json()) as FormattedExecutionResult<Result>;
    if (result.errors?.length) throw new OperationError(result.errors);
    return result.data as Result;
  }

  /**
   * Subscribes by persisted id; yields each event's data until the server completes the
   * subscription or the caller stops iterating (which unsubscribes).
   * @throws OperationError when the server answers the subscription with errors
   */
  async *subscribe<Result, Variables>(document: PersistedDocument<Result, Variables>, variables: Variables): AsyncGenerator<Result> {
    // graphql-ws requires a `query` string; the empty one tells the server to look the id up.
    const iterator = this.socket().iterate<Result>({ query: '', variables: variables as Record<string, unknown>, documentId: documentId(document) } as SubscribePayload);
    for await (const result of iterator) {
      if (result.errors?.length) throw new OperationError(result.errors);
      yield result.data as Result;
    }
  }

  /** Closes the websocket, if one was opened. */
  async close(): Promise<void> {
    await this.sockets?.dispose();
  }

  private socket(): Client {
    this.sockets ??= createClient({
      url: this.options.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {},
      lazy: true,
    });
    return this.sockets;
  }
}

function documentId(document: { __meta__?: { hash?: string } }): string {
  const hash = document.__meta__?.hash;
  if (!hash) throw new TypeError('This document has no persisted hash: generate it with the client preset and persistedDocuments on');
  return hash;
}
