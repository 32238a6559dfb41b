// Storage-level commit benchmark, PostgreSQL driver vs SQLite driver in the same sitting: batches
// committed/s and entries/s through LogStorage.commit (entries, 3 search keys each, tiles and the
// checkpoint in one durable transaction; PostgreSQL's synchronous_commit on, SQLite's
// synchronous=FULL), one batch at a time as the sequencer sends them. Batches and tiles are built
// before the clock starts. Engines alternate per run (A/B); medians over runs.
// Usage: npx tsx bench/postgres-append.ts [runs=5] [batches=1,256] [commits=200]
// Needs PostgreSQL at CAIRN_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EMPTY_ROOT, integrate, leafHash } from '../src/merkle/index.js';
import { PostgresStorage, SqliteStorage, type BatchWrite, type LogStorage } from '../src/storage/index.js';
import { entryBody, fmt, machine, median } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
const sizes = (process.argv[3] ?? '1,256').split(',').map(Number);
const commits = Number(process.argv[4] ?? 200);
const url = process.env.CAIRN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ID = { origin: 'bench.cairn.example/log', publicKeyPem: 'k', treeId: '1' };
const cp = (size: number, root: Uint8Array) => ({ size, rootHash: root, signedAt: size, c2sp: `c ${size}\n`, rekor: `r ${size}\n` });

/** plan builds n batches of `per` entries with their real tiles (roots are not what is measured). */
function plan(n: number, per: number, salt: string): BatchWrite[] {
  const tiles = new Map<string, Uint8Array>();
  const out: BatchWrite[] = [];
  for (let b = 0, size = 0; b < n; b++, size += per) {
    const entries = Array.from({ length: per }, (_, i) => {
      const body = entryBody(size + i, salt);
      return { index: size + i, leafHash: leafHash(body), body, kind: 'hashedrekord', integratedTime: 1 };
    });
    const t = integrate(size, entries.map((e) => e.leafHash), (l, i) => tiles.get(`${l}/${i}`));
    for (const u of t) tiles.set(`${u.level}/${u.index}`, u.data);
    const keys = entries.map((e) => [`sha256:${e.index}`, `pubkey:${e.index % 1000}`, `email:u${e.index % 5000}`]);
    out.push({ oldSize: size, entries, keys, tiles: t.map((u) => ({ level: u.level, index: u.index, data: u.data })), checkpoint: cp(size + per, EMPTY_ROOT) });
  }
  return out;
}

async function measure(s: LogStorage, batches: BatchWrite[]): Promise<number> {
  await s.create(ID, cp(0, EMPTY_ROOT));
  const t0 = performance.now();
  for (const b of batches) {
    b.entries.forEach((e, i) => s.stage(e.index, e.leafHash, b.keys[i]));
    await s.commit(b);
  }
  return (performance.now() - t0) / 1000;
}

const admin = new pg.Client(url);
await admin.connect();
const res: Record<string, number[]> = {};
let n = 0;
console.log(machine());
for (let r = 0; r < runs; r++)
  for (const per of sizes)
    for (const engine of r % 2 ? ['sqlite', 'postgres'] : ['postgres', 'sqlite']) {
      const batches = plan(per === 1 ? commits : Math.max(10, Math.floor(commits / 10)), per, `${r}`);
      let secs: number;
      if (engine === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
        const s = SqliteStorage.open(dir, { synchronous: 'FULL' });
        secs = await measure(s, batches);
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      } else {
        const schema = `bench_${process.pid}_${++n}`;
        const s = await PostgresStorage.open({ url, schema });
        secs = await measure(s, batches);
        await s.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      }
      (res[`${engine} batch=${per} batches/s`] ??= []).push(batches.length / secs);
      (res[`${engine} batch=${per} entries/s`] ??= []).push((batches.length * per) / secs);
    }
await admin.end();
for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(34)} median ${fmt(median(v))}  (runs: ${v.map(fmt).join(', ')})`);
