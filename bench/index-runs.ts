// index.db's cost an entry against the size of the runs its worker writes: `base` entries are
// indexed first (untimed), then `delta` more are indexed in runs of each size, on this thread
// with the worker's SQL (mergeRun), and the CPU time an entry is printed. Each entry has a leaf hash and 3 search keys as in bench/append.ts (a random sha256,
// one of 1,000 public keys, one of 5,000 e-mails). Random keys reach nearly every index page
// whatever the run's size, so bigger runs rewrite each page for more entries.
// Usage: npx tsx bench/index-runs.ts [base=200000] [delta=262144] [runs=3] [sizes=8192,65536,131072] [keys=3]
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeRun, openIndexDb } from '../src/storage/index-db.js';
import { openDb, type Db } from '../src/storage/db.js';
import Database from 'better-sqlite3';
import { BodyReader, chunkSizeOf } from '../src/storage/body-stream.js';
import { EntryRows } from '../src/storage/entry-rows.js';
import { ENTRY_KEYS_INSERT_SQL } from '../src/storage/statements.js';
import { fmt, machine, median } from './lib.js';

const base = Number(process.argv[2] ?? 200_000);
const delta = Number(process.argv[3] ?? 262_144);
const runs = Number(process.argv[4] ?? 3);
const sizes = (process.argv[5] ?? '8192,65536,131072').split(',').map(Number);
const keyCount = Number(process.argv[6] ?? 3);

function addEntries(db: Db, from: number, to: number): void {
  const entry = new EntryRows(db);
  const keys = db.prepare(ENTRY_KEYS_INSERT_SQL);
  const body = new Uint8Array(350).fill(7);
  db.transaction(() => {
    for (let i = from; i < to; i++) {
      const leaf = createHash('sha256').update(`leaf ${i}`).digest();
      entry.put(i, leaf, body, 'hashedrekord/0.0.1', 0, null);
      const ks = [`sha256:${createHash('sha256').update(`artifact ${i}`).digest('hex')}`, `pubkey:${i % 1000}`, `email:u${i % 5000}@example.com`].slice(0, keyCount);
      if (ks.length > 0) keys.run(i, JSON.stringify(ks));
    }
    entry.flush();
  })();
}

/** indexRuns indexes entries [from, to) of dir's log into its index.db in runs of `size`. */
function indexRuns(dir: string, from: number, to: number, size: number): void {
  const idb = openIndexDb(join(dir, 'index.db'));
  idb.prepare('ATTACH DATABASE ? AS log').run(join(dir, 'cairn.db'));
  const log = new Database(join(dir, 'cairn.db'), { readonly: true });
  const run = mergeRun(idb, new BodyReader(log, chunkSizeOf(log)));
  for (let at = from; at < to; at = Math.min(to, at + size)) run(at, Math.min(to, at + size));
  idb.close();
  log.close();
}

// One template: base entries indexed, delta entries stored but not indexed.
const template = mkdtempSync(join(tmpdir(), 'cairn-index-runs-'));
{
  const db = openDb(join(template, 'cairn.db'), { synchronous: 'OFF' });
  addEntries(db, 0, base);
  indexRuns(template, 0, base, 1 << 20);
  addEntries(db, base, base + delta);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

console.log(`index runs — ${machine()} — ${fmt(delta)} entries indexed after ${fmt(base)}, ${keyCount} search keys each, median of ${runs} runs`);
for (const size of sizes) {
  const us: number[] = [];
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-index-run-'));
    cpSync(template, dir, { recursive: true });
    const c0 = process.cpuUsage();
    indexRuns(dir, base, base + delta, size);
    const c = process.cpuUsage(c0);
    us.push((c.user + c.system) / delta);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`runs of ${String(size).padStart(7)}: ${median(us).toFixed(2)} µs of CPU an entry (runs: ${us.map((x) => x.toFixed(2)).join(', ')})`);
}
rmSync(template, { recursive: true, force: true });
