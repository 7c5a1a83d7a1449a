/**
 * next-message (docs/protocol.md sections 5, 7 and 12): the thread's model answers, calling
 * tools for up to the thread's `maxSteps` model steps (the agentic loop).
 *
 * The loop: a model step (model-step.ts); no tool calls → the turn ends; else its calls
 * run (tool-calls.ts), their results join the turn, and the next step follows while
 * steps remain. As in the AI SDK, the calls of the last allowed step still run; the
 * turn then ends with that step's text. Client calls pause the run: the turn so far
 * (`state.turn`) and the batch (`state.pending`) are checkpointed, and `resume`
 * continues the loop with the client's results. After each tool step that does not
 * pause, the turn is checkpointed too, so that a crash resumes from the last step.
 *
 * The turn's messages (assistant steps with their tool calls, tool results) join the
 * thread's history when the turn ends, unless `independent`. `output` receives the
 * final step's text (OPEN, section 7), or with `responseType` that text parsed as
 * JSON and validated against the type (section 5).
 */
import type { JSONSchema7 } from 'ai';

import { ExecutionFailure } from './execution-errors.js';
import type { TurnState } from './execution-types.js';
import { runModelStep } from './model-step.js';
import type { BlockOutcome, BlockRun, Resumption } from './run-context.js';
import { runToolCalls, toolResultMessage } from './tool-calls.js';
import { deliverToolResults } from './tool-results.js';
import { threadToolBindings } from './thread-tools.js';
import { pathInto } from './render.js';
import { schemaValidator, typeJsonSchema } from './type-schemas.js';
import type { BlockOf } from './types.js';

/**
 * Runs (or continues) a next-message block; see the module comment.
 * @throws ModelCallError, ExecutionFailure (limits, structured output), RunCancelled.
 */
export async function nextMessage(run: BlockRun, block: BlockOf<'next-message'>, resume?: Resumption): Promise<BlockOutcome> {
  const { exec } = run;
  const { state } = exec;
  const thread = exec.thread(block.thread);
  const { maxSteps, maxToolOutputTokens } = thread.settings;
  const turn: TurnState = state.turn?.blockIndex === block.index ? state.turn : { blockIndex: block.index, steps: 0, messages: [], text: '', parts: 0 };
  state.turn = turn;
  const bindings = await threadToolBindings(run, block.thread);
  const responseType =
    block.responseType !== undefined
      ? { name: block.responseType, schema: typeJsonSchema(block.responseType, exec.protocol.types) }
      : block.responseSchema && responseSchemaOf(run, block.responseSchema);

  if (resume) {
    const delivered = deliverToolResults(run, resume.batch, resume.results);
    turn.messages.push(toolResultMessage(callOrder(turn).map((id) => delivered.get(id)!), maxToolOutputTokens));
    delete state.pending;
    await exec.checkpoint();
  }

  while (turn.steps < maxSteps) {
    exec.clock.throwIfStopped();
    const step = await runModelStep(run, { threadName: block.thread, turn, bindings, ...(responseType ? { responseType } : {}) });
    turn.steps += 1;
    turn.text = step.text;
    turn.messages.push(...step.messages);
    if (step.toolCalls.length === 0) break;
    exec.countToolStep();
    const batch = await runToolCalls(run, step.toolCalls, bindings, { source: 'llm', thread: block.thread });
    if (batch.pending.length > 0) return { status: 'paused', batch: { blockIndex: block.index, calls: batch.pending, serverResults: batch.results } };
    turn.messages.push(toolResultMessage(batch.results, maxToolOutputTokens));
    if (turn.steps < maxSteps) await exec.checkpoint();
  }

  if (!block.independent) thread.messages.push(...turn.messages);
  if (block.output !== undefined) state.variables[block.output] = responseType ? parseReply(block.name, responseType, turn.text) : turn.text;
  delete state.turn;
  return { status: 'done' };
}

/** The name a response schema taken from a value goes by (`text-start.responseType`, the structured-output request). */
export const RESPONSE_SCHEMA_NAME = 'Response';

/**
 * Section 5, "A response schema from a value": the JSON Schema held by the value at
 * `source` (a dot path from an input, variable, resource or context input), or undefined
 * when it holds none (the reply is then text).
 * @throws ExecutionFailure (`validation_error`) when the value is not a JSON Schema of an object.
 */
function responseSchemaOf(run: BlockRun, source: { name: string; path: string[] }): { name: string; schema: JSONSchema7 } | undefined {
  const entry = pathInto(run.exec.scope.lookup(source.name), source.path);
  if (entry.state !== 'set' || entry.value === null || entry.value === undefined) return undefined;
  const schema = entry.value;
  const where = `\`${[source.name, ...source.path].join('.')}\` (used as \`responseSchema\`)`;
  if (typeof schema !== 'object' || Array.isArray(schema) || (schema as JSONSchema7).type !== 'object') {
    throw new ExecutionFailure('validation_error', `${where} must be a JSON Schema of an object (\`"type": "object"\`); got ${JSON.stringify(schema)}.`);
  }
  try {
    schemaValidator(schema as JSONSchema7);
  } catch (error) {
    throw new ExecutionFailure('validation_error', `${where} is not a JSON Schema this server can check: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { name: RESPONSE_SCHEMA_NAME, schema: schema as JSONSchema7 };
}

/** The tool call ids of the turn's last assistant message, in the order the model made them. */
function callOrder(turn: TurnState): string[] {
  const last = turn.messages.findLast((message) => message.role === 'assistant');
  if (!last || typeof last.content === 'string') return [];
  return last.content.flatMap((part) => (part.type === 'tool-call' ? [part.toolCallId] : []));
}

/**
 * Section 5: the reply as the typed object.
 * @throws ExecutionFailure (`execution_error`) when it is not JSON or does not match.
 */
function parseReply(step: string, responseType: { name: string; schema: Parameters<typeof schemaValidator>[0] }, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ExecutionFailure('execution_error', `Step "${step}": the model's reply is not JSON, so it cannot be a \`${responseType.name}\`.`);
  }
  const checked = schemaValidator(responseType.schema)(value);
  if (!checked.ok) throw new ExecutionFailure('execution_error', `Step "${step}": the model's reply does not match type \`${responseType.name}\`:\n${checked.message}`);
  return checked.value;
}
