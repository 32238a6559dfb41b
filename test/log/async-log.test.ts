/**
 * The log service over a driver whose every read is a promise (test/helpers/async-storage.ts):
 * what Log.openOn runs on PostgreSQL, here over SQLite so it needs no server. The same scenarios
 * as log.test.ts: appends, dedup, roots and proofs across tile boundaries, search, restart, heartbeat.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { auditDatabase, isPromise, type AnyLog, type BatchStats } from '../../src/log/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { c2spVerifier, openCheckpoint, rekorVerifier } from '../../src/note/index.js';
import { openAsyncLog } from '../helpers/async-storage.js';
import { referenceRoot } from '../helpers/reference-root.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';

const open: AnyLog[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close().catch(() => {});
});

async function openLog(dir = tempDir(), cfg: Partial<Parameters<typeof openAsyncLog>[1]> = {}) {
  const o = await openAsyncLog(dir, { origin: TEST_ORIGIN, heartbeatMs: 0, ...cfg });
  open.push(o.log);
  return { ...o, dir };
}

async function fill(log: AnyLog, n: number, salt = ''): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => log.append({ body: body(i, salt), kind: 'test', indexKeys: [`k:${i % 7}`] })));
}

/** checkLog re-verifies the log as a client would: bodies hash to leaves, leaves to the signed root. */
async function checkLog(log: AnyLog): Promise<void> {
  const cp = log.latest();
  const entries = await log.entries(0, cp.size);
  expect(entries.length).toBe(cp.size);
  for (const [i, e] of entries.entries()) {
    expect(e.index).toBe(i);
    expect(Buffer.from(leafHash(e.body))).toEqual(Buffer.from(e.leafHash));
  }
  expect(Buffer.from(referenceRoot(entries.map((e) => e.leafHash)))).toEqual(Buffer.from(cp.rootHash));
  const pem = log.key.publicKeyPem;
  for (const [note, v] of [[cp.c2sp, c2spVerifier(log.origin, pem)], [cp.rekor, rekorVerifier(log.origin, pem)]] as const) {
    expect(openCheckpoint(note, [v]).checkpoint.size).toBe(cp.size);
  }
}

