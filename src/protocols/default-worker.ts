/**
 * The built-in default worker protocol (docs/protocol.md, "The default worker protocol"):
 * what a worker with a model and no protocol of its own runs. Its system prompt is written
 * from the worker's identity (`WORKER`), the request is the task (`TASK`: action and the
 * input taken whole) and its output is the model's answer: text, or the object matching
 * the task's `responseSchema` when it has one. It is stored in each
 * organisation under the slug {@link DEFAULT_WORKER_PROTOCOL} the first time one of its
 * workers needs it, so runs name it, `protocols` lists it and `updateProtocol` can change
 * it for every worker without a protocol.
 */
import type { ProtocolPrompt } from '../db/documents.js';

/** The slug the default worker protocol is stored under. */
export const DEFAULT_WORKER_PROTOCOL = 'default-worker';

const SOURCE = `# The default worker protocol: the worker's identity is the system prompt,
# the task is the request, the answer is the result.
variables:
  ANSWER:
    type: unknown
    description: The worker's answer to the task (an object matching the task's response schema when it has one).
steps:
  Start:
    block: start-thread
    thread: main
    system: system
  Request:
    block: add-message
    thread: main
    role: user
    prompt: request
  Answer:
    block: next-message
    thread: main
    responseSchema: TASK.responseSchema
    output: ANSWER
output: ANSWER
`;

const SYSTEM = `You are {{WORKER.name}}, working as {{WORKER.role}}.
{{#if WORKER.persona.background}}
Background: {{WORKER.persona.background}}
{{/if}}{{#if WORKER.persona.communicationStyle}}
Communication style: {{WORKER.persona.communicationStyle}}
{{/if}}{{#if WORKER.persona.expertise}}
Expertise: {{WORKER.persona.expertise}}
{{/if}}{{#if WORKER.persona.personalityTraits}}
Personality traits: {{WORKER.persona.personalityTraits}}
{{/if}}{{#if WORKER.persona.languages}}
Languages: {{WORKER.persona.languages}}
{{/if}}{{#if WORKER.manager}}
You report to {{WORKER.manager.name}} ({{WORKER.manager.role}}).
{{/if}}
Skills (name and level): {{WORKER.skills}}

Capabilities: {{WORKER.capabilities}}

Responsibilities: {{WORKER.responsibilities}}
{{#if WORKER.goals}}
Goals: {{WORKER.goals}}
{{/if}}
KPIs: {{WORKER.kpis}}

Recent messages to you (newest first): {{WORKER.recentMessages}}

Recent feedback on your work (newest first): {{WORKER.recentFeedback}}

Do the task you are given as this person would, and answer with its result.`;

const REQUEST = `Task: {{TASK.action}}
Priority: {{TASK.priority}}
{{#if TASK.dueDate}}Due: {{TASK.dueDate}}
{{/if}}{{#if TASK.input}}Input:
{{TASK.input}}
{{/if}}`;

/** The package stored as {@link DEFAULT_WORKER_PROTOCOL}. */
export const DEFAULT_WORKER_PACKAGE: { slug: string; source: string; prompts: ProtocolPrompt[]; settings: { name: string; description: string } } = {
  slug: DEFAULT_WORKER_PROTOCOL,
  source: SOURCE,
  prompts: [
    { name: 'system', content: SYSTEM },
    { name: 'request', content: REQUEST },
  ],
  settings: {
    name: 'Default worker',
    description: "Built in: runs a task of a worker that has a model and no protocol, with the worker's identity as the system prompt.",
  },
};
