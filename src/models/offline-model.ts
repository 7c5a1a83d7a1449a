/**
 * The built-in `offline` language model (docs/architecture.md "Models (LLM)"): with no key and no base URL
 * it answers every model id, without any network, so the server runs on a fresh machine.
 * It is never mistaken for a real LLM: every prose reply starts by saying it is the offline model.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3FunctionTool,
  LanguageModelV3GenerateResult,
  LanguageModelV3Message,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { minimalJsonValue } from './minimal-json.js';

/**
 * Characters per token for the usage this model reports: OpenAI's rule of thumb for English
 * ("one token is about 4 characters"). Counts are `ceil(characters / 4)`, never a tokenizer's.
 */
export const CHARS_PER_TOKEN = 4;

/** Length of a streamed text delta, in characters; a delta ends after a space when one is near. */
const DELTA_CHARS = 24;

/** How much of the last user message the reply quotes, in characters (code points). */
const QUOTE_CHARS = 160;

/** Approximate token count of `text`: `ceil(text.length / CHARS_PER_TOKEN)`, 0 for ''. */
export function approximateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * A deterministic {@link LanguageModelV3}: the same call options give the same content, stream
 * parts and usage. What it answers:
 * - a forced tool call (`toolChoice` `required` or `{ type: 'tool' }`): a call of that tool (the
 *   first function tool for `required`) whose input is the minimal value of its input schema;
 * - JSON mode (`responseFormat.type === 'json'`): the minimal JSON value satisfying the schema
 *   (see {@link minimalJsonValue}; `{}` without a schema);
 * - otherwise a few sentences saying it is the offline model and quoting the last user message.
 *
 * Text is cut at `maxOutputTokens` (finish reason `length`). Usage is approximated with
 * {@link approximateTokens} over the prompt's text, tool definitions and response schema
 * (input) and the generated text or tool input (output); file parts are not counted.
 * Streams are `stream-start`, `text-start`, several `text-delta`s, `text-end` (or
 * `tool-input-start`/`-delta`/`-end` and `tool-call`), then `finish`.
 */
export class OfflineLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'offline';
  readonly modelId = 'offline';
  /** Claims every URL so that the AI SDK hands file URLs over as they are and downloads nothing. */
  readonly supportedUrls: Record<string, RegExp[]> = { '*/*': [/^/] };

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    options.abortSignal?.throwIfAborted();
    const answer = answerFor(options);
    const content: LanguageModelV3Content[] =
      answer.type === 'text'
        ? [{ type: 'text', text: answer.text }]
        : [{ type: 'tool-call', toolCallId: answer.toolCallId, toolName: answer.toolName, input: answer.input }];
    return { content, finishReason: answer.finishReason, usage: usageOf(options, answer), warnings: [] };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    options.abortSignal?.throwIfAborted();
    const answer = answerFor(options);
    const body: LanguageModelV3StreamPart[] =
      answer.type === 'text'
        ? [
            { type: 'text-start', id: 'text-0' },
            ...deltasOf(answer.text).map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 'text-0', delta })),
            { type: 'text-end', id: 'text-0' },
          ]
        : [
            { type: 'tool-input-start', id: answer.toolCallId, toolName: answer.toolName },
            ...deltasOf(answer.input).map((delta): LanguageModelV3StreamPart => ({ type: 'tool-input-delta', id: answer.toolCallId, delta })),
            { type: 'tool-input-end', id: answer.toolCallId },
            { type: 'tool-call', toolCallId: answer.toolCallId, toolName: answer.toolName, input: answer.input },
          ];
    const chunks: LanguageModelV3StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      ...body,
      { type: 'finish', finishReason: answer.finishReason, usage: usageOf(options, answer) },
    ];
    return { stream: simulateReadableStream({ chunks }) };
  }
}

type Answer = { finishReason: LanguageModelV3FinishReason } & (
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: string }
);

