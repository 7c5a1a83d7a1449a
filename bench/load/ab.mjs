// Interleaved HTTP load comparison with autocannon (the project's devDependency).
// usage: node bench/load/ab.mjs SPEC.json   (or SPEC as a JSON string)
// SPEC: { duration: 10, connections: 50, rounds: 2, warmup: 2,
//         targets: [{ name, url, body: {query, variables}, bodies?: [...], headers: {} , ref?: true, pidFile?: path }] }
// Per round, every target is hit in order (ref, ours, ref, ours ...). Before each run one request
// is checked (HTTP 200, no `errors`). Prints one JSON line per run and a summary with each
// target's median/min/max req/s and p99, and each non-ref target's req/s ratio to the ref of
// the same round and the median of those ratios (every target with ref: true is a reference).
import fs from 'node:fs';
import autocannon from 'autocannon';
const arg = process.argv[2];
const spec = JSON.parse(arg.trim().startsWith('{') ? arg : fs.readFileSync(arg, 'utf8'));
const { duration = 10, connections = 50, rounds = 2, warmup = 2 } = spec;
const run = (t, d) => new Promise((resolve, reject) => autocannon({
  url: t.url, method: 'POST', duration: d, connections, pipelining: 1,
  headers: { 'content-type': 'application/json', ...(t.headers ?? {}) }, body: JSON.stringify(t.body),
  // A target with `bodies` (a list) sends them in turn, e.g. the same mutation for different workers.
  ...(t.bodies ? { requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(t.bodies[(t.i = ((t.i ?? -1) + 1) % t.bodies.length)]) }) }] } : {}),
}, (err, r) => (err ? reject(err) : resolve(r))));
async function check(t) {
  const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(t.headers ?? {}) }, body: JSON.stringify(t.body) });
  const text = await res.text();
  if (res.status !== 200 || text.includes('"errors"')) throw new Error(`${t.name}: ${res.status} ${text.slice(0, 300)}`);
  return text.length;
}
// Server CPU per request: a target with `pid` (or `pidFile`) gets utime+stime of that process
// (/proc/PID/stat, clock ticks of 10 ms) read before and after its run: cpuMsPerReq.
const cpuMs = (t) => { const pid = t.pid ?? (t.pidFile ? Number(fs.readFileSync(t.pidFile, 'utf8')) : undefined); if (!pid) return undefined;
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const rows = [];
for (const t of spec.targets) { await check(t); if (warmup) await run(t, warmup); }
for (let r = 0; r < rounds; r++) {
  for (const t of spec.targets) {
    const bytes = await check(t);
    const c0 = cpuMs(t);
    const res = await run(t, duration);
    const c1 = cpuMs(t);
    const row = { round: r, name: t.name, rps: Math.round(res.requests.average), ...(c0 !== undefined ? { cpuMsPerReq: +((c1 - c0) / res.requests.total).toFixed(3), cpuShare: +((c1 - c0) / (duration * 1000)).toFixed(2) } : {}), p50: res.latency.p50, p99: res.latency.p99, max: res.latency.max,
      total: res.requests.total, errors: res.errors, timeouts: res.timeouts, non2xx: res.non2xx, respBytes: bytes };
    rows.push(row); console.log(JSON.stringify(row));
  }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const refs = spec.targets.filter((t) => t.ref).map((t) => t.name);
const summary = spec.targets.map((t) => {
  const mine = rows.filter((x) => x.name === t.name);
  const rps = mine.map((x) => x.rps), p99 = mine.map((x) => x.p99), p50 = mine.map((x) => x.p50);
  const ratios = t.ref ? undefined : Object.fromEntries(refs.map((ref) => [ref, mine.map((x) => +(x.rps / rows.find((y) => y.name === ref && y.round === x.round).rps).toFixed(3))]));
  const ratioMedians = ratios && Object.fromEntries(Object.entries(ratios).map(([ref, all]) => [ref, +med(all).toFixed(3)]));
  const cpu = mine.map((x) => x.cpuMsPerReq).filter((x) => x !== undefined);
  return { name: t.name, ...(cpu.length ? { cpuMsPerReqMed: med(cpu), cpuMsPerReqAll: cpu } : {}), rpsMed: med(rps), rpsMin: Math.min(...rps), rpsMax: Math.max(...rps), p50Med: med(p50), p99Med: med(p99), p99Max: Math.max(...p99),
    errors: mine.reduce((s, x) => s + x.errors + x.non2xx, 0), ...(ratios ? { rpsRatioTo: ratios, rpsRatioMedianTo: ratioMedians } : {}) };
});
console.log('SUMMARY ' + JSON.stringify({ duration, connections, rounds, summary }));
