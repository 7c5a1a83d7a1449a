/**
 * The main job end to end: the seed's research assistant stored over HTTP, executed on a
 * model behind a local server speaking the OpenAI Chat Completions streaming protocol,
 * its events received over graphql-ws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readProtocolPackage } from '../../src/engine/package-files.js';
import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type ChatCompletionRequest, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const RESEARCH = 'Solid-state batteries replace the liquid electrolyte with a solid one.';
const ANALYSIS = 'Analysis: promising density gains, manufacturing is the bottleneck.';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateProtocolInput!) {
    createProtocol(input: $input) {
      __typename
      ... on Protocol { id slug version steps { name block thread } output }
      ... on Error { message }
    }
  }
`;

const EXECUTE = /* GraphQL */ `
  mutation Execute($input: ExecuteWorkerInput!) {
    executeWorker(input: $input) {
      __typename
      ... on Run { id status version }
      ... on Error { message }
    }
  }
`;

const WATCH = /* GraphQL */ `
  subscription Watch($runId: ID!, $after: Int) {
    runEvents(runId: $runId, after: $after) {
      seq
      type
      ... on WorkerStartEvent { workerSlug models { requested provider modelId offline } }
      ... on BlockStartEvent { blockName blockType thread }
      ... on TextStartEvent { id thread }
      ... on TextDeltaEvent { id delta thread }
      ... on WorkerResultEvent { output error }
      ... on FinishEvent { finishReason }
      ... on UsageEvent { tokens { inputTokens outputTokens totalTokens } }
    }
  }
`;

const RUN = /* GraphQL */ `
  query Run($id: ID!) {
    run(id: $id) {
      status
      output
      lastSeq
      usage { totalTokens }
      protocol { slug }
      events { seq type ... on BlockStartEvent { blockType } }
    }
  }
`;

/** Which thread a request comes from, told by its system prompt. */
function threadOf(request: ChatCompletionRequest): 'research' | 'analysis' {
  const system = request.messages.find((m) => m.role === 'system');
  return JSON.stringify(system?.content ?? '').toLowerCase().includes('analy') ? 'analysis' : 'research';
}

type WatchedEvent = { seq: number; type: string; [field: string]: any };

async function storeResearchAssistant(app: TestApp) {
  const pkg = await readProtocolPackage(new URL('../../examples/research-assistant', import.meta.url).pathname);
  const settings = pkg.settings as { slug: string; name: string; description?: string };
  const created = await app.data(CREATE, {
    input: {
      slug: settings.slug,
      source: pkg.source,
      prompts: pkg.prompts,
      settings: { name: settings.name, description: settings.description },
    },
  });
  expect(created.createProtocol.__typename).toBe('Protocol');
  return created.createProtocol;
}

describe('research assistant over the OpenAI wire protocol', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;
  let releaseResearch: () => void = () => {};
  let researchGate = Promise.resolve();

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: async (request) => {
        if (threadOf(request) === 'research') {
          await researchGate;
          return RESEARCH;
        }
        return ANALYSIS;
      },
    });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
  });

  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  it('streams worker-start, per-thread text and worker-result, and stores the run', async () => {
    const protocol = await storeResearchAssistant(app);
    expect(protocol.output).toBe('ANALYSIS');

    const executed = await app.data(EXECUTE, {
      input: { protocol: 'research-assistant', input: { TOPIC: 'solid-state batteries' } },
    });
    expect(executed.executeWorker).toMatchObject({ __typename: 'Run', version: 1 });
    const runId = executed.executeWorker.id as string;

    const events = (await app.collect<{ runEvents: WatchedEvent }>(WATCH, { runId })).map((r) => r.runEvents);

    // gap-free, from 1
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['start', 'worker-start']);
    expect(types.slice(-3)).toEqual(['worker-result', 'finish', 'usage']);

    const workerStart = events[1]!;
    expect(workerStart.workerSlug).toBe('research-assistant');
    expect(workerStart.models).toContainEqual({
      requested: 'anthropic/claude-sonnet-4-5',
      provider: 'openai',
      modelId: 'anthropic/claude-sonnet-4-5',
      offline: false,
    });

    // each thread's text arrives as deltas under a text-start naming the thread
    const textOf = (thread: string) => {
      const ids = events.filter((e) => e.type === 'text-start' && e.thread === thread).map((e) => e.id);
      expect(ids).toHaveLength(1);
      const deltas = events.filter((e) => e.type === 'text-delta' && e.id === ids[0]);
      expect(deltas.every((e) => e.thread === thread)).toBe(true);
      return deltas.map((e) => e.delta).join('');
    };
    expect(textOf('research')).toBe(RESEARCH);
    expect(textOf('analysis')).toBe(ANALYSIS);
    expect(events.filter((e) => e.type === 'text-delta').length).toBeGreaterThan(2);

    const result = events.at(-3)!;
    expect(result.output).toBe(ANALYSIS);
    expect(result.error).toBeNull();
    expect(events.at(-2)!.finishReason).toBe('stop');
    expect(events.at(-1)!.tokens.totalTokens).toBeGreaterThan(0);

    // the analysis thread was given the research thread's output
    const analysisRequest = llm.requests.map((r) => r.body).find((body) => threadOf(body) === 'analysis')!;
    expect(JSON.stringify(analysisRequest.messages)).toContain(RESEARCH);
    expect(analysisRequest.model).toBe('anthropic/claude-sonnet-4-5');

    const { run } = await app.data(RUN, { id: runId });
    expect(run).toMatchObject({ status: 'COMPLETED', output: ANALYSIS, protocol: { slug: 'research-assistant' } });
    expect(run.lastSeq).toBe(events.length);
    expect(run.usage.totalTokens).toBeGreaterThan(0);
    expect(run.events.map((e: WatchedEvent) => [e.seq, e.type])).toEqual(events.map((e) => [e.seq, e.type]));
  });

  it('gives a subscriber that joins half-way with `after` every later event exactly once, in order', async () => {
    researchGate = new Promise((resolve) => (releaseResearch = resolve));
    const executed = await app.data(EXECUTE, {
      input: { protocol: 'research-assistant', input: { TOPIC: 'tidal power' } },
    });
    const runId = executed.executeWorker.id as string;

    // wait until the run is parked inside the research model call
    const stored = await eventually(async () => {
      const events: WatchedEvent[] = (await app.data(RUN, { id: runId })).run.events;
      return events.some((e) => e.type === 'block-start' && e.blockType === 'next-message') ? events : undefined;
    });
    expect(stored.at(-1)).toMatchObject({ type: 'block-start', blockType: 'next-message' });
    const after = stored.length - 1;

    const client = app.wsClient();
    const received: WatchedEvent[] = [];
    const done = (async () => {
      for await (const result of client.iterate({ query: WATCH, variables: { runId, after } })) {
        received.push((result.data as { runEvents: WatchedEvent }).runEvents);
      }
    })();
    releaseResearch();
    await done;

    const { run } = await app.data(RUN, { id: runId });
    expect(run.status).toBe('COMPLETED');
    expect(received.map((e) => e.seq)).toEqual(
      Array.from({ length: run.lastSeq - after }, (_, i) => after + i + 1),
    );
    expect(received.map((e) => e.type)).toEqual(run.events.slice(after).map((e: WatchedEvent) => e.type));
  });
});
