// Search index latency at scale: p50/p99 of Log.search and of POST /api/v1/index/retrieve.
//
//   npx tsx bench/search.ts [virtualEntries=10000000] [realEntries=200000]
//
// Building 10M entries through the sequencer would take far longer than the queries, so the
// index is built in two parts: realEntries entries appended through Log.append (each with its
// hash, key and email search keys), then the search keys of virtualEntries more entries written
// straight into index.db's index_keys table in large transactions. Virtual entry i points at log index
// i % realEntries, so every hit resolves to a stored entry in the HTTP route, as in a real log.
// index.db stores salted key hashes and re-checks each hit against the entry's stored keys
// (key-index.ts): a virtual entry's hit costs that re-check and is then dropped, so the hit counts
// printed are the real entries' only.
// Each virtual entry has 3 keys: a unique sha256 (1 hit), a public key shared by 5 entries, and
// an email shared by 50. The index file is kept in bench/out/search-<N> and reused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApp } from '../src/api/index.js';
import Database from 'better-sqlite3';
import { INDEX_FILE, Log } from '../src/log/index.js';
import { indexSalt } from '../src/storage/index-db.js';
import { keyHash } from '../src/storage/key-hash.js';
import { BENCH_ORIGIN, entryBody, fmt, machine } from './lib.js';

const N = Number(process.argv[2] ?? 10_000_000);
const M = Number(process.argv[3] ?? 200_000);
const KEY_GROUP = 5;
const EMAIL_GROUP = 50;
const QUERIES = 20_000;

// Keys look like real ones (64 hex digits after the prefix) but sort in entry order, so building
// appends to three b-tree edges instead of inserting at random: a lookup costs the same either
// way, a random build is ~20x slower here.
const SALT = createHash('sha256').update('cairn').digest('hex').slice(16);
const ordered = (n: number) => n.toString(16).padStart(16, '0') + SALT;
const keysOf = (i: number) => [`sha256:${ordered(i)}`, `key:${ordered(Math.floor(i / KEY_GROUP))}`, `email:user${String(Math.floor(i / EMAIL_GROUP)).padStart(9, '0')}@example.com`];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function build(dir: string): Promise<Log> {
  const fresh = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0, maxBatch: 8192, synchronous: 'OFF' });
  if (!fresh) return log;
  let t = performance.now();
  for (let start = 0; start < M; start += 8192) {
    const k = Math.min(8192, M - start);
    await Promise.all(Array.from({ length: k }, (_, j) => log.append({ body: entryBody(start + j, 'search'), kind: 'hashedrekord/0.0.1', indexKeys: keysOf(start + j) })));
  }
  process.stderr.write(`  ${fmt(M)} real entries appended in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  t = performance.now();
  // The real entries' keys go to index.db first (not just the key index's memory), then the
  // virtual ones beside them through a connection of our own.
  await log.flushIndex();
  const idb = new Database(join(dir, INDEX_FILE));
  idb.pragma('busy_timeout = 5000');
  const ins = idb.prepare('INSERT OR IGNORE INTO index_keys (h, idx) VALUES (?, ?)');
  const salt = indexSalt(idb);
  const CHUNK = 200_000;
  for (let start = M; start < N; start += CHUNK) {
    // Hashed keys land at random: each chunk goes in sorted, so a page is touched once a chunk.
    const rows: [bigint, number][] = [];
    for (let i = start; i < Math.min(N, start + CHUNK); i++) for (const key of keysOf(i)) rows.push([keyHash(salt, key), i % M]);
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    idb.transaction(() => {
      for (const [h, i] of rows) ins.run(h, i);
    })();
    if ((start - M) % 2_000_000 < CHUNK) process.stderr.write(`  ${fmt(start)} virtual entries indexed (${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
  }
  idb.close();
  process.stderr.write(`  ${fmt(Math.max(0, N - M) * 3)} index rows written in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return log;
}

async function main(): Promise<void> {
  console.log(`search bench: ${fmt(N)} entries' keys (${fmt(M)} real), ${machine()}`);
  const log = await build(join(import.meta.dirname, 'out', `search-${N}-${M}`));
  // Queries measure index.db, as in a log whose index worker has caught up (not the in-memory tail).
  await log.flushIndex();
  const families: [string, (i: number) => unknown, (i: number) => string][] = [
    ['hash (1 hit)', (i) => ({ hash: keysOf(i)[0] }), (i) => keysOf(i)[0]],
    // Log.search only: an HTTP key query needs a real public key to hash.
    ['key (5 hits)', () => undefined, (i) => keysOf(i)[1]],
    ['email (50 hits)', (i) => ({ email: keysOf(i)[2].slice('email:'.length) }), (i) => keysOf(i)[2]],
  ];
  const rnd = () => Math.floor(Math.random() * N);

  for (const [name, , key] of families) {
    const ts: number[] = [];
    let hits = 0;
    for (let q = 0; q < QUERIES; q++) {
      const k = key(rnd());
      const t = performance.now();
      hits += log.search(k, 1001).length;
      ts.push(performance.now() - t);
    }
    console.log(`  Log.search ${name.padEnd(16)} p50 ${pct(ts, 50).toFixed(3)} ms  p99 ${pct(ts, 99).toFixed(3)} ms  (${(hits / QUERIES).toFixed(1)} hits/query)`);
  }

  const server = createApp(log, { publicUrl: 'http://127.0.0.1' }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/index/retrieve`;
  for (const [name, query] of families.filter(([, q]) => q(0) !== undefined)) {
    const ts: number[] = [];
    let ids = 0;
    for (let q = 0; q < QUERIES / 4; q++) {
      const body = JSON.stringify(query(rnd()));
      const t = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const got = (await res.json()) as string[];
      ts.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      ids += got.length;
    }
    console.log(`  HTTP  ${name.padEnd(16)} p50 ${pct(ts, 50).toFixed(3)} ms  p99 ${pct(ts, 99).toFixed(3)} ms  (${(ids / (QUERIES / 4)).toFixed(1)} IDs/response, client in-process)`);
  }
  server.close();
  await log.close();
}

await main();
