/** The operation GraphiQL opens with: a short tour that works on a fresh server. */
export const defaultQuery = /* GraphQL */ `# Welcome to the workforce server.
# 1. Run "CreateTitleGenerator" to store a worker protocol.
# 2. Run "Execute" and copy the run id it returns.
# 3. Run "Watch" with that id to stream the run's events
#    (subscriptions go over graphql-ws on this same URL).

mutation CreateTitleGenerator {
  createProtocol(input: {
    slug: "title-generator"
    settings: { name: "Title generator" }
    source: """
input:
  CONVERSATION_SUMMARY:
    type: string
    description: Summary to generate a title for
variables:
  TITLE:
    type: string
steps:
  Start title thread:
    block: start-thread
    thread: title-gen
    model: openai/gpt-4o-mini
    system: title-system
  Add title request:
    block: add-message
    thread: title-gen
    role: user
    prompt: title-request
    input: [CONVERSATION_SUMMARY]
  Generate title:
    block: next-message
    thread: title-gen
    output: TITLE
output: TITLE
"""
    prompts: [
      { name: "title-system", content: "You write short, specific titles." }
      { name: "title-request", content: "Write a title for: {{CONVERSATION_SUMMARY}}" }
    ]
  }) {
    ... on Protocol { id slug version steps { name block } }
    ... on ProtocolError { message diagnostics { line column message } }
    ... on Error { message }
  }
}

mutation Execute {
  executeWorker(input: {
    protocol: "title-generator"
    input: { CONVERSATION_SUMMARY: "Planning a team offsite in Lisbon in May" }
  }) {
    ... on Run { id status }
    ... on Error { message }
  }
}

subscription Watch($runId: ID!) {
  runEvents(runId: $runId) {
    seq
    type
    ... on WorkerStartEvent { workerSlug models { requested provider modelId offline } }
    ... on TextDeltaEvent { delta }
    ... on WorkerResultEvent { output error }
  }
}

query Runs {
  runs(first: 5) { edges { node { id status output protocol { slug } } } }
}
`;
