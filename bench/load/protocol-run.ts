/**
 * Row "protocol run, 6 blocks, 50 concurrent, fake OpenAI server" against a bare AI SDK
 * loop making the same calls (bench/reference/ai-sdk-loop.ts; goal ≥ 0.6 runs/s, and
 * ≤ 25 SQL statements per run), on PostgreSQL.
 *
 * One fake OpenAI server process (fake-openai.ts) answers both sides. Our side: the
 * protocol of protocol-fixture.ts is stored once; a client keeps CONCURRENCY runs in
 * flight (default 50) for DURATION seconds: `executeWorker`, then the `runEvents`
 * subscription over graphql-ws until it completes (the run ended); runs/s = completed
 * runs / time until the last one ended. The reference keeps the same number of bare
 * two-call loops in flight for the same time. Rounds interleave reference and ours.
 *
 * SQL statements per run: first our server runs behind the counting proxy (pg-proxy.ts)
 * for PROBE_RUNS runs (default 20, 10 at a time, after as many warm-up runs), counting every statement on the wire
 * (BEGIN/COMMIT included, the executeWorker request and the subscription included)
 * minus the idle rate measured just before; then it restarts connected directly for the
 * rounds. `CAPTURE=1` also prints the probe's statements, grouped by text, with how
 * many of each a run sent.
 *
 * Our server's CPU time per completed run (/proc, utime + stime) is reported per round
 * (`cpuMsPerRun`): steadier than runs/s on a shared machine. The reference reports its own
 * (process.cpuUsage over its timed loop), and `cpuRatio` is the reference's CPU per run
 * over ours: the runs/s ratio to expect where each side's process is what limits it (one
 * core each), which a machine loaded by others does not show in runs/s.
 *
 * `npx tsx bench/load/protocol-run.ts` (DURATION, ROUNDS: see harness.ts)
 */
import { spawn } from 'node:child_process';

import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

import { cpuMs, envNumber, freshDatabase, gql, median, onFinish, r3, report, ROOT, runner, startHelper, startOurs } from './harness.js';
import { startPgProxy, type CapturedStatement } from './pg-proxy.js';
import { PROMPTS, PROTOCOL } from './protocol-fixture.js';
import { createProtocol } from './seed.js';

const SLUG = 'bench-research';
/** Runs in flight while statements are counted (and during the probe's warm-up). */
const PROBE_CONCURRENCY = 10;
const EXECUTE = 'mutation ($input: ExecuteWorkerInput!) { executeWorker(input: $input) { __typename ... on Run { id } ... on Error { message } } }';
const EVENTS = 'subscription ($id: ID!) { runEvents(runId: $id) { seq type } }';

interface Outcome {
  runs: number;
  failed: number;
  seconds: number;
  runsPerSecond: number;
  /** CPU time of the process per run, ms (the reference reports it itself). */
  cpuMsPerRun?: number;
}

/** Executes one run and follows its events to the end; resolves with the event types seen. */
async function oneRun(url: string, client: Client, topic: string): Promise<string[]> {
  const { executeWorker } = await gql(url, EXECUTE, { input: { protocol: SLUG, input: { TOPIC: topic } } });
  if (executeWorker.__typename !== 'Run') throw new Error(JSON.stringify(executeWorker));
  const types: string[] = [];
  for await (const result of client.iterate<{ runEvents: { type: string } }>({ query: EVENTS, variables: { id: executeWorker.id } })) {
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    types.push(result.data!.runEvents.type);
  }
  return types;
}

/** Keeps `concurrency` runs in flight until `seconds` passed or `count` runs started. */
async function runOurs(url: string, options: { concurrency: number; seconds?: number; count?: number }): Promise<Outcome> {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const started = performance.now();
  const deadline = started + (options.seconds ?? Infinity) * 1000;
  let begun = 0;
  let runs = 0;
  let failed = 0;
  let last = started;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline && begun < (options.count ?? Infinity)) {
        const n = begun++;
        try {
          const types = await oneRun(url, client, `topic ${n}`);
          if (types.includes('worker-result') && !types.includes('error')) runs++;
          else failed++;
        } catch (error) {
          // graphql-ws rejects with a CloseEvent when the socket closes: its code and reason say why.
          const close = error as { code?: number; reason?: string };
          if (failed++ === 0) console.error('run failed:', close.code === undefined ? error : `socket closed ${close.code} ${close.reason}`);
        }
        last = performance.now();
      }
    }),
  );
  await client.dispose();
  const seconds = (last - started) / 1000;
  return { runs, failed, seconds: r3(seconds), runsPerSecond: r3(runs / seconds) };
}

