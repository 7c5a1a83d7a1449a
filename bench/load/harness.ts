/**
 * What every load runner of bench/load shares: a fresh PostgreSQL database per runner,
 * our server and the reference servers as child processes (stopped on exit, also on
 * Ctrl-C), GraphQL over HTTP for seeding, interleaved autocannon rounds (ab.mjs), CPU
 * time of a process from /proc, medians and the result line.
 *
 * Environment (all optional):
 * - `BENCH_PG` — PostgreSQL server to create the database on (default
 *   postgres://postgres@127.0.0.1:5432/postgres); the runner's database is `bench_<row>`,
 *   dropped at the end unless `KEEP_DB=1`;
 * - `DURATION` (s per autocannon run, default 10), `ROUNDS` (default 2), `WARMUP` (s, default 2);
 * - `SERVER_LOG=1` — our server's warnings and errors go to this terminal;
 * - `SERVER_DIR` — run our server from this checkout instead of the project folder, e.g. a
 *   snapshot of one commit (`git archive <commit> | tar -x -C DIR`, plus a `node_modules`
 *   link) while the working tree is being edited; the result line names its commit
 *   (`DIR/.revision` when present).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import postgres from 'postgres';

/** The project folder: references run with it as working directory to resolve its packages. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PG_SERVER = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A number from the environment, or `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
}

/** A started child process. */
export interface Started {
  name: string;
  pid: number;
  url: string;
  child: ChildProcess;
  /** The last 4 KiB it printed. */
  output(): string;
  stop(): Promise<void>;
}

const started = new Set<Started>();
const cleanups: Array<() => Promise<void>> = [];

/** Registers work for {@link finish} (and for an interrupted run): dropping a database, closing a proxy. */
export function onFinish(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** Stops every process this runner started and runs the cleanups, newest first. */
export async function finish(): Promise<void> {
  await Promise.all([...started].map((s) => s.stop()));
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup:', error));
  cleanups.length = 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void finish().finally(() => process.exit(130));
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Creates database `bench_<name>` (dropping an older one) and returns its URL; dropped
 * by {@link finish} unless KEEP_DB=1.
 */
export async function freshDatabase(name: string): Promise<string> {
  const database = `bench_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
  const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.unsafe(`create database ${database}`);
  } finally {
    await admin.end();
  }
  if (process.env.KEEP_DB !== '1') {
    onFinish(async () => {
      const again = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${database} with (force)`).finally(() => again.end());
    });
  }
  const url = new URL(PG_SERVER);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Where our server is run from. */
const SERVER_DIR = process.env.SERVER_DIR ?? ROOT;

function startProcess(name: string, args: string[], env: Record<string, string>, url: string, cwd = ROOT): Started {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4096);
    if (process.env.SERVER_LOG === '1') process.stderr.write(`[${name}] ${chunk.toString()}`);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle: Started = {
    name,
    pid: child.pid!,
    url,
    child,
    output: () => tail,
    stop: async () => {
      started.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(handle);
  return handle;
}

async function waitUntil(handle: Started, ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null) throw new Error(`${handle.name} exited with ${handle.child.exitCode}: ${handle.output()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${handle.name} did not start: ${handle.output()}`);
}

/** Environment that lifts the request-rate and subscription limits, so that load measures the work, not the refusals. */
export const UNLIMITED = {
  RATE_LIMIT_PER_CLIENT: '0',
  RATE_LIMIT_PER_KEY: '0',
  RATE_LIMIT_PER_SOCKET: '0',
  MAX_SUBSCRIPTIONS_PER_KEY: '1000000',
};

/**
 * Starts our server (`src/main.ts`) on a free port: HOST 127.0.0.1, LOG_LEVEL warn, the
 * limits of {@link UNLIMITED}, then `env`. Resolves when /readyz answers 200.
 * @param options.memoryProbe preloads gc-preload.mjs (SIGUSR2: full GC, memory to MEM_FILE)
 */
