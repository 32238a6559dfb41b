/**
 * The shared submission queue on PostgreSQL (SharedQueue, log/shared-queue.ts) with two nodes, each
 * its own PostgresStorage and Log: uploads through either node are answered by that node with a
 * receipt whose proof verifies against its checkpoint, a duplicate gets 409 with the existing
 * index, and a batch cut off mid-commit by pg_terminate_backend of the leader is integrated once,
 * by the next leader, never twice. A fresh database per file; skipped without PostgreSQL.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { Log, QueueFeeder, SharedSubmitter, auditPostgres, loadOrCreateKey, type AnyLog, type Receipt } from '../../src/log/index.js';
import { leafHash, verifyInclusion } from '../../src/merkle/index.js';
import { PostgresStorage } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';

const url = await testDatabase();
const key = loadOrCreateKey(tempDir(), undefined, 'ed25519').key;

interface Node { name: string; storage: PostgresStorage; log: AnyLog; submitter: SharedSubmitter; feeder?: QueueFeeder }
const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.submitter.close();
    await n.feeder?.stop();
    await n.log.close().catch(() => {});
  }
});

/**
 * node opens one node on schema, named (application_name) so its connections can be found; lead
 * waits that long for the lead (and feeds the queue unless told not to yet), false: a follower.
 * direct: while it leads, its own uploads skip the queue (as ElectedNode wires it).
 */
async function node(schema: string, name: string, lead: number | false, feeding = true, pollMs = 50, direct = false): Promise<Node> {
  const u = new URL(url!);
  u.searchParams.set('application_name', name);
  const storage = await PostgresStorage.open({ url: u.toString(), schema, lead, leaseMs: 1000 });
  const log = await Log.openOn(storage, key, { origin: TEST_ORIGIN, heartbeatMs: 0, maxBatch: 20 });
  const n: Node = { name, storage, log, submitter: new SharedSubmitter(log, storage, { timeoutMs: 20_000, pollMs, leading: direct ? () => storage.role === 'leader' : undefined }) };
  nodes.push(n);
  if (lead !== false && feeding) feed(n, pollMs);
  return n;
}

/** feed makes n the feeder of the queue; its own uploads are answered from its batches' receipts (as ElectedNode wires it), the other node's by their scan. */
function feed(n: Node, pollMs = 50): void {
  n.feeder = new QueueFeeder(n.log, n.storage, { pollMs, leading: () => n.storage.role === 'leader', onIntegrated: (r) => n.submitter.integrated(r) });
}

const submit = (n: Node, i: number, salt = '') => n.submitter.submit({ body: body(i, salt), kind: 'test', indexKeys: [`k:${i % 3}`], signEntryTimestamp: true });

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** holdCheckpoints locks schema's checkpoints table in a transaction left open: the next commit waits at its last step (ROLLBACK the client to let it go). */
async function holdCheckpoints(schema: string): Promise<pg.Client> {
  const blocker = new pg.Client(url);
  await blocker.connect();
  await blocker.query(`BEGIN; LOCK TABLE ${schema}.checkpoints IN SHARE MODE`);
  return blocker;
}

/** waitingOnLock resolves once a session of the node named app waits on a lock (its commit reached the held table). */
async function waitingOnLock(app: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const waiting = await admin(async (c) => (await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [app])).rows[0].n);
    if (Number(waiting) > 0) return;
    if (Date.now() > deadline) throw new Error('the leader never reached its commit');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function checkReceipt(n: Node, r: Receipt): Promise<void> {
  expect(r.entry.entryTimestamp).toBeDefined();
  verifyInclusion(r.entry.leafHash, r.entry.index, r.checkpoint.size, r.proof, r.checkpoint.rootHash);
  expect(Buffer.from(await n.log.rootAt(r.checkpoint.size))).toEqual(Buffer.from(r.checkpoint.rootHash));
}

/** exactlyOnce checks the stored log: every leaf once, head and entries agree, the queue empty, verify-db's audit passes. */
async function exactlyOnce(schema: string, want: number): Promise<void> {
  const [n, distinct, queued, head] = await admin(async (c) => {
    const r = (await c.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT leaf_hash) AS d FROM ${schema}.entries`)).rows[0];
    const q = (await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.queue`)).rows[0].n;
    const h = (await c.query<{ size: string }>(`SELECT size FROM ${schema}.head`)).rows[0].size;
    return [Number(r.n), Number(r.d), Number(q), Number(h)];
  });
  expect({ n, distinct, queued, head }).toEqual({ n: want, distinct: want, queued: 0, head: want });
  const report = await auditPostgres({ url: url!, schema });
  expect(report.problem).toBeUndefined();
  expect(report.size).toBe(want);
}