/** One round of the bare AI SDK loop, in a process of its own. */
async function runReference(baseUrl: string, concurrency: number, seconds: number): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/reference/ai-sdk-loop.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', OPENAI_BASE_URL: baseUrl, CONCURRENCY: String(concurrency), DURATION: String(seconds) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`ai-sdk-loop printed no result: ${out}`);
  return JSON.parse(line.slice('RESULT '.length)) as Outcome;
}

/** Prints captured statements grouped by text, most frequent first, as counts per run. */
function printStatements(statements: CapturedStatement[], runs: number): void {
  const counts = new Map<string, number>();
  for (const { text } of statements) counts.set(text, (counts.get(text) ?? 0) + 1);
  for (const [text, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`${r3(n / runs).toString().padStart(7)}  ${text.replace(/\s+/g, ' ').slice(0, 240)}`);
  }
}

runner(async () => {
  const concurrency = envNumber('CONCURRENCY', 50);
  const seconds = envNumber('DURATION', 10);
  const database = await freshDatabase('protocol_run');
  const proxy = await startPgProxy(database);
  onFinish(() => proxy.close());
  const llm = await startHelper('fake-openai', 'fake-openai.ts');
  const llmUrl = /ready (\S+)/.exec(llm.output())![1]!;
  const env = { OPENAI_BASE_URL: llmUrl, OPENAI_API_KEY: 'bench' };

  const probe = await startOurs('ours-probe', { ...env, DATABASE_URL: proxy.url });
  await createProtocol(probe.url, undefined, SLUG, PROTOCOL, PROMPTS);
  // Warm-up at the probe's concurrency: first parse, and the pool's connections opened (each looks up types once).
  await runOurs(probe.url, { concurrency: PROBE_CONCURRENCY, count: PROBE_CONCURRENCY });
  const idleFrom = proxy.statements();
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idlePerMs = (proxy.statements() - idleFrom) / (performance.now() - idleStart);
  const probeRuns = envNumber('PROBE_RUNS', 20);
  const before = proxy.statements();
  const probeStart = performance.now();
  if (process.env.CAPTURE === '1') proxy.capture();
  const probed = await runOurs(probe.url, { concurrency: PROBE_CONCURRENCY, count: probeRuns });
  if (probed.failed) throw new Error(`${probed.failed} of ${probeRuns} probe runs failed`);
  if (process.env.CAPTURE === '1') printStatements(proxy.captured(), probeRuns);
  const statementsPerRun = r3((proxy.statements() - before - idlePerMs * (performance.now() - probeStart)) / probeRuns);
  console.log(JSON.stringify({ statementsPerRun, idleStatementsPerSecond: r3(idlePerMs * 1000) }));
  await probe.stop();

  const ours = await startOurs('ours', { ...env, DATABASE_URL: database });
  await runOurs(ours.url, { concurrency, seconds: envNumber('WARMUP', 2) });
  const rounds: Array<{ round: number; reference: Outcome; ours: Outcome & { cpuMsPerRun: number }; ratio: number; cpuRatio?: number }> = [];
  for (let round = 0; round < envNumber('ROUNDS', 2); round++) {
    const reference = await runReference(llmUrl, concurrency, seconds);
    console.log(JSON.stringify({ round, name: 'ai-sdk-loop', ...reference }));
    const cpuBefore = cpuMs(ours.pid);
    const outcome = await runOurs(ours.url, { concurrency, seconds });
    const mine = { ...outcome, cpuMsPerRun: r3((cpuMs(ours.pid) - cpuBefore) / outcome.runs) };
    console.log(JSON.stringify({ round, name: 'ours', ...mine }));
    rounds.push({
      round,
      reference,
      ours: mine,
      ratio: r3(mine.runsPerSecond / reference.runsPerSecond),
      ...(reference.cpuMsPerRun ? { cpuRatio: r3(reference.cpuMsPerRun / mine.cpuMsPerRun) } : {}),
    });
  }
  await report('protocol-run', {
    goal: '>= 0.6 runs/s ratio; <= 25 statements/run',
    concurrency,
    ratioPerRound: rounds.map((r) => r.ratio),
    ratioMedian: r3(median(rounds.map((r) => r.ratio))),
    statementsPerRun,
    idleStatementsPerSecond: r3(idlePerMs * 1000),
    cpuMsPerRunMedian: r3(median(rounds.map((r) => r.ours.cpuMsPerRun))),
    referenceCpuMsPerRunMedian: r3(median(rounds.map((r) => r.reference.cpuMsPerRun ?? NaN))),
    cpuRatioMedian: r3(median(rounds.map((r) => r.cpuRatio ?? NaN))),
    rounds,
  });
});
