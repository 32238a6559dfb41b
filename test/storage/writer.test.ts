/** LogWriter: batches commit in order on their own thread, and nothing is built on a failed one. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/storage/db.js';
import type { BatchWrite } from '../../src/storage/index.js';
import { Tables } from '../../src/storage/tables.js';
import { LogWriter } from '../../src/storage/writer.js';
import { tempDir } from '../helpers/test-log.js';

const h = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

/** batch makes a write of n entries on top of oldSize, with a tile and a checkpoint row for the new size. */
function batch(oldSize: number, n: number, salt = ''): BatchWrite {
  const entries = Array.from({ length: n }, (_, i) => ({
    index: oldSize + i,
    leafHash: h(`leaf ${salt}${oldSize + i}`),
    // A view into a larger buffer: only the view's bytes may be stored.
    body: new Uint8Array(Buffer.from(`xx body ${salt}${oldSize + i} yy`)).subarray(3, -3),
    kind: i % 2 ? 'dsse/0.0.1' : 'hashedrekord/0.0.1',
    integratedTime: 1700000000 + i,
    ...(i % 3 === 0 ? { entryTimestamp: h(`set ${oldSize + i}`) } : {}),
  }));
  const size = oldSize + n;
  return {
    oldSize,
    entries,
    keys: entries.map((e) => (e.index % 2 ? [`k:${e.index}`, 'k:all'] : [])),
    tiles: [{ level: 0, index: 0, data: new Uint8Array(32 * Math.min(size, 256)).fill(size % 251) }],
    checkpoint: { size, rootHash: h(`root ${size}`), signedAt: 1700000000000 + size, c2sp: `c2sp ${size}`, rekor: `rekor ${size}` },
  };
}

