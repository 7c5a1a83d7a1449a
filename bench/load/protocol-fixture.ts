/**
 * The protocol of the protocol-run benchmark, shared by our server's side (stored with
 * createProtocol) and the bare AI SDK reference (bench/reference/ai-sdk-loop.ts), which
 * sends the same prompts: 6 blocks, two threads, two model calls.
 */

/** System prompt of the first thread. */
export const RESEARCH_SYSTEM = 'You research topics and report findings in a few sentences.';
/** User message of the first thread; `{{TOPIC}}` is the run's input. */
export const RESEARCH_PROMPT = 'Research this topic: {{TOPIC}}';
/** System prompt of the second thread. */
export const ANALYSIS_SYSTEM = 'You analyse research findings and write a short analysis.';
/** User message of the second thread; `{{RESEARCH_DATA}}` is the first thread's answer. */
export const ANALYSIS_PROMPT = 'Analyse these findings: {{RESEARCH_DATA}}';

/** The protocol source: start-thread, add-message, next-message, twice. */
export const PROTOCOL = `input:
  TOPIC:
    type: string
    description: Topic to research
variables:
  RESEARCH_DATA:
    type: string
  ANALYSIS:
    type: string
steps:
  Start research:
    block: start-thread
    thread: research
    model: openai/gpt-4o
    system: research-system
  Add research request:
    block: add-message
    thread: research
    role: user
    prompt: research-prompt
    input: [TOPIC]
  Generate research:
    block: next-message
    thread: research
    output: RESEARCH_DATA
  Start analysis:
    block: start-thread
    thread: analysis
    model: openai/gpt-4o
    system: analysis-system
  Add analysis request:
    block: add-message
    thread: analysis
    role: user
    prompt: analysis-prompt
    input: [RESEARCH_DATA]
  Generate analysis:
    block: next-message
    thread: analysis
    output: ANALYSIS
output: ANALYSIS
`;

/** The prompts by name, as createProtocol takes them. */
export const PROMPTS = {
  'research-system': RESEARCH_SYSTEM,
  'research-prompt': RESEARCH_PROMPT,
  'analysis-system': ANALYSIS_SYSTEM,
  'analysis-prompt': ANALYSIS_PROMPT,
};
