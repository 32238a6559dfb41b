import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrations, openDb, type Db } from '../../src/storage/db.js';
import { auditKeyIndex, indexSalt } from '../../src/storage/index-db.js';
import { keyHash } from '../../src/storage/key-hash.js';
import { KeyIndex, type KeyIndexOptions } from '../../src/storage/key-index.js';
import { leafPrefix } from '../../src/storage/leaf-prefix.js';
import { EntryRows } from '../../src/storage/entry-rows.js';
import { ENTRY_KEYS_INSERT_SQL } from '../../src/storage/statements.js';
import { Tables } from '../../src/storage/tables.js';
import type { Thread } from '../../src/threads/index.js';
import { tempDir } from '../helpers/test-log.js';

const hashOf = (n: number) => new Uint8Array(createHash('sha256').update(`leaf ${n}`).digest());

/** Model: what the index must answer, kept the obvious way. */
class Model {
  leaves: number[] = []; // leaf id per log index
  keys: string[][] = [];
  indexOf(leaf: number): number | undefined {
    const i = this.leaves.indexOf(leaf);
    return i < 0 ? undefined : i;
  }
  search(key: string, limit: number): number[] {
    return this.keys.flatMap((ks, i) => (ks.includes(key) ? [i] : [])).slice(0, limit);
  }
}

/** A log database and its index, opened the way Log.open does (runs only when flushed, unless minRun says otherwise). */
function open(dir: string, extra: Partial<KeyIndexOptions> = {}): { db: Db; idx: KeyIndex; entries: Tables } {
  const logPath = join(dir, 'cairn.db');
  const db = openDb(logPath);
  const entries = new Tables(db);
  const idx = KeyIndex.open({ logDb: db, logPath, indexPath: join(dir, 'index.db'), minRun: 1e9, maxRun: 7, ...extra }, entries.count());
  return { db, idx, entries };
}

/** append writes a batch the way the sequencer and log writer do: add, then the entry and its keys in one transaction. */
function append(s: { db: Db; idx: KeyIndex; entries: Tables }, model: Model, batch: { leaf: number; keys: string[] }[], fail = false): void {
  const start = model.leaves.length;
  let next = start;
  const accepted: typeof batch = [];
  const rows = new EntryRows(s.db);
  try {
    s.db.transaction(() => {
      for (const b of batch) {
        if (s.idx.indexOf(hashOf(b.leaf)) !== undefined) continue;
        s.idx.add(next, hashOf(b.leaf), b.keys);
        rows.put(next, hashOf(b.leaf), new Uint8Array([1]), 'k', 0, null);
        if (b.keys.length > 0) s.db.prepare(ENTRY_KEYS_INSERT_SQL).run(next, JSON.stringify(b.keys));
        accepted.push(b);
        next++;
      }
      rows.flush();
      if (fail) throw new Error('disk full');
    })();
  } catch {
    s.idx.truncate(start);
    return;
  }
  for (const b of accepted) {
    model.leaves.push(b.leaf);
    model.keys.push(b.keys);
  }
  s.idx.committed(model.leaves.length);
}

function check(idx: KeyIndex, model: Model, leafIds: number, keyIds: number): void {
  for (let l = 0; l < leafIds; l++) expect(idx.indexOf(hashOf(l)), `leaf ${l}`).toBe(model.indexOf(l));
  for (let k = 0; k < keyIds; k++) {
    for (const limit of [1, 3, 1000]) expect(idx.search(`key:${k}`, limit, model.leaves.length), `key:${k} limit ${limit}`).toEqual(model.search(`key:${k}`, limit));
  }
}