describe('LogWriter', () => {
  const open: { db: Db; writer: LogWriter }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.writer.close();
      o.db.close();
    }
  });
  function setup(): { db: Db; writer: LogWriter } {
    const path = join(tempDir(), 'cairn.db');
    const db = openDb(path);
    const o = { db, writer: new LogWriter(path, 0) };
    open.push(o);
    return o;
  }

  it('stores every field of every row of a batch, exactly', async () => {
    const { db, writer } = setup();
    const b1 = batch(0, 5);
    const b2 = batch(5, 3);
    await Promise.all([writer.write(b1), writer.write(b2)]);
    const entries = new Tables(db);
    expect(entries.count()).toBe(8);
    for (const e of [...b1.entries, ...b2.entries]) {
      const got = entries.entry(e.index)!;
      expect(Buffer.from(got.body).toString()).toBe(Buffer.from(e.body).toString());
      expect(Buffer.compare(got.leafHash, e.leafHash)).toBe(0);
      expect(got.kind).toBe(e.kind);
      expect(got.integratedTime).toBe(e.integratedTime);
      expect(got.entryTimestamp && Buffer.from(got.entryTimestamp).toString('hex')).toBe(e.entryTimestamp && Buffer.from(e.entryTimestamp).toString('hex'));
    }
    const keys = db.prepare<[], { idx: number; keys: string }>('SELECT idx, keys FROM entry_keys ORDER BY idx').all();
    // Odd indexes have keys; a hashedrekord entry given none has an empty row, so that no reader derives its body's; a dsse one none.
    const want = [...b1.entries, ...b2.entries].filter((e) => e.index % 2 || e.kind.startsWith('hashedrekord'));
    expect(keys).toEqual(want.map((e) => ({ idx: e.index, keys: JSON.stringify(e.index % 2 ? [`k:${e.index}`, 'k:all'] : []) })));
    const cp = new Tables(db).latest()!;
    expect(cp).toMatchObject({ size: 8, c2sp: 'c2sp 8', rekor: 'rekor 8', signedAt: 1700000000008 });
    expect(Buffer.compare(cp.rootHash, h('root 8'))).toBe(0);
    expect(new Tables(db).tile(0, 0)).toEqual(Buffer.from(b2.tiles[0].data));
  });

  it('keeps the newest 1,024 checkpoints and every one a witness cosigned, and sheds an old backlog at most 256 a commit', async () => {
    const { db, writer } = setup();
    const sizes = () => db.prepare<[], number>('SELECT size FROM checkpoints ORDER BY size').pluck().all();
    await writer.write(batch(0, 1));
    await writer.cosigned({ witness: 'w', size: 1, checkpoint: 'c2sp 1', lines: 'line\n' });
    for (let n = 1; n < 1100; n++) await writer.write(batch(n, 1));
    const kept = sizes();
    expect(kept.length).toBe(1 + 1024);
    expect(kept[0]).toBe(1); // cosigned: kept
    expect(kept.slice(1)).toEqual(Array.from({ length: 1024 }, (_, i) => 1100 - 1023 + i));
    // A backlog (a log from before pruning): 2,000 more rows below the kept ones go 256 a commit.
    const put = db.prepare('INSERT INTO checkpoints (size, root_hash, signed_at, c2sp, rekor) VALUES (?, ?, 0, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) put.run(-2000 + i, Buffer.alloc(32), 'old', 'old');
    })();
    await writer.write(batch(1100, 1));
    // One more kept, the oldest of the 1,024 now past the window but not yet pruned (the 256 went to the oldest rows).
    expect(sizes().length).toBe(1 + 1024 + 1 + 2000 - 256);
    expect(db.prepare<[], number>('SELECT COUNT(*) FROM checkpoints WHERE size < 0').pluck().get()).toBe(2000 - 256);
  });

  it('stores search keys and kinds exactly as text, whatever their characters, and many kinds in one batch', async () => {
    const { db, writer } = setup();
    const odd = ['email:jürgen@例え.jp', 'x:😀', 'lone:\ud800', 'lone:\udfff\ud800', 'ctl:\u0000\n\t"\\/', '', 'uri:https://example.com/ä?q=\u2028'];
    const b = batch(0, 600);
    // Distinct kinds past what a byte would index, interleaved; every third entry has no keys.
    const entries = b.entries.map((e, i) => ({ ...e, kind: `kind-${i % 300}/${'é'.repeat(i % 3)}`, integratedTime: 1700000000 + (i % 7) * 1e9 }));
    const keys = entries.map((_, i) => (i % 3 === 0 ? [] : [odd[i % odd.length], `k:${i}`, odd[(i * 5) % odd.length]]));
    await writer.write({ ...b, entries, keys });
    const rows = db.prepare<[], { idx: number; t: string; h: string }>('SELECT idx, typeof(keys) t, hex(keys) h FROM entry_keys ORDER BY idx').all();
    const want = keys.flatMap((k, i) => (k.length > 0 ? [{ idx: i, t: 'text', h: Buffer.from(JSON.stringify(k), 'utf8').toString('hex').toUpperCase() }] : []));
    expect(rows).toEqual(want);
    // And they read back as the keys (the index worker's json_each sees the same strings).
    const back = db.prepare<[], { idx: number; keys: string }>('SELECT idx, keys FROM entry_keys ORDER BY idx').all();
    for (const r of back) expect(JSON.parse(r.keys)).toEqual(keys[r.idx]);
    const stored = db.prepare<[], { idx: number; kind: string; t: string; time: number; tt: string }>('SELECT e.idx idx, k.name kind, typeof(k.name) t, e.integrated_time time, typeof(e.integrated_time) tt FROM entries e JOIN kinds k ON k.id = e.kind ORDER BY e.idx').all();
    expect(stored).toEqual(entries.map((e) => ({ idx: e.index, kind: e.kind, t: 'text', time: e.integratedTime, tt: 'integer' })));
    // Each kind's name is stored once (kinds), an entry names it by number.
    expect(db.prepare('SELECT COUNT(*) FROM kinds').pluck().get()).toBe(new Set(entries.map((e) => e.kind)).size);
    expect(db.prepare('SELECT DISTINCT typeof(kind) FROM entries').pluck().all()).toEqual(['integer']);
  });

  it('stores no key row for an entry whose keys are derived from its body (derivedKeys), and the others\' as before', async () => {
    const { db, writer } = setup();
    const b = batch(0, 6);
    const keys = b.entries.map((e) => [`k:${e.index}`]);
    // Entries 1 and 4 are flagged: their keys are not even sent to the thread.
    await writer.write({ ...b, keys, derivedKeys: b.entries.map((e) => e.index === 1 || e.index === 4) });
    await writer.write({ ...batch(6, 2), keys: [['k:6'], ['k:7']] }); // no flags at all: every row
    const rows = db.prepare<[], { idx: number; keys: string }>('SELECT idx, keys FROM entry_keys ORDER BY idx').all();
    expect(rows).toEqual([0, 2, 3, 5, 6, 7].map((i) => ({ idx: i, keys: JSON.stringify([`k:${i}`]) })));
    expect(new Tables(db).count()).toBe(8);
  });

  it('reuses the memory of stored batches without leaking one batch into the next', async () => {
    const { db, writer } = setup();
    const spare = () => (writer as unknown as { spare: ArrayBuffer[] }).spare.length;
    const written: BatchWrite[] = [];
    let size = 0;
    // Large, small, large again: later batches land in buffers that held longer ones.
    for (const [n, salt] of [[300, 'a'], [5, 'b'], [1, 'c'], [280, 'd'], [2, 'e']] as const) {
      const b = batch(size, n, salt);
      written.push(b);
      await writer.write(b);
      size += n;
      expect(spare()).toBeGreaterThan(0);
    }
    const entries = new Tables(db);
    expect(entries.count()).toBe(size);
    for (const e of written.flatMap((b) => b.entries)) {
      const got = entries.entry(e.index)!;
      expect(Buffer.compare(got.body, e.body), `body ${e.index}`).toBe(0);
      expect(Buffer.compare(got.leafHash, e.leafHash)).toBe(0);
      expect(got.entryTimestamp && Buffer.from(got.entryTimestamp).toString('hex')).toBe(e.entryTimestamp && Buffer.from(e.entryTimestamp).toString('hex'));
    }
    const cp = new Tables(db).latest()!;
    expect(Buffer.compare(cp.rootHash, h(`root ${size}`))).toBe(0);
    expect(new Tables(db).tile(0, 0)).toEqual(Buffer.from(written[4].tiles[0].data));
  });

  it('refuses every batch built on a failed one, then takes one that continues what is committed', async () => {
    const { db, writer } = setup();
    await writer.write(batch(0, 4));
    // Fails inside its transaction: entry index 2 is taken.
    const bad = { ...batch(4, 2), entries: batch(4, 2).entries.map((e) => ({ ...e, index: e.index - 2 })) };
    const results = await Promise.allSettled([writer.write(bad), writer.write(batch(6, 2)), writer.write(batch(8, 1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.code).toMatch(/SQLITE_CONSTRAINT/);
    expect((results[1] as PromiseRejectedResult).reason.code).toBe('CAIRN_STALE_BATCH');
    expect(new Tables(db).count()).toBe(4);
    expect(new Tables(db).latest()!.size).toBe(4);
    await writer.write(batch(4, 2, 'again'));
    expect(new Tables(db).count()).toBe(6);
  });

  it('fails every write once its thread is gone, and says so once', async () => {
    const { writer } = setup();
    const deaths: Error[] = [];
    writer.onDeath = (e) => deaths.push(e);
    await writer.write(batch(0, 1));
    // (Terminated while idle: a thread terminated inside an SQLite call takes the process down.)
    await (writer as unknown as { thread: { kill(): Promise<number> } }).thread.kill();
    await new Promise((r) => setTimeout(r, 20));
    await expect(writer.write(batch(1, 1))).rejects.toThrow(/log writer/);
    await expect(writer.write(batch(1, 1))).rejects.toMatchObject({ code: 'SQLITE_CANTOPEN' });
    expect(deaths).toHaveLength(1);
  });

  it('reports no death when it is closed', async () => {
    const { writer } = setup();
    const deaths: Error[] = [];
    writer.onDeath = (e) => deaths.push(e);
    await writer.write(batch(0, 1));
    await writer.close();
    expect(deaths).toEqual([]);
    await expect(writer.write(batch(1, 1))).rejects.toThrow(/log writer/);
  });

  it('runs pragmas on its own connection', async () => {
    const { db, writer } = setup();
    expect(await writer.pragma('synchronous')).toBe(2); // FULL
    // Its own small page cache (an appender's working set), not the readers' 64 MiB.
    expect(await writer.pragma('cache_size')).toBe(-8192);
    expect(db.pragma('cache_size', { simple: true })).toBe(-65536);
    await writer.pragma('query_only = 1');
    await expect(writer.write(batch(0, 1))).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    expect(new Tables(db).count()).toBe(0);
  });
});
