/**
 * The engine's OpenTelemetry spans, made only when the host gives `telemetry`
 * (execution-types.ts `EngineTelemetry`): one span per block a leg runs (`block
 * <kind>`), active while the block runs so that what it causes nests beneath it — the AI
 * SDK's spans of each model call (`ai.streamText` …, its `experimental_telemetry`), a
 * nested worker's blocks, the host's SQL statements.
 */
import { SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { TelemetrySettings } from 'ai';

import type { BlockRun } from './run-context.js';

/**
 * Runs `work` (one block of `run`) inside its span. The span ends with the block: status
 * ERROR with the exception when it throws; `workforce.block.paused` when it paused for
 * client tools.
 */
export async function traceBlock<T extends { status: string }>(run: BlockRun, attempt: number, work: () => Promise<T>): Promise<T> {
  const telemetry = run.exec.host.telemetry;
  if (!telemetry) return work();
  const { block } = run;
  const attributes: Attributes = {
    'workforce.execution.id': run.exec.executionId,
    'workforce.protocol.slug': run.exec.protocol.settings.slug,
    'workforce.block.id': run.blockId,
    'workforce.block.name': block.name,
    'workforce.block.kind': block.kind,
    'workforce.block.attempt': attempt,
  };
  return telemetry.tracer.startActiveSpan(`block ${block.kind}`, { attributes }, async (span) => {
    try {
      const outcome = await work();
      if (outcome.status === 'paused') span.setAttribute('workforce.block.paused', true);
      return outcome;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * The AI SDK's `experimental_telemetry` for a model call of `run` on thread `thread`:
 * enabled with the host's tracer when the host traces, its `functionId`
 * `<protocol slug>/<block name>`; prompts and answers recorded only when the host says
 * so. Undefined when the host does not trace.
 */
export function modelCallTelemetry(run: BlockRun, thread: string): TelemetrySettings | undefined {
  const telemetry = run.exec.host.telemetry;
  if (!telemetry) return undefined;
  return {
    isEnabled: true,
    tracer: telemetry.tracer,
    functionId: `${run.exec.protocol.settings.slug}/${run.block.name}`,
    metadata: { executionId: run.exec.executionId, blockId: run.blockId, thread },
    recordInputs: telemetry.recordContent,
    recordOutputs: telemetry.recordContent,
  };
}
