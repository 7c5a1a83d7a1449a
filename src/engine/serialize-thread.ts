/**
 * serialize-thread (docs/protocol.md section 7): a thread's history as text. The layout is
 * OPEN in the docs; ours:
 *
 * markdown: one section per message, `## user`, `## assistant`, `## system` or
 * `## tool`, a blank line, the message text; sections separated by a blank line. The
 * system prompt is not part of the history and is left out. Within a message: text
 * parts as written (joined by blank lines); reasoning left out; a file as
 * `[file: name]`; a tool call as "Called `name` with:" and its arguments in a ```json
 * fence; a tool result as "Result of `name`:" and its output in a ```json fence.
 * Messages with nothing to show are skipped.
 *
 * json: the same messages as a 2-space indented JSON array of `{role, content}`, with
 * `content` the text the markdown layout gives that message.
 */
import type { ModelMessage } from 'ai';

type Part = Exclude<ModelMessage['content'], string>[number];

/** The thread as `markdown` or `json` text (see the module comment for the layout). */
export function serializeThread(messages: readonly ModelMessage[], format: 'markdown' | 'json'): string {
  const entries = messages
    .map((message) => ({ role: message.role, content: messageText(message) }))
    .filter((entry) => entry.content !== '');
  if (format === 'json') return JSON.stringify(entries, null, 2);
  return entries.map((entry) => `## ${entry.role}\n\n${entry.content}`).join('\n\n');
}

function messageText(message: ModelMessage): string {
  if (typeof message.content === 'string') return message.content.trim();
  return message.content
    .map(partText)
    .filter((text) => text !== '')
    .join('\n\n')
    .trim();
}

function partText(part: Part): string {
  switch (part.type) {
    case 'text':
      return part.text;
    case 'file':
      return `[file: ${part.filename ?? part.mediaType}]`;
    case 'image':
      return '[image]';
    case 'tool-call':
      return `Called \`${part.toolName}\` with:\n\n\`\`\`json\n${JSON.stringify(part.input, null, 2)}\n\`\`\``;
    case 'tool-result': {
      const value = 'value' in part.output ? part.output.value : part.output;
      return `Result of \`${part.toolName}\`:\n\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;
    }
    default:
      return '';
  }
}
