/**
 * Reference for protocol runs: a bare Vercel AI SDK loop making the model calls of the
 * benchmark's 6-block protocol (bench/load/protocol-run.ts) with nothing around them: no
 * database, no events, no GraphQL. One "run" = two streamed Chat Completions calls, each a
 * fresh thread (system + user message), the second's user message carrying the first's
 * answer — what the protocol's two threads send.
 *
 * `node --import tsx bench/reference/ai-sdk-loop.ts` with env OPENAI_BASE_URL (the fake
 * server), CONCURRENCY (runs in flight, default 50), DURATION (s, default 10). Prints
 * `RESULT {"runs", "seconds", "runsPerSecond", "failed", "cpuMsPerRun"}`, the last being
 * this process's CPU time (user + system, `process.cpuUsage`) over the timed loop per run.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';

import { ANALYSIS_PROMPT, ANALYSIS_SYSTEM, RESEARCH_PROMPT, RESEARCH_SYSTEM } from '../load/protocol-fixture.js';

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: 'bench' });
const model = openai.chat('gpt-4o');
const concurrency = Number(process.env.CONCURRENCY ?? 50);
const seconds = Number(process.env.DURATION ?? 10);

async function call(system: string, user: string): Promise<string> {
  const result = streamText({ model, system, messages: [{ role: 'user', content: user }] });
  return await result.text;
}

async function run(topic: string): Promise<string> {
  const research = await call(RESEARCH_SYSTEM, RESEARCH_PROMPT.replace('{{TOPIC}}', topic));
  return call(ANALYSIS_SYSTEM, ANALYSIS_PROMPT.replace('{{RESEARCH_DATA}}', research));
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
const deadline = started + seconds * 1000;
let runs = 0;
let failed = 0;
let last = started;
await Promise.all(
  Array.from({ length: concurrency }, async (_, slot) => {
    for (let i = 0; performance.now() < deadline; i++) {
      try {
        await run(`topic ${slot}-${i}`);
        runs++;
      } catch {
        failed++;
      }
      last = performance.now();
    }
  }),
);
const elapsed = (last - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuMsPerRun = +((cpu.user + cpu.system) / 1000 / runs).toFixed(3);
console.log(`RESULT ${JSON.stringify({ runs, failed, seconds: +elapsed.toFixed(3), runsPerSecond: +(runs / elapsed).toFixed(2), cpuMsPerRun })}`);
