/**
 * Built-in tools enabled by start-thread fields (docs/protocol.md section 6). They run in the
 * server, never at the client:
 *
 * | field        | tools                                              | run by        |
 * | ------------ | -------------------------------------------------- | ------------- |
 * | `references` | `octavus_reference_list`, `octavus_reference_read` | the engine    |
 * | `todoList`   | `octavus_todo_write` (+ `todo-update` events)      | the engine    |
 * | `imageModel` | `octavus_generate_image` (+ `file-available`)      | the engine    |
 * | `webSearch`  | `octavus_web_search`                               | a host handler|
 *
 * The engine has no search of its own: start-thread fails with `unsupported_error`
 * when `webSearch` is on and the host registers no `octavus_web_search` handler (and
 * validation warns), rather than offering a tool that cannot answer.
 */
import type { JSONSchema7 } from 'ai';
import type { TodoItem } from './events.js';
import type { ToolHandler } from './execution-types.js';
import { generateImageFile } from './images.js';
import type { BlockRun } from './run-context.js';
import { toolBinding, type ToolBinding } from './tool-bindings.js';

/** The names of the built-in tools (section 6). */
export const BUILT_IN_TOOLS = {
  referenceList: 'octavus_reference_list',
  referenceRead: 'octavus_reference_read',
  todoWrite: 'octavus_todo_write',
  generateImage: 'octavus_generate_image',
  webSearch: 'octavus_web_search',
} as const;

const TODO_STATUSES = ['pending', 'in_progress', 'completed', 'cancelled'] as const;

/** The built-in tools thread `threadName` enables, in the table's order. */
export function builtInToolBindings(run: BlockRun, threadName: string): ToolBinding[] {
  const thread = run.exec.thread(threadName);
  const { settings } = thread;
  const bindings: ToolBinding[] = [];
  const engineTool = (name: string, description: string, schema: JSONSchema7, handler: ToolHandler): void => {
    bindings.push(toolBinding({ name, description, schema, display: 'description', runner: { kind: 'engine', handler } }));
  };

  const references = run.exec.protocol.references.filter((reference) => settings.references?.includes(reference.name));
  if (references.length > 0) {
    engineTool(
      BUILT_IN_TOOLS.referenceList,
      'Lists the reference documents you can read, with what each one covers.',
      { type: 'object', properties: {}, additionalProperties: false },
      async () => references.map(({ name, description }) => ({ name, description })),
    );
    engineTool(
      BUILT_IN_TOOLS.referenceRead,
      'Reads one reference document in full.',
      {
        type: 'object',
        properties: { name: { type: 'string', enum: references.map((reference) => reference.name), description: 'The document, as listed.' } },
        required: ['name'],
        additionalProperties: false,
      },
      async (args) => {
        const reference = references.find((candidate) => candidate.name === args.name)!;
        return { name: reference.name, content: reference.content };
      },
    );
  }

  if (settings.todoList) {
    engineTool(
      BUILT_IN_TOOLS.todoWrite,
      'Replaces your todo list for this task. Send the whole list every time, with each item’s status.',
      {
        type: 'object',
        properties: {
          todos: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id: { type: 'string' }, content: { type: 'string' }, status: { type: 'string', enum: [...TODO_STATUSES] } },
              required: ['id', 'content', 'status'],
              additionalProperties: false,
            },
          },
        },
        required: ['todos'],
        additionalProperties: false,
      },
      async (args) => {
        const todos = args.todos as TodoItem[];
        thread.todos = todos;
        run.emit({ type: 'todo-update', todos });
        return { todos: todos.length };
      },
    );
  }

  const imageModel = settings.imageModel;
  if (imageModel !== undefined) {
    engineTool(
      BUILT_IN_TOOLS.generateImage,
      'Generates an image from a description and shows it to the user.',
      {
        type: 'object',
        properties: {
          prompt: { type: 'string', description: 'What the image shows.' },
          aspectRatio: { type: 'string', pattern: '^\\d+:\\d+$', description: 'Width:height, e.g. 16:9. Default 1:1.' },
        },
        required: ['prompt'],
        additionalProperties: false,
      },
      async (args, context) => {
        const file = await generateImageFile(run.exec, {
          modelId: imageModel,
          prompt: String(args.prompt),
          ...(typeof args.aspectRatio === 'string' ? { aspectRatio: args.aspectRatio } : {}),
          fileId: `${context.toolCallId}:image`,
        });
        run.emit({ type: 'file-available', ...file, toolCallId: context.toolCallId });
        return { id: file.id, mediaType: file.mediaType, filename: file.filename, size: file.size, shownToUser: true };
      },
    );
  }

  if (settings.webSearch) {
    bindings.push(
      toolBinding({
        name: BUILT_IN_TOOLS.webSearch,
        description: 'Searches the web and returns the most relevant results.',
        schema: { type: 'object', properties: { query: { type: 'string', description: 'What to search for.' } }, required: ['query'], additionalProperties: false },
        display: 'description',
        runner: { kind: 'host' },
      }),
    );
  }
  return bindings;
}
