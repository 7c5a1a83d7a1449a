// Preloaded into a server for memory figures (node --expose-gc --import bench/load/gc-preload.mjs):
// on SIGUSR2 it runs a full GC and appends one JSON line { rssMB, heapUsedMB } to MEM_FILE.
import fs from 'node:fs';
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  fs.appendFileSync(process.env.MEM_FILE, JSON.stringify({ rssMB: +(m.rss / 2 ** 20).toFixed(1), heapUsedMB: +(m.heapUsed / 2 ** 20).toFixed(1) }) + '\n');
});