export async function startOurs(name: string, env: Record<string, string>, options: { memoryProbe?: string } = {}): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const probe = options.memoryProbe ? ['--expose-gc', '--import', `${ROOT}/bench/load/gc-preload.mjs`] : [];
  const handle = startProcess(name, [...probe, '--import', 'tsx', 'src/main.ts'], {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...UNLIMITED,
    ...env,
    PORT: String(port),
    ...(options.memoryProbe ? { MEM_FILE: options.memoryProbe } : {}),
  }, url, SERVER_DIR);
  await waitUntil(handle, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
  return handle;
}

/** Starts `bench/reference/<file>` on a free port; resolves when it prints `ready`. */
export async function startReference(name: string, file: string, env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const handle = startProcess(name, [`bench/reference/${file}`], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/graphql`);
  await waitUntil(handle, async () => handle.output().includes('ready'));
  return handle;
}

/** Starts a TypeScript helper of bench/load (`tsx`); resolves when it prints `ready`. */
export async function startHelper(name: string, file: string, env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const handle = startProcess(name, ['--import', 'tsx', `bench/load/${file}`], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}`);
  await waitUntil(handle, async () => handle.output().includes('ready'));
  return handle;
}

/** `Authorization` header of a key, or none. */
export function bearer(key: string | undefined): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * Sends one GraphQL operation over HTTP and returns `data`.
 * @throws on a non-200 answer or GraphQL errors
 */
export async function gql<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}, key?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (res.status !== 200 || body.errors) throw new Error(`${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return body.data as T;
}

/** One target of {@link ab}: see ab.mjs. */
export interface AbTarget {
  name: string;
  url: string;
  body: { query: string; variables?: Record<string, unknown> };
  bodies?: Array<{ query: string; variables?: Record<string, unknown> }>;
  headers?: Record<string, string>;
  ref?: boolean;
  pid?: number;
}

/** What ab.mjs summarises per target. */
export interface AbSummary {
  name: string;
  rpsMed: number;
  p99Med: number;
  errors: number;
  cpuMsPerReqMed?: number;
  rpsRatioTo?: Record<string, number[]>;
  rpsRatioMedianTo?: Record<string, number>;
}

/** Runs ab.mjs (interleaved autocannon rounds) over `targets`, echoing its lines; returns the summary. */
export async function ab(targets: AbTarget[], options: { connections?: number } = {}): Promise<AbSummary[]> {
  const spec = {
    duration: envNumber('DURATION', 10),
    rounds: envNumber('ROUNDS', 2),
    warmup: envNumber('WARMUP', 2),
    connections: options.connections ?? envNumber('CONNECTIONS', 50),
    targets,
  };
  const child = spawn(process.execPath, ['bench/load/ab.mjs', JSON.stringify(spec)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('SUMMARY '));
  if (code !== 0 || !line) throw new Error(`ab.mjs failed (${code})`);
  return (JSON.parse(line.slice('SUMMARY '.length)) as { summary: AbSummary[] }).summary;
}

/** utime + stime of process `pid` in milliseconds (/proc/PID/stat, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Median of `values` (mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to 3 decimals. */
export const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The commit measured, `+changes` when the working tree differs from it (other work in progress). */
export function revision(): string {
  if (SERVER_DIR !== ROOT) return existsSync(`${SERVER_DIR}/.revision`) ? readFileSync(`${SERVER_DIR}/.revision`, 'utf8').trim() : SERVER_DIR;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+changes' : ''}`;
}

/**
 * Prints the runner's result as one line `RESULT {"row": …, "date": …, …}` (what
 * bench/README.md records), then stops everything.
 */
export async function report(row: string, result: Record<string, unknown>): Promise<void> {
  console.log(`RESULT ${JSON.stringify({ row, date: new Date().toISOString(), revision: revision(), ...result })}`);
  await finish();
}

/** Runs `main`, reporting a failure, and always stops what was started. */
export function runner(main: () => Promise<void>): void {
  main().then(
    () => finish().then(() => process.exit(0)),
    async (error: unknown) => {
      console.error(error);
      await finish();
      process.exit(1);
    },
  );
}