describe('KeyIndex', () => {
  it('answers like a plain index through random batches, duplicates, failed transactions, index runs, reopens and a lost index.db', async () => {
    const LEAVES = 50;
    const KEYS = 6;
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          t: fc.constant('batch' as const),
          batch: fc.array(fc.record({ leaf: fc.nat(LEAVES - 1), keys: fc.uniqueArray(fc.nat(KEYS - 1).map((k) => `key:${k}`), { maxLength: 3 }) }), { minLength: 1, maxLength: 8 }),
          fail: fc.nat(9).map((n) => n < 2),
        }),
      },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('flush' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const), lose: fc.boolean() }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
        const dir = tempDir();
        let s = open(dir);
        const model = new Model();
        try {
          for (const o of ops) {
            if (o.t === 'batch') append(s, model, o.batch, o.fail);
            else if (o.t === 'flush') {
              const to = Math.floor(o.frac * model.leaves.length);
              await s.idx.flush(to);
              expect(s.idx.indexedSize).toBeGreaterThanOrEqual(to);
            } else {
              await s.idx.close();
              s.db.close();
              if (o.lose) rmSync(join(dir, 'index.db'));
              s = open(dir);
              expect(s.idx.indexedSize + s.idx.tailSize).toBe(model.leaves.length);
            }
            check(s.idx, model, LEAVES, KEYS);
            expect(auditKeyIndex(s.db, join(dir, 'index.db'))).toBeUndefined();
          }
        } finally {
          await s.idx.close();
          s.db.close();
        }
      }),
      { numRuns: 25 },
    );
    // Bounded (25 runs of at most 16 steps), but each reopen starts an index worker thread and
    // every batch fsyncs: 60-90 s on this 2-core machine beside the rest of the suite.
  }, 180_000);

  it('search never shows entries past the committed size, nor one index twice', async () => {
    const s = open(tempDir());
    const model = new Model();
    append(s, model, [0, 1, 2, 3].map((leaf) => ({ leaf, keys: ['key:0'] })));
    await s.idx.flush(2);
    expect(s.idx.search('key:0', 10, 4)).toEqual([0, 1, 2, 3]);
    // Entry 4 is in the tail (its batch is being written) but not yet part of the tree.
    s.idx.add(4, hashOf(4), ['key:0']);
    expect(s.idx.search('key:0', 10, 4)).toEqual([0, 1, 2, 3]);
    expect(s.idx.indexOf(hashOf(4))).toBe(4);
    s.idx.truncate(4);
    expect(s.idx.indexOf(hashOf(4))).toBeUndefined();
    await s.idx.close();
    s.db.close();
  });

  it('its worker indexes on its own once minRun entries wait', async () => {
    const s = open(tempDir(), { minRun: 10, maxRun: 1000 });
    const model = new Model();
    append(s, model, Array.from({ length: 25 }, (_, leaf) => ({ leaf, keys: [`key:${leaf % 3}`] })));
    while (s.idx.indexedSize < 25) await s.idx.progress();
    expect(s.idx.tailSize).toBe(0);
    check(s.idx, model, 25, 3);
    await s.idx.close();
    s.db.close();
  });

  it('replaces a worker that dies: lookups stay right meanwhile, and the new one indexes what is committed', async () => {
    const errors: string[] = [];
    const s = open(tempDir(), { minRun: 10, maxRun: 1000, onError: (e) => errors.push((e as Error).message) });
    const model = new Model();
    const worker = (s.idx as unknown as { worker: Thread<unknown, unknown> }).worker;
    const first = worker.threadId;
    await worker.kill(); // as a crash would: the index did not ask for it
    append(s, model, Array.from({ length: 25 }, (_, leaf) => ({ leaf, keys: [`key:${leaf % 3}`] })));
    check(s.idx, model, 25, 3); // from the tail while no worker runs
    while (s.idx.indexedSize < 25) await s.idx.progress();
    expect(worker.threadId).not.toBe(first);
    expect(errors).toEqual([expect.stringMatching(/^key index thread exited: .*; restarting it$/)]);
    check(s.idx, model, 25, 3);
    await s.idx.close();
    s.db.close();
  });

  it('a new log asks index.db about fewer than 1% of its first 100,000 new leaves', async () => {
    // Grown from a small first part, the leaf filter's false positives added up to ~5%.
    const s = open(tempDir());
    for (let i = 0; i < 100_000; i++) {
      const h = hashOf(i);
      expect(s.idx.indexOf(h)).toBeUndefined();
      s.idx.add(i, h, []);
    }
    expect(s.idx.storedLookups).toBeLessThan(1000);
    expect(s.idx.indexOf(hashOf(5))).toBe(5);
    await s.idx.close();
    s.db.close();
  });

  it('indexes a long tail before serving, and rebuilds a damaged or foreign index.db', async () => {
    const dir = tempDir();
    let s = open(dir);
    const model = new Model();
    append(s, model, Array.from({ length: 40 }, (_, leaf) => ({ leaf, keys: [`key:${leaf % 4}`] })));
    await s.idx.close();
    s.db.close();
    s = open(dir, { maxTail: 10 });
    expect([s.idx.indexedSize, s.idx.tailSize]).toEqual([40, 0]);
    check(s.idx, model, 40, 4);
    await s.idx.close();
    s.db.close();
    for (const damage of [() => writeFileSync(join(dir, 'index.db'), Buffer.alloc(8192, 0x5a)), () => new Database(join(dir, 'index.db')).pragma('user_version = 99')]) {
      damage();
      s = open(dir);
      expect(s.idx.indexedSize).toBe(0);
      check(s.idx, model, 40, 4);
      await s.idx.close();
      s.db.close();
    }
    expect(existsSync(join(dir, 'index.db'))).toBe(true);
  });

  it('rebuilds an index.db that is ahead of the log (cairn.db restored from an older copy)', async () => {
    const dir = tempDir();
    let s = open(dir);
    const model = new Model();
    append(s, model, Array.from({ length: 5 }, (_, leaf) => ({ leaf, keys: ['key:0'] })));
    s.db.exec(`VACUUM INTO '${join(dir, 'older.db')}'`);
    const older = new Model();
    older.leaves = [...model.leaves];
    older.keys = [...model.keys];
    append(s, model, Array.from({ length: 5 }, (_, j) => ({ leaf: 5 + j, keys: ['key:0'] })));
    await s.idx.flush(10);
    await s.idx.close();
    s.db.close();
    for (const f of ['cairn.db-wal', 'cairn.db-shm']) rmSync(join(dir, f), { force: true });
    rmSync(join(dir, 'cairn.db'));
    writeFileSync(join(dir, 'cairn.db'), readFileSync(join(dir, 'older.db')));
    s = open(dir);
    // Leaves 5..9 are not in this log: they must not count as duplicates or be found.
    check(s.idx, older, 10, 1);
    await s.idx.close();
    s.db.close();
  });

  it('stores salted key hashes and re-checks every hit against the entry, so a collision is never an answer', async () => {
    const dir = tempDir();
    const s = open(dir);
    const model = new Model();
    append(s, model, Array.from({ length: 10 }, (_, leaf) => ({ leaf, keys: [`key:${leaf % 3}`, `leaf:${leaf}`] })));
    await s.idx.flush(10);
    check(s.idx, model, 10, 3);
    await s.idx.close();
    const idb = new Database(join(dir, 'index.db'));
    const salt = indexSalt(idb);
    expect(salt.length).toBe(16);
    expect(idb.prepare('SELECT typeof(h) FROM index_keys LIMIT 1').pluck().get()).toBe('integer');
    expect(idb.prepare('SELECT COUNT(*) FROM index_keys WHERE h = ?').pluck().get(keyHash(salt, 'key:1'))).toBe(3);
    // Rows that say entries 0 and 2 (which lack it) carry key:1, as a hash collision would.
    const put = idb.prepare('INSERT INTO index_keys (h, idx) VALUES (?, ?)');
    put.run(keyHash(salt, 'key:1'), 0);
    put.run(keyHash(salt, 'key:1'), 2);
    put.run(keyHash(salt, 'absent'), 5);
    idb.close();
    const t = open(dir);
    expect(t.idx.indexedSize).toBe(10);
    expect(t.idx.search('key:1', 10, 10)).toEqual([1, 4, 7]);
    expect(t.idx.search('key:1', 2, 10)).toEqual([1, 4]);
    expect(t.idx.search('absent', 10, 10)).toEqual([]);
    await t.idx.close();
    t.db.close();
    s.db.close();
  });

  it('rebuilds an index.db of version 1 (search keys in full) with the same answers', async () => {
    const dir = tempDir();
    const s = open(dir);
    const model = new Model();
    append(s, model, Array.from({ length: 20 }, (_, leaf) => ({ leaf, keys: [`key:${leaf % 3}`, `email:${leaf % 4}@x`] })));
    await s.idx.close();
    rmSync(join(dir, 'index.db'));
    for (const f of ['index.db-wal', 'index.db-shm']) rmSync(join(dir, f), { force: true });
    // index.db as version 1 wrote it, with entries 0..14 indexed.
    const v1 = new Database(join(dir, 'index.db'));
    v1.exec(`CREATE TABLE leaf_index (leaf_hash BLOB PRIMARY KEY, idx INTEGER NOT NULL) STRICT, WITHOUT ROWID;
      CREATE TABLE index_keys (key TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (key, idx)) STRICT, WITHOUT ROWID;
      CREATE TABLE progress (indexed_size INTEGER NOT NULL) STRICT; INSERT INTO progress VALUES (15);`);
    for (let i = 0; i < 15; i++) {
      v1.prepare('INSERT INTO leaf_index VALUES (?, ?)').run(hashOf(i), i);
      for (const k of model.keys[i]) v1.prepare('INSERT INTO index_keys VALUES (?, ?)').run(k, i);
    }
    v1.pragma('user_version = 1');
    v1.close();
    const t = open(dir, { maxTail: 4 });
    expect(t.idx.indexedSize).toBe(20); // rebuilt and caught up before serving
    check(t.idx, model, 22, 4);
    for (let k = 0; k < 4; k++) expect(t.idx.search(`email:${k}@x`, 100, 20)).toEqual(model.search(`email:${k}@x`, 100));
    expect(auditKeyIndex(t.db, join(dir, 'index.db'))).toBeUndefined();
    const idb = new Database(join(dir, 'index.db'), { readonly: true });
    expect(idb.pragma('user_version', { simple: true })).toBe(3);
    idb.close();
    await t.idx.close();
    t.db.close();
    s.db.close();
  });

  it('keys leaves by a 6-byte prefix and re-checks the full hash, so a shared prefix is never an answer', async () => {
    const dir = tempDir();
    const s = open(dir);
    const model = new Model();
    append(s, model, Array.from({ length: 10 }, (_, leaf) => ({ leaf, keys: [] })));
    await s.idx.flush(10);
    await s.idx.close();
    const idb = new Database(join(dir, 'index.db'));
    expect(idb.prepare('SELECT typeof(p) FROM leaf_index LIMIT 1').pluck().get()).toBe('integer');
    expect(idb.prepare('SELECT p FROM leaf_index WHERE idx = 4').pluck().get()).toBe(leafPrefix(hashOf(4)));
    // A leaf not in the log whose prefix equals entry 4's (as ~1 in 2^48 pairs do), and rows that
    // put other entries under leaf 3's prefix.
    const twin = new Uint8Array(hashOf(4));
    twin[31] ^= 1;
    idb.prepare('INSERT INTO leaf_index VALUES (?, ?)').run(leafPrefix(hashOf(3)), 0);
    idb.prepare('INSERT INTO leaf_index VALUES (?, ?)').run(leafPrefix(hashOf(3)), 9);
    idb.close();
    const t = open(dir);
    expect(t.idx.indexedSize).toBe(10);
    expect(t.idx.indexOf(twin)).toBeUndefined();
    expect(t.idx.indexOf(hashOf(4))).toBe(4);
    expect(t.idx.indexOf(hashOf(3))).toBe(3);
    check(t.idx, model, 12, 0);
    await t.idx.close();
    t.db.close();
    s.db.close();
  });

  it('carries an index.db of version 2 (full leaf hashes) forward in place, with the same answers and search keys', async () => {
    const dir = tempDir();
    const s = open(dir);
    const model = new Model();
    append(s, model, Array.from({ length: 30 }, (_, leaf) => ({ leaf, keys: [`key:${leaf % 3}`] })));
    await s.idx.flush(20);
    await s.idx.close();
    // index.db as version 2 wrote it: leaf_index by full hash, entries 0..20 indexed (runs of 7; the rest in the tail).
    const indexPath = join(dir, 'index.db');
    let idb = new Database(indexPath);
    const salt = indexSalt(idb);
    expect(idb.prepare('SELECT indexed_size FROM progress').pluck().get()).toBe(21);
    const keyRows = idb.prepare('SELECT h, idx FROM index_keys ORDER BY h, idx').all();
    idb.exec('DROP TABLE leaf_index; CREATE TABLE leaf_index (leaf_hash BLOB PRIMARY KEY, idx INTEGER NOT NULL) STRICT, WITHOUT ROWID;');
    for (let i = 0; i < 21; i++) idb.prepare('INSERT INTO leaf_index VALUES (?, ?)').run(hashOf(i), i);
    idb.pragma('user_version = 2');
    idb.close();
    const t = open(dir);
    expect(t.idx.indexedSize).toBe(21); // kept, not rebuilt from 0
    check(t.idx, model, 35, 3);
    const dup = model.leaves.map((l) => t.idx.indexOf(hashOf(l)));
    expect(dup).toEqual(model.leaves.map((_, i) => i));
    expect(auditKeyIndex(t.db, indexPath)).toBeUndefined();
    await t.idx.close();
    idb = new Database(indexPath, { readonly: true });
    expect(idb.pragma('user_version', { simple: true })).toBe(3);
    expect(indexSalt(idb)).toEqual(salt);
    expect(idb.prepare('SELECT h, idx FROM index_keys ORDER BY h, idx').all()).toEqual(keyRows);
    expect(idb.prepare('SELECT p, idx FROM leaf_index ORDER BY idx').all()).toEqual(Array.from({ length: 21 }, (_, i) => ({ p: leafPrefix(hashOf(i)), idx: i })));
    idb.close();
    t.db.close();
    s.db.close();
  });

  it('auditKeyIndex names an entry index.db lost or misplaces', async () => {
    const dir = tempDir();
    const s = open(dir);
    append(s, new Model(), Array.from({ length: 10 }, (_, leaf) => ({ leaf, keys: [] })));
    await s.idx.flush(10);
    await s.idx.close();
    const indexPath = join(dir, 'index.db');
    expect(auditKeyIndex(s.db, indexPath)).toBeUndefined();
    const idb = new Database(indexPath);
    idb.prepare('UPDATE leaf_index SET idx = 3 WHERE p = ?').run(leafPrefix(hashOf(7)));
    expect(auditKeyIndex(s.db, indexPath)).toBe('entry 7 is not found by its leaf hash in index.db');
    idb.prepare('DELETE FROM leaf_index WHERE p = ?').run(leafPrefix(hashOf(7)));
    expect(auditKeyIndex(s.db, indexPath)).toBe('entry 7 is not found by its leaf hash in index.db');
    // The right index under another leaf's prefix is as wrong as a missing row.
    idb.prepare('INSERT INTO leaf_index VALUES (?, 7)').run(leafPrefix(hashOf(8)));
    expect(auditKeyIndex(s.db, indexPath)).toBe('entry 7 is not found by its leaf hash in index.db');
    idb.prepare('DELETE FROM leaf_index WHERE p = ? AND idx = 7').run(leafPrefix(hashOf(8)));
    idb.prepare('INSERT INTO leaf_index VALUES (?, 7)').run(leafPrefix(hashOf(7)));
    idb.prepare('INSERT INTO leaf_index VALUES (?, 99)').run(leafPrefix(hashOf(99)));
    expect(auditKeyIndex(s.db, indexPath)).toBe("index.db's leaf index holds 11 rows for 10 indexed entries");
    idb.close();
    s.db.close();
  });

  it('migrations 003 and 004 carry an existing log\'s search keys into entry_keys, from which index.db is built', async () => {
    const dir = tempDir();
    const old = new Database(join(dir, 'cairn.db'));
    for (const [v, sql] of migrations().filter(([v]) => v <= 2)) {
      old.exec(sql);
      old.pragma(`user_version = ${v}`);
    }
    const ins = old.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?)');
    const key = old.prepare('INSERT INTO index_keys VALUES (?, ?)');
    for (let i = 0; i < 5; i++) {
      ins.run(i, hashOf(i), Buffer.from([i]), 'k', 0);
      key.run(`key:${i % 2}`, i);
      key.run(`other:${i}`, i);
    }
    old.close();
    const s = open(dir);
    expect(s.db.prepare('SELECT keys FROM entry_keys WHERE idx = 2').pluck().get()).toBe('["key:0","other:2"]');
    for (let i = 0; i < 5; i++) expect(s.idx.indexOf(hashOf(i))).toBe(i);
    expect(s.idx.search('key:0', 10, 5)).toEqual([0, 2, 4]);
    await s.idx.flush(5);
    expect(s.idx.search('key:0', 10, 5)).toEqual([0, 2, 4]);
    expect(s.idx.search('other:3', 10, 5)).toEqual([3]);
    await s.idx.close();
    s.db.close();
  });
});
