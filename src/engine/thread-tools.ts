/**
 * Everything a thread offers its model (docs/protocol.md sections 6, 7 and 11): the declared
 * tools its start-thread lists, its built-in tools, its workers as tools, and the tools
 * of its remote MCP servers, keyed by the name the model calls. Validation makes the
 * names it can see unique within a thread; MCP tools are namespaced (`<server>__<tool>`)
 * so that they cannot take any of those names, and a clash found at run time anyway
 * fails the step rather than hiding a tool.
 */
import { builtInToolBindings } from './built-in-tools.js';
import { ExecutionFailure } from './execution-errors.js';
import { mcpToolBindings } from './mcp-servers.js';
import { workerToolBinding } from './nested-workers.js';
import type { BlockRun } from './run-context.js';
import { declaredToolBinding, type ToolBinding } from './tool-bindings.js';

/**
 * The tool bindings of thread `threadName`, in offer order: declared, built-in, workers,
 * MCP tools (connecting to the thread's MCP servers where this leg has not yet).
 * @throws ExecutionFailure when two tools would share a name, and the failures of
 *   `McpConnections.connect`.
 */
export async function threadToolBindings(run: BlockRun, threadName: string): Promise<Map<string, ToolBinding>> {
  const { protocol } = run.exec;
  const { settings } = run.exec.thread(threadName);
  const declared = settings.tools.flatMap((name) => {
    const declaration = protocol.tools.find((tool) => tool.name === name);
    return declaration ? [declaredToolBinding(declaration, protocol.types)] : [];
  });
  const [workers, mcp] = await Promise.all([
    Promise.all(
      (settings.workers ?? []).flatMap((slug) => {
        const declaration = protocol.workers.find((worker) => worker.slug === slug);
        return declaration ? [workerToolBinding(run.exec, declaration)] : [];
      }),
    ),
    mcpToolBindings(run.exec, threadName),
  ]);
  const bindings = new Map<string, ToolBinding>();
  for (const binding of [...declared, ...builtInToolBindings(run, threadName), ...workers, ...mcp]) {
    if (bindings.has(binding.name)) {
      throw new ExecutionFailure('execution_error', `Thread "${threadName}" would offer two tools named "${binding.name}".`);
    }
    bindings.set(binding.name, binding);
  }
  return bindings;
}
