import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryStore, KeyIndex, auditKeyIndex, migrations, openDb, type Db } from '../../src/storage/index.js';
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

/** append writes a batch the way the sequencer does: add, then insert and stage in one transaction. */
function append(db: Db, idx: KeyIndex, entries: EntryStore, model: Model, batch: { leaf: number; keys: string[] }[], fail: boolean): void {
  const start = model.leaves.length;
  let next = start;
  const accepted: typeof batch = [];
  try {
    db.transaction(() => {
      for (const b of batch) {
        if (idx.indexOf(hashOf(b.leaf)) !== undefined) continue;
        idx.add(next, hashOf(b.leaf), b.keys);
        entries.insert({ index: next, leafHash: hashOf(b.leaf), body: new Uint8Array([1]), kind: 'k', integratedTime: 0 });
        idx.stage(next, b.keys);
        accepted.push(b);
        next++;
      }
      if (fail) throw new Error('disk full');
    })();
  } catch {
    idx.truncate(start);
    return;
  }
  for (const b of accepted) {
    model.leaves.push(b.leaf);
    model.keys.push(b.keys);
  }
}

function check(idx: KeyIndex, model: Model, leafIds: number, keyIds: number): void {
  for (let l = 0; l < leafIds; l++) expect(idx.indexOf(hashOf(l)), `leaf ${l}`).toBe(model.indexOf(l));
  for (let k = 0; k < keyIds; k++) {
    for (const limit of [1, 3, 1000]) expect(idx.search(`key:${k}`, limit, model.leaves.length), `key:${k} limit ${limit}`).toEqual(model.search(`key:${k}`, limit));
  }
}

describe('KeyIndex', () => {
  it('answers like a plain index through random batches, duplicates, failed transactions, merges and reopens', () => {
    const LEAVES = 60;
    const KEYS = 8;
    const op = fc.oneof(
      fc.record({
        t: fc.constant('batch' as const),
        batch: fc.array(fc.record({ leaf: fc.nat(LEAVES - 1), keys: fc.uniqueArray(fc.nat(KEYS - 1).map((k) => `key:${k}`), { maxLength: 3 }) }), { minLength: 1, maxLength: 8 }),
        fail: fc.boolean().map((b) => b && Math.random() < 0.3),
      }),
      fc.record({ t: fc.constant('merge' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ t: fc.constant('reopen' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const file = join(tempDir(), 'k.db');
        let db = openDb(file);
        let idx = new KeyIndex(db);
        let entries = new EntryStore(db);
        const model = new Model();
        for (const o of ops) {
          if (o.t === 'batch') append(db, idx, entries, model, o.batch, o.fail);
          else if (o.t === 'merge') idx.merge(idx.indexedSize + Math.floor(o.frac * (model.leaves.length - idx.indexedSize)));
          else {
            db.close();
            db = openDb(file);
            idx = new KeyIndex(db);
            entries = new EntryStore(db);
            expect(idx.indexedSize + idx.tailSize).toBe(model.leaves.length);
          }
          check(idx, model, LEAVES, KEYS);
          expect(auditKeyIndex(db)).toBeUndefined();
        }
        db.close();
      }),
      { numRuns: 60 },
    );
  });

  it('search never shows entries past the committed size, nor one index twice', () => {
    const db = openDb(join(tempDir(), 'k.db'));
    const idx = new KeyIndex(db);
    const entries = new EntryStore(db);
    const model = new Model();
    append(db, idx, entries, model, [0, 1, 2, 3].map((leaf) => ({ leaf, keys: ['key:0'] })), false);
    idx.merge(2);
    expect(idx.search('key:0', 10, 4)).toEqual([0, 1, 2, 3]);
    // Entry 4 is in the tail (its batch is being written) but not yet part of the tree.
    idx.add(4, hashOf(4), ['key:0']);
    expect(idx.search('key:0', 10, 4)).toEqual([0, 1, 2, 3]);
    expect(idx.indexOf(hashOf(4))).toBe(4);
    idx.truncate(4);
    expect(idx.indexOf(hashOf(4))).toBeUndefined();
    db.close();
  });

  it('auditKeyIndex names an entry the leaf index lost or misplaces', () => {
    const file = join(tempDir(), 'k.db');
    const db = openDb(file);
    const idx = new KeyIndex(db);
    const model = new Model();
    append(db, idx, new EntryStore(db), model, Array.from({ length: 10 }, (_, leaf) => ({ leaf, keys: [] })), false);
    idx.merge(10);
    expect(auditKeyIndex(db)).toBeUndefined();
    db.prepare('UPDATE leaf_index SET idx = 3 WHERE leaf_hash = ?').run(hashOf(7));
    expect(auditKeyIndex(db)).toBe('entry 7 is not found by its leaf hash in the leaf index');
    db.prepare('DELETE FROM leaf_index WHERE leaf_hash = ?').run(hashOf(7));
    expect(auditKeyIndex(db)).toBe('entry 7 is not found by its leaf hash in the leaf index');
    db.prepare('INSERT INTO leaf_index VALUES (?, 7)').run(hashOf(7));
    db.prepare('INSERT INTO leaf_index VALUES (?, 99)').run(hashOf(99));
    expect(auditKeyIndex(db)).toBe('the leaf index holds 11 rows for 10 indexed entries');
    db.close();
  });

  it('migration 003 moves an existing log\'s leaf-hash index and search keys into the merged indexes', () => {
    const file = join(tempDir(), 'old.db');
    const old = new Database(file);
    for (const [v, sql] of migrations().filter(([v]) => v <= 2)) {
      old.exec(sql);
      old.pragma(`user_version = ${v}`);
    }
    const ins = old.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?)');
    const key = old.prepare('INSERT INTO index_keys VALUES (?, ?)');
    for (let i = 0; i < 5; i++) {
      ins.run(i, hashOf(i), Buffer.from([i]), 'k', 0);
      key.run(`key:${i % 2}`, i);
    }
    old.close();
    const db = openDb(file);
    const idx = new KeyIndex(db);
    expect(idx.indexedSize).toBe(5);
    expect(idx.tailSize).toBe(0);
    for (let i = 0; i < 5; i++) expect(idx.indexOf(hashOf(i))).toBe(i);
    expect(idx.search('key:0', 10, 5)).toEqual([0, 2, 4]);
    expect(auditKeyIndex(db)).toBeUndefined();
    db.close();
  });
});
