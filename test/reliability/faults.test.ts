import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { isCairnError } from '../../src/errors.js';
import { DB_FILE, Log, auditDatabase, type Receipt } from '../../src/log/index.js';
import { verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { TEST_ORIGIN, body, checkLog, openTestLog, tempDir } from '../helpers/test-log.js';
import { dbOf, replaceBody, sqliteOf, storedBody } from '../helpers/sqlite.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Faults are injected where SQLite itself sees them (root ignores chmod), on both connections
 * that write: the writer thread's (batches) and the main one (heartbeat, readiness probe).
 */
const onBoth = (log: Log, pragma: string) => sqliteOf(log).pragma(pragma);
const diskFull = async (log: Log) => onBoth(log, `max_page_count = ${await onBoth(log, 'page_count')}`);
const diskFreed = (log: Log) => onBoth(log, 'max_page_count = 1073741823');
const readOnly = (log: Log) => onBoth(log, 'query_only = 1');
const writable = (log: Log) => onBoth(log, 'query_only = 0');

/** bigBody makes an entry large enough that a batch of them needs new pages. */
const bigBody = (i: number, salt: string) => body(i, salt + 'p'.repeat(3000));

async function fill(log: Log, n: number, salt: string): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => log.append({ body: body(i, salt), kind: 'test', indexKeys: [`k:${salt}:${i}`] })));
}

/** snapshot captures what a reader sees, to compare after the fault. */
function snapshot(log: Log) {
  const cp = log.latest();
  return { size: cp.size, root: hex(cp.rootHash), bodies: Array.from({ length: cp.size }, (_, i) => hex(log.entryByIndex(i)!.body)) };
}

/** readsWork exercises every read path, in process and over HTTP. */
async function readsWork(log: Log): Promise<void> {
  const cp = log.latest();
  for (const i of [0, cp.size - 1]) {
    const e = log.entryByIndex(i)!;
    verifyInclusion(e.leafHash, i, cp.size, log.inclusionProof(i, cp.size), cp.rootHash);
    expect(log.entryByLeafHash(e.leafHash)?.index).toBe(i);
  }
  verifyConsistency(1, cp.size, log.consistencyProof(1, cp.size), log.rootAt(1), cp.rootHash);
  const app = createApp(log, { publicUrl: 'http://127.0.0.1' });
  const res = await request(app).get('/checkpoint');
  expect(res.status).toBe(200);
  expect(res.text).toContain(`\n${cp.size}\n`);
}