if (!url) describe.skip('shared queue on PostgreSQL (no server)', () => it('skipped', () => {}));
else
  describe('shared queue on PostgreSQL', () => {
    it('uploads through either node get receipts that verify there; duplicates get 409 with the existing index', async () => {
      const schema = testSchema();
      const a = await node(schema, 'qa', 3000);
      const b = await node(schema, 'qb', false);
      const [ra, rb] = await Promise.all([Promise.all(Array.from({ length: 60 }, (_, i) => submit(a, i))), Promise.all(Array.from({ length: 60 }, (_, i) => submit(b, i + 1000)))]);
      for (const r of ra) await checkReceipt(a, r);
      for (const r of rb) await checkReceipt(b, r);
      expect(new Set([...ra, ...rb].map((r) => r.entry.index)).size).toBe(120);
      // Committed already: 409 at once, from either node.
      const dupB = await submit(b, 7).catch((e: unknown) => e);
      expect(isCairnError(dupB, 'DUPLICATE') && dupB.details.index).toBe(ra[7].entry.index);
      // The same new leaf through both nodes at once: one 201, one 409 naming its index.
      const both = await Promise.allSettled([submit(a, 5000), submit(b, 5000)]);
      const won = both.filter((x) => x.status === 'fulfilled') as PromiseFulfilledResult<Receipt>[];
      const lost = both.filter((x) => x.status === 'rejected') as PromiseRejectedResult[];
      expect(won.length).toBe(1);
      expect(isCairnError(lost[0].reason, 'DUPLICATE') && lost[0].reason.details.index).toBe(won[0].value.entry.index);
      expect(await a.storage.queueDepth()).toBe(0);
      await exactlyOnce(schema, 121);
    });

    it('enqueues gathered into one transaction answer each upload alone: one 201 a new leaf, 409 with the index for the same leaf again or a committed one', async () => {
      const schema = testSchema();
      const a = await node(schema, 'qg', 3000);
      const first = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(a, i)));
      // 40 uploads at once: new leaves, each new leaf four times, and the ten committed ones.
      const all = await Promise.allSettled([...Array.from({ length: 30 }, (_, i) => submit(a, 100 + (i % 10))), ...Array.from({ length: 10 }, (_, i) => submit(a, i))]);
      const won = all.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
      expect(won.map((r) => r.entry.index).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
      for (const r of won) await checkReceipt(a, r);
      const indexOf = new Map(won.map((r) => [Buffer.from(r.entry.leafHash).toString('hex'), r.entry.index]));
      all.forEach((x, i) => {
        if (x.status === 'fulfilled') return;
        expect(isCairnError(x.reason, 'DUPLICATE')).toBe(true);
        const want = i < 30 ? indexOf.get(Buffer.from(leafHash(body(100 + (i % 10)))).toString('hex')) : first[i - 30].entry.index;
        expect((x.reason as { details: { index: number } }).details.index).toBe(want);
      });
      expect(await a.storage.queueDepth()).toBe(0);
      await exactlyOnce(schema, 20);
    });

    it('the hints alone carry uploads through: queued wakes the leader, committed wakes the uploads, on the node itself and across nodes', async () => {
      // Polls of a minute: within the test only the notices can wake the feeder and the waiting uploads.
      const schema = testSchema();
      const a = await node(schema, 'qh', 3000, true, 60_000);
      const b = await node(schema, 'qi', false, true, 60_000);
      const heard = { queued: 0, committed: [] as number[] };
      b.storage.onQueued(() => heard.queued++);
      b.storage.onCommitted((size) => heard.committed.push(size));
      // Let both listeners connect (a hint sent before a listener exists is not heard by it).
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      const via: [Node, Receipt][] = [];
      via.push([a, await submit(a, 1)]);
      via.push([b, await submit(b, 2)]);
      const at = (i: number) => (i % 2 ? a : b);
      (await Promise.all(Array.from({ length: 20 }, (_, i) => submit(at(i), i + 10)))).forEach((r, i) => via.push([at(i), r]));
      expect(Date.now() - t0).toBeLessThan(30_000);
      for (const [n, r] of via) await checkReceipt(n, r);
      // b's own enqueues reached b's listeners at once; a's reached it through NOTIFY.
      expect(heard.queued).toBeGreaterThan(0);
      // The leader answers its own uploads from its receipts, so the last answer may come before the
      // last commit's NOTIFY reaches b: wait for it (only a notice can bring it: b polls once a minute).
      for (const until = Date.now() + 5000; heard.committed.at(-1) !== 22 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      expect(heard.committed.at(-1)).toBe(22);
      await exactlyOnce(schema, 22);
    });

    it.each([
      ['queued by the leader', false],
      ['the leader took directly', true],
    ])('a leaf queued again while the batch storing it commits (%s) gets 409 with its index, and leaves no row behind', async (_, direct) => {
      const schema = testSchema();
      const a = await node(schema, 'qj', 3000, true, 50, direct);
      const b = await node(schema, 'qk', false);
      await submit(a, 1); // the log exists and has a batch behind it
      // Hold the next commit at its last step (the checkpoint), its entries written and its queue rows deleted.
      const blocker = await holdCheckpoints(schema);
      const first = submit(a, 2);
      first.catch(() => {});
      await waitingOnLock('qj');
      // The same leaf through the other node, straight into the queue, while that batch is held.
      let settled = false;
      const again = b.storage.enqueue({ leafHash: leafHash(body(2)), body: body(2), kind: 'test', keys: [], signEntryTimestamp: false });
      void again.finally(() => (settled = true)).catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false); // it waits for the batch: an answer now could not know the leaf is stored
      await blocker.query('ROLLBACK');
      await blocker.end();
      const r = await first;
      expect(await again).toEqual({ queued: false, index: r.entry.index });
      expect(await b.storage.queueDepth()).toBe(0);
      await exactlyOnce(schema, 2);
    });

    it('the leader integrates its own uploads without queueing them; a leaf another node queued first is that upload\'s (201 there, 409 on the leader), and no row is left', async () => {
      const schema = testSchema();
      // The leader does not feed the queue yet, so what the other node queues stays queued.
      const a = await node(schema, 'qx', 3000, false, 50, true);
      const b = await node(schema, 'qy', false);
      const enqueued = vi.spyOn(a.storage, 'enqueue');
      const own = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(a, i)));
      for (const r of own) await checkReceipt(a, r);
      expect(enqueued).not.toHaveBeenCalled();
      expect(await a.storage.queueDepth()).toBe(0);
      // Queued through the follower first, then the same leaf straight through the leader.
      const queued = submit(b, 100);
      for (const deadline = Date.now() + 10_000; (await a.storage.queueDepth()) < 1; ) {
        if (Date.now() > deadline) throw new Error('the upload was not queued');
        await new Promise((r) => setTimeout(r, 20));
      }
      const direct = await submit(a, 100).catch((e: unknown) => e);
      expect(isCairnError(direct, 'DUPLICATE')).toBe(true);
      const index = (direct as { details: { index: number } }).details.index;
      expect(index).toBe(30);
      // The queued upload owns the leaf: its node answers it with a receipt once it sees the commit.
      const r = await queued;
      expect(r.entry.index).toBe(index);
      await checkReceipt(b, r);
      expect(enqueued).not.toHaveBeenCalled();
      await exactlyOnce(schema, 31);
    });

    it('a batch cut off mid-commit (pg_terminate_backend of the leader) is integrated once, by the next leader', async () => {
      const schema = testSchema();
      const a = await node(schema, 'qc', 3000);
      const b = await node(schema, 'qd', false);
      a.storage.onLost(() => void a.feeder?.stop());
      const first = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(b, i)));
      expect(first.map((r) => r.entry.index).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
      // Queue 60 uploads through both nodes while the leader does not feed (an enqueue that waits on a
      // commit cut off would fail with 503, which is not what this test is about).
      await a.feeder!.stop();
      const pending = [...Array.from({ length: 30 }, (_, i) => submit(b, i + 100)), ...Array.from({ length: 30 }, (_, i) => submit(a, i + 200))];
      for (const p of pending) p.catch(() => {});
      for (const deadline = Date.now() + 10_000; (await a.storage.queueDepth()) < 60; ) {
        if (Date.now() > deadline) throw new Error('uploads were not queued');
        await new Promise((r) => setTimeout(r, 20));
      }
      // Hold every commit at its last step: the leader's batch transaction waits with its rows written.
      const blocker = await holdCheckpoints(schema);
      feed(a);
      await waitingOnLock('qc');
      expect(await b.storage.queueDepth()).toBe(60);
      const cut = await admin((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'qc'`));
      expect(cut.rowCount).toBeGreaterThan(0);
      await blocker.query('ROLLBACK');
      await blocker.end();
      expect(await admin(async (c) => Number((await c.query(`SELECT size FROM ${schema}.head`)).rows[0].size))).toBe(10); // the cut batch stored nothing
      // The follower takes the lead, catches up and feeds the queue.
      expect(await b.storage.campaign(5000)).toBe(true);
      await b.log.refresh();
      feed(b);
      const receipts = await Promise.all(pending);
      for (const [i, r] of receipts.entries()) await checkReceipt(i < 30 ? b : a, r);
      expect(new Set(receipts.map((r) => r.entry.index)).size).toBe(60);
      expect(a.storage.role).toBe('follower');
      await exactlyOnce(schema, 70);
    });
  });
