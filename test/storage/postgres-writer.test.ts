/**
 * The PostgreSQL driver's writing connection is shared by batch commits, checkpoint re-signing and
 * the readiness probe (problem(), behind GET /readyz). One pg.Client runs one transaction at a time
 * whatever its callers do, so their transactions must take turns: a probe's ROLLBACK in the middle
 * of a batch rolled back the batch's head update while its entries and checkpoint, sent after,
 * committed on their own (seen as "database holds 9 entries but the latest checkpoint is for 10").
 * And a node stalled inside a batch (SIGSTOP) holds the head row only until the server ends its
 * idle transaction at the lease, so the next leader can bump the epoch.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT } from '../../src/merkle/index.js';
import { PostgresStorage } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';

const url = await testDatabase();
const sha = (s: string) => createHash('sha256').update(s).digest();

describe.skipIf(!url)('PostgreSQL writing connection', () => {
  it('keeps each batch one transaction while readiness probes and re-signs run beside it', async () => {
    const schema = testSchema();
    const s = await PostgresStorage.open({ url: url!, schema });
    await s.create({ origin: 'writer.test/log', publicKeyPem: 'k', treeId: '1' }, { size: 0, rootHash: EMPTY_ROOT, signedAt: 0, c2sp: 'c0\n', rekor: 'r0\n' });
    let stop = false;
    const problems: (string | undefined)[] = [];
    const probes = (async () => {
      while (!stop) problems.push(await s.problem());
    })();
    const resigns = (async () => {
      while (!stop) await s.resign({ size: 0, rootHash: EMPTY_ROOT, signedAt: 1, c2sp: 'c0\n', rekor: 'r0\n' });
    })();
    try {
      for (let size = 0; size < 60; size++) {
        const leaf = sha(`leaf ${size}`);
        s.stage(size, leaf, []);
        await s.commit({
          oldSize: size,
          entries: [{ index: size, leafHash: leaf, body: Buffer.from(`entry ${size}`), kind: 'test', integratedTime: 1 }],
          keys: [[]],
          tiles: [{ level: 0, index: 0, data: sha(`tile ${size}`) }],
          checkpoint: { size: size + 1, rootHash: sha(`root ${size + 1}`), signedAt: size, c2sp: `c${size + 1}\n`, rekor: `r${size + 1}\n` },
        });
      }
    } finally {
      stop = true;
      await Promise.all([probes, resigns]).catch(() => {});
    }
    expect(problems.filter((p) => p !== undefined)).toEqual([]);
    expect(problems.length).toBeGreaterThan(10);
    const c = new pg.Client(url);
    await c.connect();
    const r = (await c.query<{ head: string; entries: string; cp: string }>(`SELECT (SELECT size FROM ${schema}.head) AS head, (SELECT count(*) FROM ${schema}.entries) AS entries, (SELECT max(size) FROM ${schema}.checkpoints) AS cp`)).rows[0];
    await c.end();
    expect([Number(r.head), Number(r.entries), Number(r.cp)]).toEqual([60, 60, 60]);
    await s.close();
  });

  it('commits batches synchronously whatever the queue did: the asynchronous commit of an enqueue stays inside its transaction', async () => {
    const schema = testSchema();
    const s = await PostgresStorage.open({ url: url!, schema, poolSize: 2 });
    await s.create({ origin: 'writer.test/log', publicKeyPem: 'k', treeId: '1' }, { size: 0, rootHash: EMPTY_ROOT, signedAt: 0, c2sp: 'c0\n', rekor: 'r0\n' });
    const queued = await Promise.all(Array.from({ length: 20 }, (_, i) => s.enqueue({ leafHash: sha(`q ${i}`), body: Buffer.from(`q ${i}`), kind: 'test', keys: [], signEntryTimestamp: false })));
    expect(queued.every((r) => r.queued)).toBe(true);
    expect(await s.queueDepth()).toBe(20);
    // Every connection the enqueues used, and the batches' own, is back to the node's setting.
    const pool = (s as unknown as { pool: pg.Pool }).pool;
    const held = await Promise.all([pool.connect(), pool.connect()]);
    for (const c of held) expect((await c.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
    held.forEach((c) => c.release());
    const w = (s as unknown as { writer: pg.Client }).writer;
    expect((await w.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
    await s.close();
  });

  it('a node stalled inside a batch (paused) holds the head row no longer than its lease', async () => {
    const schema = testSchema();
    const a = await PostgresStorage.open({ url: url!, schema, leaseMs: 600 });
    await a.create({ origin: 'writer.test/log', publicKeyPem: 'k', treeId: '1' }, { size: 0, rootHash: EMPTY_ROOT, signedAt: 0, c2sp: 'c0\n', rekor: 'r0\n' });
    // As if the process stopped right after its batch locked the head row: 4 s of silence inside the transaction.
    const w = (a as unknown as { writer: pg.Client }).writer;
    const query = w.query.bind(w) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
    (w as unknown as { query: typeof query }).query = async (text, values) => {
      const r = await query(text, values);
      if (text.startsWith('UPDATE head SET size')) await new Promise((res) => setTimeout(res, 4000));
      return r;
    };
    const leaf = sha('stalled');
    a.stage(0, leaf, []);
    const stalled = a.commit({
      oldSize: 0,
      entries: [{ index: 0, leafHash: leaf, body: Buffer.from('stalled'), kind: 'test', integratedTime: 1 }],
      keys: [[]],
      tiles: [{ level: 0, index: 0, data: leaf }],
      checkpoint: { size: 1, rootHash: leaf, signedAt: 1, c2sp: 'c1\n', rekor: 'r1\n' },
    });
    stalled.catch(() => {});
    await new Promise((res) => setTimeout(res, 200));
    // Its lead lock goes (as a paused leader's session is ended at idle_session_timeout); the next
    // leader's epoch bump needs the head row, which the stalled batch holds until the server ends it.
    (a as unknown as { term: { abandon(): void } }).term.abandon();
    const b = await PostgresStorage.open({ url: url!, schema, lead: false, leaseMs: 600 });
    const t0 = Date.now();
    expect(await b.campaign(10_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
    await expect(stalled).rejects.toThrow();
    expect(await b.count()).toBe(0);
    await b.close();
    await a.close();
  });
});
