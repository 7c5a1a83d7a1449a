// Reference for a real read and a real write: bare graphql-yoga + postgres.js (pool of 10, like
// our server), no plugins, no auth.
// - Query `worker(id)` sends the very statements our server sends for
//   `worker(id) { name role fleet { name } }`, captured from its wire protocol by the read runner
//   (bench/load/read.ts) into STATEMENTS_FILE: a JSON list of { text, params }, where the param
//   "$WORKER_ID" stands for the worker's UUID. The worker is the first row of the first statement;
//   its `fleet` is that row's `fleet` column (JSON) or else the first row of the next statement.
// - Mutation `addTask`: one INSERT … RETURNING into bench_raw_tasks (created here), the write
//   reference for assignTask.
// Run with cwd = the project folder (resolves its packages). env: PORT, DATABASE_URL, STATEMENTS_FILE (optional).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
const req = createRequire(path.join(process.cwd(), 'package.json'));
const { createYoga, createSchema } = req('graphql-yoga');
const postgres = req('postgres');
const sql = postgres(process.env.DATABASE_URL, { max: 10, onnotice: () => {} });
const statements = process.env.STATEMENTS_FILE ? JSON.parse(fs.readFileSync(process.env.STATEMENTS_FILE, 'utf8')) : [];
const json = (v) => (typeof v === 'string' ? JSON.parse(v) : v);
await sql`create table if not exists bench_raw_tasks (id bigserial primary key, worker_id text not null, action text not null, input jsonb, status text not null default 'ASSIGNED', created_at timestamptz not null default now())`;
const typeDefs = 'scalar JSON type Fleet { name: String! } type Worker { name: String! role: String! fleet: Fleet } type Task { id: ID! action: String! status: String! } type Query { hello: String! worker(id: ID!): Worker } type Mutation { addTask(workerId: ID!, action: String!, input: JSON): Task! }';
const resolvers = { Query: { hello: () => 'world', worker: async (_, { id }) => {
  const raw = Buffer.from(id, 'base64').toString().replace(/^Worker:/, '');
  const results = [];
  for (const { text, params } of statements) results.push(await sql.unsafe(text, params.map((p) => (p === '$WORKER_ID' ? raw : p)), { prepare: true }));
  const row = results[0]?.[0];
  if (!row) return null;
  return { name: row.name, role: row.role, fleet: row.fleet !== undefined ? json(row.fleet) : (results[1]?.[0] ?? null) }; } },
  Mutation: { addTask: async (_, { workerId, action, input }) => (await sql`insert into bench_raw_tasks (worker_id, action, input) values (${workerId}, ${action}, ${sql.json(input ?? {})}) returning id, action, status`)[0] } };
const yoga = createYoga({ schema: createSchema({ typeDefs, resolvers }), logging: false, graphiql: false });
createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