describe('storage faults', () => {
  for (const fault of [
    { name: 'disk full (SQLITE_FULL)', inject: diskFull, clear: diskFreed, message: /full/ },
    { name: 'read-only database (SQLITE_READONLY)', inject: readOnly, clear: writable, message: /read-?only/ },
  ]) {
    it(`${fault.name}: writes fail UNAVAILABLE naming the cause, reads work, nothing changes, writes resume`, async () => {
      const dir = tempDir();
      const log = openTestLog({ dataDir: dir, maxBatch: 8 });
      await fill(log, 40, 'before');
      const before = snapshot(log);
      await fault.inject(log);

      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => log.append({ body: bigBody(i, 'during'), kind: 'test', indexKeys: [`k:during:${i}`] })));
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const e = (r as PromiseRejectedResult).reason;
        expect(isCairnError(e, 'UNAVAILABLE')).toBe(true);
        expect(e.message).toMatch(/storage is not writable/);
        expect(e.message).toMatch(fault.message);
      }
      expect(snapshot(log)).toEqual(before);
      await readsWork(log);

      await fault.clear(log);
      // The entries refused during the fault go in now, exactly once each.
      const after = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ body: bigBody(i, 'during'), kind: 'test', indexKeys: [`k:during:${i}`] })));
      expect(new Set(after.map((r) => r.entry.index)).size).toBe(50);
      expect(log.size).toBe(90);
      const cp = log.latest();
      verifyConsistency(before.size, cp.size, log.consistencyProof(before.size, cp.size), Buffer.from(before.root, 'hex'), cp.rootHash);
      checkLog(log);
      await readsWork(log);
      await log.close();
      expect(auditDatabase(dir)).toEqual({ size: 90, checkpointsChecked: expect.any(Number) });
      const reopened = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
      expect(reopened.size).toBe(90);
      await reopened.close();
    });
  }

  for (const fault of [
    { name: 'disk full', inject: diskFull, clear: diskFreed, message: /full/ },
    { name: 'read-only', inject: readOnly, clear: writable, message: /read-?only/ },
  ]) {
    it(`over HTTP, ${fault.name}: POST answers 503 naming the cause, every read answers 200, writes resume`, async () => {
      const dir = tempDir();
      const log = openTestLog({ dataDir: dir });
      const app = createApp(log, { publicUrl: 'http://127.0.0.1' });
      const signer = newSigner();
      const post = (e: unknown) => request(app).post('/api/v1/log/entries').send(e as object);
      for (let i = 0; i < 5; i++) expect((await post(hashedrekord(signer))).status).toBe(201);
      const first = await request(app).get('/api/v1/log/entries?logIndex=0');
      const uuid = Object.keys(first.body)[0];
      await fault.inject(log);
      // A full disk still takes what fits in free space inside existing pages: write until it does not.
      let fitted = 0;
      while ((await post(hashedrekord(signer))).status === 201 && fitted < 500) fitted++;
      expect(fitted).toBeLessThan(500);
      const before = snapshot(log);

      const refused = [hashedrekord(signer), hashedrekord(signer)];
      for (const e of refused) {
        const res = await post(e);
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.body.code).toBe(503);
        expect(res.body.message).toMatch(fault.message);
      }
      expect(snapshot(log)).toEqual(before);
      const reads = [
        '/api/v1/log',
        '/api/v1/log/publicKey',
        '/api/v1/log/entries?logIndex=4',
        `/api/v1/log/entries/${uuid}`,
        '/api/v1/log/proof?firstSize=2&lastSize=5',
        '/checkpoint',
        '/tile/0/000.p/5',
        '/tile/entries/000.p/5',
      ];
      for (const path of reads) expect((await request(app).get(path)).status, path).toBe(200);
      const retrieved = await request(app).post('/api/v1/log/entries/retrieve').send({ logIndexes: [0, 1, 2, 3, 4] });
      expect(retrieved.status).toBe(200);
      expect(retrieved.body).toHaveLength(5);
      expect((await request(app).get('/healthz')).status).toBe(200);

      await fault.clear(log);
      for (const e of refused) expect((await post(e)).status).toBe(201);
      expect(log.size).toBe(before.size + 2);
      checkLog(log);
      await log.close();
      expect(auditDatabase(dir).problem).toBeUndefined();
    });
  }

  it('closing on read-only storage still closes the database, loses nothing, and the log reopens', async () => {
    const dir = tempDir();
    const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    await fill(log, 7, 'close');
    const before = snapshot(log);
    await readOnly(log);
    await log.close(); // the final re-sign fails; the checkpoint stored with the last batch stands
    expect(dbOf(log).open).toBe(false);
    const reopened = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    expect(snapshot(reopened)).toEqual(before);
    await reopened.close();
    expect(auditDatabase(dir).problem).toBeUndefined();
  });

  it('disk filling up mid-stream: every acknowledged entry stays, and the in-memory tiles match the disk', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir, maxBatch: 4 });
    await fill(log, 30, 'base');
    // Room for a few batches only: the stream runs into SQLITE_FULL part way.
    await onBoth(log, `max_page_count = ${((await onBoth(log, 'page_count')) as number) + 12}`);
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => log.append({ body: bigBody(i, 'stream'), kind: 'test', indexKeys: [] })));
    const ok = results.filter((r): r is PromiseFulfilledResult<Receipt> => r.status === 'fulfilled').map((r) => r.value);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(ok.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect((r as PromiseRejectedResult).reason.code).toBe('UNAVAILABLE');
    expect(log.size).toBe(30 + ok.length);
    await diskFreed(log);
    // New batches build on the cached right-edge tiles: a root computed from a stale cache would
    // fail checkLog's independent recomputation.
    await fill(log, 300, 'afterwards');
    checkLog(log);
    for (const r of ok) {
      const e = log.entryByIndex(r.entry.index)!;
      expect(hex(e.body)).toBe(hex(r.entry.body));
      verifyInclusion(e.leafHash, e.index, log.size, log.inclusionProof(e.index, log.size), log.latest().rootHash);
    }
    await log.close();
    expect(auditDatabase(dir).problem).toBeUndefined();
  });

  it('a heartbeat on read-only storage fails quietly and re-signs once writable again', async () => {
    let t = 1_000_000;
    const log = openTestLog({ heartbeatMs: 100, now: () => t });
    await fill(log, 3, 'hb');
    const first = log.latest();
    await readOnly(log);
    await expect(log.resign()).rejects.toThrow(/readonly/);
    t += 10_000;
    await new Promise((r) => setTimeout(r, 250));
    expect(log.latest().signedAt).toBe(first.signedAt);
    await writable(log);
    await new Promise((r) => setTimeout(r, 250));
    expect(log.latest().signedAt).toBe(t);
    expect(hex(log.latest().rootHash)).toBe(hex(first.rootHash));
    expect(log.checkpointAt(3)?.signedAt).toBe(t);
  });
});

