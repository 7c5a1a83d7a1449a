/**
 * A local HTTP server that speaks the OpenAI Chat Completions protocol, streaming and not, for
 * tests of the wire path (docs/architecture.md "Models (LLM)"): point OPENAI_BASE_URL (or the registry's
 * `openaiBaseUrl`) at `url`, script the replies, read what the client sent in `requests`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One message of a Chat Completions request, as @ai-sdk/openai sends it. */
export interface ChatCompletionMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** A string, or parts such as `{ type: 'text', text }` when a message mixes text and images. */
  content?: string | Array<{ type: string; text?: string }> | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

/** The JSON body of `POST /v1/chat/completions`; fields not listed are kept as sent. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatCompletionMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  response_format?: unknown;
  [field: string]: unknown;
}

/**
 * What the server answers to one request:
 * - a string: the assistant's text, streamed in one delta per word when the request streams;
 * - `{ toolCalls }`: the assistant calls these tools (`arguments` is serialised as JSON);
 * - `{ status, body }`: this status and JSON body, verbatim, e.g. a 429 or 500 error.
 */
export type FakeReply =
  | string
  | { toolCalls: Array<{ name: string; arguments: unknown }> }
  | { status: number; body: unknown };

export interface FakeOpenAIOptions {
  /** Scripts the replies; defaults to {@link defaultReply}. May be async. */
  reply?: (request: ChatCompletionRequest) => FakeReply | Promise<FakeReply>;
  /** Pause between streamed chunks, in milliseconds (default 0: written back to back). */
  chunkDelayMs?: number;
}

/** A request the server received, in arrival order. */
export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatCompletionRequest;
}

export interface FakeOpenAIServer {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:54321/v1`. */
  url: string;
  /** Every request received (chat completions or not), oldest first. */
  requests: RecordedRequest[];
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/** The last user message's text, parts joined by newlines; '' when there is none. */
export function lastUserText(request: ChatCompletionRequest): string {
  const message = request.messages.findLast((m) => m.role === 'user');
  const content = message?.content;
  if (typeof content === 'string') return content;
  return (content ?? []).flatMap((part) => (part.text === undefined ? [] : [part.text])).join('\n');
}

/** The system (or developer) message's text; '' when there is none. */
export function systemText(request: ChatCompletionRequest): string {
  const content = request.messages.find((message) => message.role === 'system' || message.role === 'developer')?.content;
  return typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('\n');
}

/** The default reply: names the model and echoes the last user message. Deterministic. */
export function defaultReply(request: ChatCompletionRequest): string {
  return `Fake ${request.model} received: ${lastUserText(request)}`;
}

/** Starts the server on 127.0.0.1 on a free port; `close()` it in `afterAll`/`afterEach`. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const reply = options.reply ?? defaultReply;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const requests: RecordedRequest[] = [];
  let completions = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(`fake server failed: ${String(error)}`, 'server_error'));
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    let body: ChatCompletionRequest;
    try {
      body = (text ? JSON.parse(text) : {}) as ChatCompletionRequest;
    } catch {
      return sendJson(res, 400, errorBody('request body is not JSON', 'invalid_request_error'));
    }
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return sendJson(res, 404, errorBody(`${req.method} ${req.url} is not served by the fake`, 'invalid_request_error'));
    }

    const answer = await reply(body);
    if (typeof answer === 'object' && 'status' in answer) return sendJson(res, answer.status, answer.body);
    const completion: Completion = {
      id: `chatcmpl-fake-${++completions}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      text: typeof answer === 'string' ? answer : null,
      toolCalls: (typeof answer === 'string' ? [] : answer.toolCalls).map((call, index) => ({
        id: `call_fake_${completions}_${index}`,
        type: 'function' as const,
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      })),
      usage: usageOf(body, answer),
    };
    if (body.stream) {
      await streamCompletion(res, completion, body.stream_options?.include_usage === true, chunkDelayMs);
    } else {
      sendJson(res, 200, completionBody(completion));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface Completion {
  id: string;
  created: number;
  model: string;
  text: string | null;
  toolCalls: NonNullable<ChatCompletionMessage['tool_calls']>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function completionBody(c: Completion): unknown {
  return {
    id: c.id,
    object: 'chat.completion',
    created: c.created,
    model: c.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: c.text, ...(c.toolCalls.length ? { tool_calls: c.toolCalls } : {}) },
        finish_reason: c.toolCalls.length ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: c.usage,
  };
}

/**
 * Writes `chat.completion.chunk` events: the role, one content delta per word (or one delta per
 * tool call), a chunk with the finish reason, a usage chunk with empty `choices` when the request
 * asked for it (as OpenAI does), then `[DONE]`.
 */
async function streamCompletion(res: ServerResponse, c: Completion, includeUsage: boolean, delayMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (choices: unknown[], extra: object = {}) => ({
    id: c.id,
    object: 'chat.completion.chunk',
    created: c.created,
    model: c.model,
    choices,
    ...extra,
  });
  const delta = (fields: object, finishReason: string | null = null) => [{ index: 0, delta: fields, finish_reason: finishReason }];

  const events: unknown[] = [chunk(delta({ role: 'assistant', content: '' }))];
  for (const word of c.text === null ? [] : splitWords(c.text)) events.push(chunk(delta({ content: word })));
  c.toolCalls.forEach((call, index) => events.push(chunk(delta({ tool_calls: [{ index, ...call }] }))));
  events.push(chunk(delta({}, c.toolCalls.length ? 'tool_calls' : 'stop')));
  if (includeUsage) events.push(chunk([], { usage: c.usage }));

  for (const event of events) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(event)}\n\n`);
    if (delayMs > 0) await sleep(delayMs);
  }
  res.end('data: [DONE]\n\n');
}

/** Words with their trailing whitespace; joined they give back `text`. */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** Approximate tokens, about four characters each, like the offline model counts them. */
function usageOf(request: ChatCompletionRequest, answer: FakeReply): Completion['usage'] {
  const tokens = (value: unknown) => Math.ceil(JSON.stringify(value ?? '').length / 4);
  const prompt_tokens = tokens(request.messages);
  const completion_tokens = tokens(answer);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function errorBody(message: string, type: string): unknown {
  return { error: { message, type, param: null, code: null } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
