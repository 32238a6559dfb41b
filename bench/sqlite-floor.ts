// The storage floor under the append target: how fast better-sqlite3 alone stores entries on this
// machine, with nothing of Cairn around it (no hashing, tiles, proofs, signing or indexes).
// Each batch of 1024 is one transaction in WAL mode with synchronous=FULL (one fsync), as the
// sequencer's are; the WAL is not checkpointed meanwhile (Cairn does that on another thread).
//
//   npx tsx bench/sqlite-floor.ts [runs=3] [entries=204800]
//
// Shapes: one row per entry (idx, 32-byte leaf hash, ~400-byte body, kind, time), one statement
// per row and 64 rows per statement; and the same bytes as one ~100 KB blob per 256 entries (a
// tlog-tiles entry bundle as the storage unit).
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, machine, median } from './lib.js';

const runs = Number(process.argv[2] ?? 3);
const total = Number(process.argv[3] ?? 204_800);
const BATCH = 1024;
const BODY = 400;

type Shape = (db: Database.Database) => (base: number, hashes: Buffer[], bodies: Buffer[]) => void;

const shapes: Record<string, Shape> = {
  'row per entry, 1 row a statement': (db) => {
    const ins = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?)');
    return (base, hashes, bodies) => {
      for (let j = 0; j < BATCH; j++) ins.run(base + j, hashes[j], bodies[j], 'hashedrekord/0.0.1', 1);
    };
  },
  'row per entry, 64 rows a statement': (db) => {
    const ins = db.prepare(`INSERT INTO entries VALUES ${Array(64).fill('(?, ?, ?, ?, ?)').join(', ')}`);
    return (base, hashes, bodies) => {
      for (let j = 0; j < BATCH; j += 64) {
        const p: unknown[] = [];
        for (let q = j; q < j + 64; q++) p.push(base + q, hashes[q], bodies[q], 'hashedrekord/0.0.1', 1);
        ins.run(p);
      }
    };
  },
  'blob per 256 entries': (db) => {
    const ins = db.prepare('INSERT INTO bundles VALUES (?, ?)');
    return (base, hashes, bodies) => {
      for (let j = 0; j < BATCH; j += 256) {
        const parts: Buffer[] = [];
        for (let q = j; q < j + 256; q++) parts.push(hashes[q], bodies[q]);
        ins.run((base + j) / 256, Buffer.concat(parts));
      }
    };
  },
};

function run(shape: Shape): number {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-floor-'));
  const db = new Database(join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, body BLOB NOT NULL, kind TEXT NOT NULL, integrated_time INTEGER NOT NULL) STRICT');
    db.exec('CREATE TABLE bundles (idx INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT');
    const write = shape(db);
    const tx = db.transaction(write);
    // Inputs are made before the clock starts.
    const hashes = Array.from({ length: total }, () => randomBytes(32));
    const bodies = Array.from({ length: total }, () => randomBytes(BODY));
    const t0 = performance.now();
    for (let base = 0; base < total; base += BATCH) tx(base, hashes.slice(base, base + BATCH), bodies.slice(base, base + BATCH));
    return total / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`SQLite storage floor — ${machine()} — ${fmt(total)} entries in fsynced batches of ${BATCH}, median of ${runs} runs`);
for (const [name, shape] of Object.entries(shapes)) {
  const rates = Array.from({ length: runs }, () => run(shape));
  console.log(`${name.padEnd(36)} ${fmt(median(rates)).padStart(9)} entries/s  (runs: ${rates.map(fmt).join(', ')})`);
}
