import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { DB_FILE, KEY_FILE, Log, auditDatabase, type BatchStats } from '../../src/log/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { generateKey } from '../../src/note/index.js';
import { TEST_ORIGIN, body, checkLog, openTestLog, tempDir } from '../helpers/test-log.js';
import { referenceRoot } from '../helpers/reference-root.js';
import { replaceBody, sqliteOf } from '../helpers/sqlite.js';

async function fill(log: Log, n: number, salt = ''): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => log.append({ body: body(i, salt), kind: 'test', indexKeys: [`k:${i % 7}`] })));
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(isCairnError(e) ? e.code : e).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, got success`);
}

describe('Log', () => {
  it('starts empty with a signed checkpoint of size 0', () => {
    const log = openTestLog();
    expect(log.size).toBe(0);
    checkLog(log);
  });

  it('appends one entry and returns a receipt whose proof verifies against its checkpoint', async () => {
    const log = openTestLog();
    const r = await log.append({ body: body(1), kind: 'test', indexKeys: [] });
    expect(r.entry.index).toBe(0);
    expect(r.checkpoint.size).toBe(1);
    expect(Buffer.from(r.entry.leafHash)).toEqual(Buffer.from(leafHash(body(1))));
    verifyInclusion(r.entry.leafHash, 0, 1, r.proof, r.checkpoint.rootHash);
    checkLog(log);
  });

  it('group-commits concurrent submissions into growing batches with unique indexes', async () => {
    const batches: BatchStats[] = [];
    const log = openTestLog({ onBatch: (s) => batches.push(s), maxBatch: 256 });
    const receipts = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
    expect(new Set(receipts.map((r) => r.entry.index)).size).toBe(1000);
    expect(Math.max(...batches.map((b) => b.size))).toBe(256);
    expect(batches.length).toBeLessThan(10);
    for (const r of receipts) verifyInclusion(r.entry.leafHash, r.entry.index, r.checkpoint.size, r.proof, r.checkpoint.rootHash);
    expect(log.size).toBe(1000);
    checkLog(log);
  });

  it('integrates a lone entry at once, without waiting for a batch to fill', async () => {
    const batches: BatchStats[] = [];
    const log = openTestLog({ onBatch: (s) => batches.push(s) });
    for (let i = 0; i < 5; i++) await log.append({ body: body(i), kind: 'test', indexKeys: [] });
    expect(batches.map((b) => b.size)).toEqual([1, 1, 1, 1, 1]);
  });

  it('refuses duplicates within a batch and across batches, never adding a second leaf', async () => {
    const log = openTestLog();
    const [a, b] = await Promise.allSettled([
      log.append({ body: body(7), kind: 'test', indexKeys: [] }),
      log.append({ body: body(7), kind: 'test', indexKeys: [] }),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && isCairnError(b.reason, 'DUPLICATE') && b.reason.details.index).toBe(0);
    await expectCode(log.append({ body: body(7), kind: 'test', indexKeys: [] }), 'DUPLICATE');
    expect(log.size).toBe(1);
  });

  it('serves roots and proofs for every size across tile boundaries', async () => {
    const log = openTestLog({ maxBatch: 37 });
    await fill(log, 600);
    const leaves = Array.from({ length: 600 }, (_, i) => leafHash(body(i)));
    for (const size of [1, 2, 3, 255, 256, 257, 511, 512, 513, 599, 600]) {
      const root = log.rootAt(size);
      expect(Buffer.from(root)).toEqual(Buffer.from(referenceRoot(leaves.slice(0, size))));
      for (const i of [0, size - 1, Math.floor(size / 2)]) verifyInclusion(leaves[i], i, size, log.inclusionProof(i, size), root);
      for (const m of [0, 1, Math.floor(size / 3), size]) verifyConsistency(m, size, log.consistencyProof(m, size), log.rootAt(m), root);
    }
    // Every checkpoint the log signed along the way still matches the tree.
    for (let s = 37; s <= 600; s += 37) expect(Buffer.from(log.checkpointAt(s)!.rootHash)).toEqual(Buffer.from(log.rootAt(s)));
    await expectCode(() => log.rootAt(601), 'BAD_REQUEST');
    await expectCode(() => log.inclusionProof(600, 600), 'BAD_REQUEST');
  });

  it('finds entries by search key', async () => {
    const log = openTestLog();
    await fill(log, 30);
    const hits = log.search('k:3', 100);
    expect(hits.length).toBe(4); // i = 3, 10, 17, 24
    for (const i of hits) expect(JSON.parse(Buffer.from(log.entryByIndex(i)!.body).toString()).i % 7).toBe(3);
    expect(log.search('k:3', 2).length).toBe(2);
  });

  it('finds entries by leaf hash and search key, and refuses duplicates, whether index.db or memory holds them', async () => {
    const dir = tempDir();
    // Runs of 40 only when asked: what index.db holds is up to the test.
    const index = { minRun: 1e9, maxRun: 40 };
    const a = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0, maxBatch: 16, index });
    await fill(a, 100);
    const check = async (log: Log) => {
      for (let i = 0; i < 100; i++) {
        expect(log.entryByLeafHash(leafHash(body(i)))?.index).toBe(i);
        await expectCode(log.append({ body: body(i), kind: 'test', indexKeys: [] }), 'DUPLICATE');
      }
      expect(log.search('k:3', 100)).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 7 === 3));
      expect(log.size).toBe(100);
    };
    await check(a); // all in memory
    await sqliteOf(a).flushIndex(60);
    expect(sqliteOf(a).indexState).toEqual({ indexed: 80, tail: 20 });
    await check(a); // split
    await a.close();
    expect(auditDatabase(dir).problem).toBeUndefined();
    const b = openTestLog({ dataDir: dir, index });
    expect(sqliteOf(b).indexState).toEqual({ indexed: 80, tail: 20 }); // the tail came back from cairn.db
    await check(b);
    await b.flushIndex();
    expect(sqliteOf(b).indexState.tail).toBe(0);
    await check(b); // all in index.db
  });

  it('reopens with the same tree and keeps appending', async () => {
    const dir = tempDir();
    const a = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    await fill(a, 300);
    const root = a.latest().rootHash;
    await a.close();
    const b = openTestLog({ dataDir: dir });
    expect(b.size).toBe(300);
    expect(Buffer.from(b.rootAt(300))).toEqual(Buffer.from(root));
    await fill(b, 10, 'more');
    checkLog(b);
  });

  it('refuses to open a log with another origin or another key', async () => {
    const dir = tempDir();
    await Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 }).close();
    await expectCode(() => Log.open({ dataDir: dir, origin: 'other.example/log', heartbeatMs: 0 }), 'CONFIG');
    const other = join(tempDir(), 'other.pem');
    writeFileSync(other, generateKey('ed25519'), { mode: 0o600 });
    await expectCode(() => Log.open({ dataDir: dir, origin: TEST_ORIGIN, keyFile: other, heartbeatMs: 0 }), 'CONFIG');
  });

  it('refuses a key file readable by others', async () => {
    const dir = tempDir();
    await Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 }).close();
    chmodSync(join(dir, KEY_FILE), 0o644);
    await expectCode(() => Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 }), 'CONFIG');
  });

  it('signs with an ECDSA P-256 key when asked', async () => {
    const log = openTestLog({ keyType: 'ecdsa-p256' });
    await fill(log, 3);
    checkLog(log);
  });

  it('pushes back when the queue is full', async () => {
    const log = openTestLog({ maxQueue: 10 });
    const all = Array.from({ length: 15 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] }));
    const results = await Promise.allSettled(all);
    expect(results.filter((r) => r.status === 'rejected' && isCairnError(r.reason, 'PUSHBACK')).length).toBe(5);
    expect(log.size).toBe(10);
  });

  it('re-signs an idle checkpoint on the heartbeat without changing size or root', async () => {
    let now = 1_700_000_000_000;
    const log = openTestLog({ heartbeatMs: 50, now: () => now, keyType: 'ecdsa-p256' });
    await fill(log, 3);
    const before = log.latest();
    now += 60;
    await new Promise((r) => setTimeout(r, 120));
    const after = log.latest();
    expect(after.signedAt).toBe(now);
    expect(after.size).toBe(before.size);
    expect(Buffer.from(after.rootHash)).toEqual(Buffer.from(before.rootHash));
    expect(log.checkpointAt(3)!.signedAt).toBe(now);
    checkLog(log);
  });

  it('refuses to start on a database whose tiles were altered, and verify-db names the entry', async () => {
    const dir = tempDir();
    const a = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    await fill(a, 300);
    await a.close();
    expect(auditDatabase(dir).problem).toBeUndefined();
    const db = new Database(join(dir, DB_FILE));
    const t = db.prepare('SELECT hashes FROM tiles WHERE level = 0 AND idx = 1').get() as { hashes: Buffer };
    t.hashes[5 * 32 + 3] ^= 1;
    db.prepare('UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = 1').run(t.hashes);
    db.close();
    await expectCode(() => Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 }), 'CORRUPT');
    expect(auditDatabase(dir).problem).toMatch(/tile 0\/1 differs at hash 5 \(entry 261\)/);
  });

  it('refuses to serve from a damaged full tile deep in the tree (the start-up check sees only the right edge)', async () => {
    const dir = tempDir();
    const a = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    await fill(a, 700);
    await a.close();
    const db = new Database(join(dir, DB_FILE));
    const t = db.prepare('SELECT hashes FROM tiles WHERE level = 0 AND idx = 0').get() as { hashes: Buffer };
    t.hashes[7 * 32] ^= 1;
    db.prepare('UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = 0').run(t.hashes);
    db.close();
    const b = openTestLog({ dataDir: dir });
    expect(() => b.inclusionProof(7, 700)).toThrow(expect.objectContaining({ code: 'CORRUPT', message: expect.stringMatching(/tile 0\/0 does not hash/) }));
    expect(() => b.tile(0, 0, 256)).toThrow(expect.objectContaining({ code: 'CORRUPT' })); // what the tile API and export serve
    // Other parts of the tree are still served, and stay correct.
    expect(() => verifyInclusion(leafHash(body(600)), 600, 700, b.inclusionProof(600, 700), b.latest().rootHash)).not.toThrow();
  });

  it('verify-db names an entry whose stored body was changed', async () => {
    const dir = tempDir();
    const a = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    await fill(a, 50);
    await a.close();
    const db = new Database(join(dir, DB_FILE));
    replaceBody(db, 42, Buffer.from('tampered'));
    db.close();
    expect(auditDatabase(dir).problem).toBe('entry 42: stored body does not hash to its leaf hash');
  });

  it('answers the entries asked for by index in one turn together (entryByIndexGathered): each right, none at or past the size', async () => {
    const log = openTestLog();
    await fill(log, 300);
    const asked = [5, 299, 0, 5, 300, 1000, ...Array.from({ length: 70 }, (_, i) => 3 * i)];
    const got = await Promise.all(asked.map((i) => log.entryByIndexGathered(i)));
    for (const [k, i] of asked.entries()) {
      if (i >= 300) expect(got[k]).toBeUndefined();
      else expect(got[k]).toEqual(log.entryByIndex(i));
    }
    // An index is asked for against the committed size: an entry whose batch has not committed is not there yet.
    const appended = log.append({ body: body(300), kind: 'test', indexKeys: [] });
    const early = log.entryByIndexGathered(300);
    expect((await appended).entry.index).toBe(300);
    expect(await early).toBeUndefined();
    expect((await log.entryByIndexGathered(300))!.index).toBe(300);
  });
});