describe('corruption is refused at start and named by verify-db', () => {
  async function makeLog(n: number): Promise<{ dir: string; leaves: Uint8Array[] }> {
    const dir = tempDir();
    const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    await fill(log, n, 'c');
    const leaves = Array.from({ length: n }, (_, i) => log.entryByIndex(i)!.leafHash);
    await log.close(); // checkpoints the WAL into the main file
    return { dir, leaves };
  }

  function expectRefused(dir: string, message: RegExp): void {
    let err: unknown;
    try {
      Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err, 'CORRUPT')).toBe(true);
    expect((err as Error).message).toMatch(message);
  }

  /** flipInFile flips a byte inside every copy of hashes a‖b in the raw file (live tile and dead copies). */
  function flipInFile(dir: string, a: Uint8Array, b: Uint8Array): void {
    const file = join(dir, DB_FILE);
    const raw = readFileSync(file);
    const needle = Buffer.concat([a, b]);
    let at = raw.indexOf(needle);
    expect(at).toBeGreaterThan(0);
    for (; at >= 0; at = raw.indexOf(needle, at + 1)) raw[at + 5] ^= 0xff;
    writeFileSync(file, raw);
  }

  it('flipped bytes in the right-edge tile (in the raw file) are refused at start', async () => {
    const { dir, leaves } = await makeLog(300);
    // Hashes 260 and 261 side by side exist only inside tile 0/1, the partial right edge.
    flipInFile(dir, leaves[260], leaves[261]);
    expectRefused(dir, /tiles do not hash/);
    expect(auditDatabase(dir).problem).toBe('tile 0/1 differs at hash 4 (entry 260)');
  });

  it('flipped bytes in a full tile are named by verify-db', async () => {
    const { dir, leaves } = await makeLog(300);
    flipInFile(dir, leaves[3], leaves[4]);
    expect(auditDatabase(dir).problem).toBe('tile 0/0 differs at hash 3 (entry 3)');
  });

  it('a flipped byte in a stored entry body', async () => {
    const { dir } = await makeLog(20);
    const db = new Database(join(dir, DB_FILE));
    const b = storedBody(db, 19);
    b[3] ^= 1;
    replaceBody(db, 19, b);
    db.close();
    expectRefused(dir, /entry 19/);
    expect(auditDatabase(dir).problem).toBe('entry 19: stored body does not hash to its leaf hash');
  });

  it('a damaged b-tree page, including one the tree rebuild never reads', async () => {
    const { dir } = await makeLog(600);
    const file = join(dir, DB_FILE);
    const good = readFileSync(file);
    const db = new Database(file, { readonly: true });
    const pages = db.prepare<[], { name: string; rootpage: number }>("SELECT name, rootpage FROM sqlite_schema WHERE name IN ('entries', 'entry_keys', 'tiles', 'checkpoints')").all();
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    expect(pages).toHaveLength(4);
    for (const { name, rootpage } of pages) {
      const raw = Buffer.from(good);
      raw.fill(0xa5, (rootpage - 1) * pageSize, (rootpage - 1) * pageSize + 64);
      writeFileSync(file, raw);
      expectRefused(dir, /damaged|malformed|cannot rebuild/);
      const problem = auditDatabase(dir).problem;
      expect(problem, name).toBeDefined();
      expect(problem, name).toMatch(new RegExp(`SQLite quick_check: .*${name}|damaged`));
    }
    writeFileSync(file, good);
    expect(auditDatabase(dir).problem).toBeUndefined();
  });

  it('cairn verify-db exits 1 naming the problem', async () => {
    const { dir, leaves } = await makeLog(10);
    const run = () => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify-db', '--data', dir], { encoding: 'utf8', timeout: 45_000 });
    expect(auditDatabase(dir).problem).toBeUndefined();
    const db = new Database(join(dir, DB_FILE));
    const tile = Buffer.concat(leaves);
    tile[7 * 32] ^= 1;
    db.prepare('UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = 0').run(tile);
    db.close();
    const bad = run();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/FAILED.*tile 0\/0 differs at hash 7 \(entry 7\)/);
  });
});
