/**
 * Everything a thread offers its model (PROTOCOL.md sections 6, 7 and 11): the declared
 * tools its start-thread lists, its built-in tools, and its workers as tools, keyed by
 * the name the model calls. Validation makes the names unique within a thread.
 */
import { builtInToolBindings } from './built-in-tools.js';
import { workerToolBinding } from './nested-workers.js';
import type { BlockRun } from './run-context.js';
import { declaredToolBinding, type ToolBinding } from './tool-bindings.js';

/** The tool bindings of thread `threadName`, in offer order: declared, built-in, workers. */
export async function threadToolBindings(run: BlockRun, threadName: string): Promise<Map<string, ToolBinding>> {
  const { protocol } = run.exec;
  const { settings } = run.exec.thread(threadName);
  const declared = settings.tools.flatMap((name) => {
    const declaration = protocol.tools.find((tool) => tool.name === name);
    return declaration ? [declaredToolBinding(declaration, protocol.types)] : [];
  });
  const workers = await Promise.all(
    (settings.workers ?? []).flatMap((slug) => {
      const declaration = protocol.workers.find((worker) => worker.slug === slug);
      return declaration ? [workerToolBinding(run.exec, declaration)] : [];
    }),
  );
  return new Map([...declared, ...builtInToolBindings(run, threadName), ...workers].map((binding) => [binding.name, binding]));
}
