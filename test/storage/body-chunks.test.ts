import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DB_FILE, Log, auditDatabase } from '../../src/log/index.js';
import { BodyReader, BodyStream, bodyChunkSize, chunkSizeOf } from '../../src/storage/body-stream.js';
import { openDb } from '../../src/storage/db.js';
import { Tables } from '../../src/storage/tables.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';

describe('body stream', () => {
  it('packs one chunk a page, and reads back every body whatever chunks it spans, after a failed transaction too', () => {
    const db = openDb(join(tempDir(), DB_FILE));
    const c = chunkSizeOf(db);
    expect(c).toBe(bodyChunkSize(4096));
    expect(c).toBe(4057);
    const stream = new BodyStream(db, c);
    const reader = new BodyReader(db, c);
    const sizes = [0, 1, c - 1, c, c + 1, 1, 3 * c + 5, 0, 65535, 2, c - 3, 1200, 1118, 17];
    const bodies = sizes.map((n) => new Uint8Array(randomBytes(n)));
    const spans: [number, number][] = [];
    bodies.forEach((b, i) => {
      db.transaction(() => {
        spans.push([stream.append(b), b.length]);
        stream.flush();
      })();
      if (i === 5) {
        // A transaction that fails: its bytes are rolled back and the stream's end with them.
        expect(() =>
          db.transaction(() => {
            stream.append(new Uint8Array(randomBytes(2 * c)));
            stream.flush();
            throw new Error('disk full');
          })(),
        ).toThrow('disk full');
        stream.reload();
      }
    });
    let at = 0;
    for (const [i, [start, len]] of spans.entries()) {
      expect(start, `body ${i}`).toBe(at);
      at += len;
      expect(Buffer.from(reader.read(start, len)).equals(Buffer.from(bodies[i])), `body ${i}`).toBe(true);
    }
    const all = reader.readAll(spans.slice(2, 11));
    all.forEach((b, j) => expect(Buffer.from(b).equals(Buffer.from(bodies[2 + j]))).toBe(true));
    // Spans out of stream order (a body rewritten elsewhere) are each read right too.
    const mixed = [spans[9], spans[3], spans[12]];
    reader.readAll(mixed).forEach((b, j) => expect(Buffer.from(b).equals(Buffer.from(bodies[[9, 3, 12][j]]))).toBe(true));
    // Every chunk but the last is full, and each one is alone on a page with no overflow page.
    const chunks = db.prepare<[], { n: number; len: number }>('SELECT n, length(data) AS len FROM body_chunks ORDER BY n').all();
    expect(chunks.map((r) => r.n)).toEqual(chunks.map((_, i) => i));
    expect(chunks.slice(0, -1).every((r) => r.len === c)).toBe(true);
    expect(chunks.at(-1)!.len).toBe(at - (chunks.length - 1) * c);
    const pages = db.prepare<[], { pagetype: string; n: number }>("SELECT pagetype, COUNT(*) AS n FROM dbstat WHERE name = 'body_chunks' GROUP BY pagetype").all();
    // (The last, short chunk may share the page of the one before it.)
    expect(pages.find((p) => p.pagetype === 'leaf')?.n).toBeGreaterThanOrEqual(chunks.length - 1);
    expect(pages.find((p) => p.pagetype === 'overflow')).toBeUndefined();
    // A missing chunk is damage, named as such.
    db.prepare('DELETE FROM body_chunks WHERE n = 1').run();
    expect(() => reader.read(spans[3][0], spans[3][1])).toThrow(expect.objectContaining({ code: 'SQLITE_CORRUPT' }));
    db.close();
  });
});

/** schema6 rewrites a closed log's cairn.db as schema 6 stored it: bodies and kind names in the entries rows. */
function schema6(path: string): void {
  const db = new Database(path);
  const t = new Tables(db);
  const n = t.count();
  const rows = t.entries(0, n);
  db.exec(`CREATE TABLE entries_old (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, body BLOB NOT NULL, kind TEXT NOT NULL, integrated_time INTEGER NOT NULL, entry_ts BLOB) STRICT`);
  const ins = db.prepare('INSERT INTO entries_old VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const e of rows) ins.run(e.index, e.leafHash, e.body, e.kind, e.integratedTime, e.entryTimestamp ?? null);
  })();
  db.exec(`DROP TABLE entries; DROP TABLE body_chunks; DROP TABLE kinds; DELETE FROM meta WHERE key = 'body_chunk';
    ALTER TABLE entries_old RENAME TO entries; VACUUM;`);
  db.pragma('user_version = 6');
  db.close();
}

describe('migration 007', () => {
  it('moves an existing log\'s bodies into chunks in place, resuming after a kill, and every answer stays byte for byte', async () => {
    const dir = tempDir();
    const N = 9000; // more than one of the migration's transactions (8,192 entries)
    const sized = (i: number) => {
      const b = body(i);
      const pad = i % 97 === 0 ? 20_000 : (i * 37) % 1500;
      return Buffer.concat([b, Buffer.alloc(pad, 0x20)]);
    };
    let log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'OFF', maxBatch: 4096 });
    await Promise.all(Array.from({ length: N }, (_, i) => log.append({ body: sized(i), kind: i % 3 ? 'test' : 'hashedrekord/0.0.1', indexKeys: [`k:${i % 7}`], signEntryTimestamp: i % 2 === 0 })));
    const answers = () => ({
      entries: log.entries(0, N),
      one: [0, 1, 96, 97, 4444, N - 1].map((i) => log.entryByIndex(i)),
      search: log.search('k:3', 2000),
      proof: log.inclusionProof(4444, N),
      root: log.latest().rootHash,
    });
    const before = JSON.stringify(answers(), (_, v) => (v?.type === 'Buffer' || v instanceof Uint8Array ? Buffer.from(v.data ?? v).toString('hex') : v));
    await log.close();
    const path = join(dir, DB_FILE);
    schema6(path);
    expect(() => auditDatabase(dir)).toThrow(/schema version 6, older than this Cairn's 7/);

    // Killed after its first transaction: the next open picks up where it stopped.
    const seen: number[] = [];
    expect(() =>
      openDb(path, {
        onMigrate: (_, done) => {
          seen.push(done);
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    expect(seen).toEqual([8192]);
    const half = new Database(path, { readonly: true });
    expect(half.pragma('user_version', { simple: true })).toBe(6);
    expect(half.prepare('SELECT COUNT(*) FROM entries').pluck().get()).toBe(N - 8192);
    half.close();

    log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    const after = JSON.stringify(answers(), (_, v) => (v?.type === 'Buffer' || v instanceof Uint8Array ? Buffer.from(v.data ?? v).toString('hex') : v));
    expect(after).toBe(before);
    expect(log.entryByIndex(97)!.body.length).toBeGreaterThan(20_000);
    await log.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.prepare("SELECT name FROM pragma_table_info('entries')").pluck().all()).toEqual(['idx', 'leaf_hash', 'kind', 'integrated_time', 'body_at', 'body_len', 'entry_ts']);
    expect(db.prepare('SELECT name FROM kinds ORDER BY id').pluck().all()).toEqual(['hashedrekord/0.0.1', 'test']);
    db.close();
    expect(auditDatabase(dir).problem).toBeUndefined();
  });
});