function answerFor(options: LanguageModelV3CallOptions): Answer {
  const tool = forcedTool(options);
  if (tool) {
    return {
      type: 'tool-call',
      toolCallId: 'offline-call-0',
      toolName: tool.name,
      input: JSON.stringify(minimalJsonValue(tool.inputSchema)),
      finishReason: { unified: 'tool-calls', raw: 'tool-calls' },
    };
  }
  const format = options.responseFormat;
  const full =
    format?.type === 'json'
      ? JSON.stringify(format.schema === undefined ? {} : minimalJsonValue(format.schema))
      : replyTo(options.prompt);
  const limit = options.maxOutputTokens === undefined ? Infinity : options.maxOutputTokens * CHARS_PER_TOKEN;
  return full.length > limit
    ? { type: 'text', text: full.slice(0, limit), finishReason: { unified: 'length', raw: 'length' } }
    : { type: 'text', text: full, finishReason: { unified: 'stop', raw: 'stop' } };
}

function forcedTool({ tools = [], toolChoice }: LanguageModelV3CallOptions): LanguageModelV3FunctionTool | undefined {
  const functions = tools.filter((tool): tool is LanguageModelV3FunctionTool => tool.type === 'function');
  if (toolChoice?.type === 'required') return functions[0];
  if (toolChoice?.type === 'tool') return functions.find((tool) => tool.name === toolChoice.toolName);
  return undefined;
}

/** The prose reply: who answers, a quote of the last user message, any trailing tool results. */
function replyTo(prompt: LanguageModelV3Message[]): string {
  const lastUser = prompt.findLast((message) => message.role === 'user');
  const said = lastUser ? messageText(lastUser).replace(/\s+/g, ' ').trim() : '';
  const last = prompt.at(-1);
  const toolNames = last?.role === 'tool' ? last.content.flatMap((part) => (part.type === 'tool-result' ? [part.toolName] : [])) : [];
  return [
    'This is the offline model, a deterministic stand-in that answers without any network because no LLM is configured (set OPENAI_API_KEY or OPENAI_BASE_URL).',
    said
      ? `You wrote: "${quote(said)}" (${said.split(' ').length} words).`
      : 'There is no user message to answer yet.',
    ...(toolNames.length ? [`Results arrived from ${[...new Set(toolNames)].join(', ')}.`] : []),
    `The conversation holds ${prompt.length} ${prompt.length === 1 ? 'message' : 'messages'}; the same input always gets this same reply.`,
  ].join(' ');
}

function quote(text: string): string {
  const codePoints = Array.from(text);
  return codePoints.length > QUOTE_CHARS ? `${codePoints.slice(0, QUOTE_CHARS).join('')}…` : text;
}

function usageOf(options: LanguageModelV3CallOptions, answer: Answer): LanguageModelV3Usage {
  const definitions = [options.tools ?? [], options.responseFormat?.type === 'json' ? (options.responseFormat.schema ?? null) : null];
  const input = approximateTokens(options.prompt.map(messageText).join('\n') + JSON.stringify(definitions));
  const output = approximateTokens(answer.type === 'text' ? answer.text : answer.toolName + answer.input);
  return {
    inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  };
}

/** The text a message carries: its text and reasoning, tool calls and results as JSON; no files. */
function messageText(message: LanguageModelV3Message): string {
  if (message.role === 'system') return message.content;
  const texts: string[] = [];
  for (const part of message.content) {
    if (part.type === 'text' || part.type === 'reasoning') texts.push(part.text);
    else if (part.type === 'tool-call') texts.push(part.toolName + JSON.stringify(part.input));
    else if (part.type === 'tool-result') texts.push(part.toolName + JSON.stringify(part.output));
  }
  return texts.join('\n');
}

/** Splits `text` into deltas of at most DELTA_CHARS, after a space when one is near. */
function deltasOf(text: string): string[] {
  const deltas: string[] = [];
  let rest = text;
  while (rest.length > DELTA_CHARS) {
    const space = rest.lastIndexOf(' ', DELTA_CHARS - 1);
    let cut = space > 0 ? space + 1 : DELTA_CHARS;
    if (/[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut -= 1;
    deltas.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) deltas.push(rest);
  return deltas;
}