describe('Log over an async driver', () => {
  it('answers reads with promises, and appends with receipts whose proofs verify', async () => {
    const batches: BatchStats[] = [];
    const { log } = await openLog(undefined, { maxBatch: 64, onBatch: (s) => batches.push(s) });
    const receipts = await Promise.all(Array.from({ length: 500 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
    expect(new Set(receipts.map((r) => r.entry.index)).size).toBe(500);
    expect(Math.max(...batches.map((b) => b.size))).toBe(64);
    for (const r of receipts) verifyInclusion(r.entry.leafHash, r.entry.index, r.checkpoint.size, r.proof, r.checkpoint.rootHash);
    expect(log.size).toBe(500);
    expect(isPromise(log.entryByIndex(0))).toBe(true);
    await checkLog(log);
  });

  it('refuses duplicates within a batch, across batches and of committed leaves', async () => {
    const { log } = await openLog();
    const [a, b, c] = await Promise.allSettled([7, 8, 7].map((i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    expect(c.status === 'rejected' && isCairnError(c.reason, 'DUPLICATE') && c.reason.details.index).toBe(0);
    // Batches in flight: the second batch's lookups must see the first one's staged leaves.
    const again = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => log.append({ body: body(100 + (i % 20)), kind: 'test', indexKeys: [] })));
    expect(again.filter((r) => r.status === 'fulfilled').length).toBe(20);
    expect(again.filter((r) => r.status === 'rejected' && isCairnError(r.reason, 'DUPLICATE')).length).toBe(20);
    const late = await log.append({ body: body(7), kind: 'test', indexKeys: [] }).catch((e: unknown) => e);
    expect(isCairnError(late, 'DUPLICATE') && late.details.index).toBe(0);
    expect(log.size).toBe(22);
    expect((await log.entryByLeafHash(leafHash(body(8))))?.index).toBe(1);
    expect(await log.entryByLeafHash(leafHash(body(9)))).toBeUndefined();
    await checkLog(log);
  });

  it('serves roots, inclusion and consistency proofs, tiles and checkpoints for every size across tile boundaries', async () => {
    const { log, storage } = await openLog(undefined, { maxBatch: 37, tileCacheSize: 1 });
    await fill(log, 600);
    const leaves = Array.from({ length: 600 }, (_, i) => leafHash(body(i)));
    const before = storage.reads;
    for (const size of [1, 2, 3, 255, 256, 257, 511, 512, 513, 599, 600]) {
      const root = await log.rootAt(size);
      expect(Buffer.from(root)).toEqual(Buffer.from(referenceRoot(leaves.slice(0, size))));
      for (const i of [0, size - 1, Math.floor(size / 2)]) verifyInclusion(leaves[i], i, size, await log.inclusionProof(i, size), root);
      for (const m of [0, 1, Math.floor(size / 3), size]) verifyConsistency(m, size, await log.consistencyProof(m, size), await log.rootAt(m), root);
    }
    // A cache of one tile cannot hold them all: proofs went to the driver, and still verified.
    expect(storage.reads).toBeGreaterThan(before);
    for (let s = 37; s <= 600; s += 37) expect(Buffer.from((await log.checkpointAt(s))!.rootHash)).toEqual(Buffer.from(await log.rootAt(s)));
    expect(Buffer.from(await log.tile(0, 1, 256))).toEqual(Buffer.concat(leaves.slice(256, 512)));
    expect(Buffer.from(await log.tile(0, 2, 88))).toEqual(Buffer.concat(leaves.slice(512, 600)));
    expect(() => log.rootAt(601)).toThrow(/not between/);
  });

  it('finds entries by search key', async () => {
    const { log } = await openLog();
    await fill(log, 30);
    const hits = await log.search('k:3', 100);
    expect(hits).toEqual([3, 10, 17, 24]);
    for (const i of hits) expect(JSON.parse(Buffer.from((await log.entryByIndex(i))!.body).toString()).i % 7).toBe(3);
  });

  it('reopens with the same tree and keeps appending; verify-db passes', async () => {
    const a = await openLog();
    await fill(a.log, 300);
    const root = a.log.latest().rootHash;
    await a.log.close();
    const b = await openLog(a.dir);
    expect(b.log.size).toBe(300);
    expect(Buffer.from(await b.log.rootAt(300))).toEqual(Buffer.from(root));
    await fill(b.log, 10, 'more');
    await checkLog(b.log);
    await b.log.close();
    expect(auditDatabase(a.dir).problem).toBeUndefined();
  });

  it('re-signs an idle checkpoint on the heartbeat without changing size or root', async () => {
    let now = 1_700_000_000_000;
    const { log } = await openLog(undefined, { heartbeatMs: 50, now: () => now });
    await fill(log, 3);
    const before = log.latest();
    now += 60;
    await new Promise((r) => setTimeout(r, 150));
    const after = log.latest();
    expect(after.signedAt).toBe(now);
    expect(after.size).toBe(before.size);
    expect(Buffer.from(after.rootHash)).toEqual(Buffer.from(before.rootHash));
    expect((await log.checkpointAt(3))!.signedAt).toBe(now);
    await checkLog(log);
  });

  it('reads the entries asked for by index in one turn with one storage read (entryByIndexGathered)', async () => {
    const { log, storage } = await openLog();
    await fill(log, 100);
    const before = storage.reads;
    const asked = [0, 99, 42, 42, 100, ...Array.from({ length: 40 }, (_, i) => i * 2)];
    const got = await Promise.all(asked.map((i) => log.entryByIndexGathered(i)));
    expect(storage.reads - before).toBe(1);
    for (const [k, i] of asked.entries()) {
      if (i >= 100) expect(got[k]).toBeUndefined();
      else expect(Buffer.from(got[k]!.body)).toEqual(Buffer.from(body(i)));
    }
  });
});
