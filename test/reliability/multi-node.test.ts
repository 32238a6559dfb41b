/**
 * Issue 13, "Multi-node reliability test": three real `cairn serve --database` processes on one
 * PostgreSQL log, uploads through all three (real hashedrekord bodies) the whole time, while the
 * leader is SIGKILLed 10 times (restarted each time), cut off by pg_terminate_backend 5 times, and
 * SIGSTOPped past its lease then SIGCONTed. Afterwards, as an outside client (test/helpers/ledger.ts):
 * every 201 is in the log once at its index, no size ever had two roots on any node, every
 * checkpoint any node served is consistent with the final tree, each node's served size never went
 * down, verify-db's audit passes, and the paused node served nothing that differs after it resumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditPostgres } from '../../src/log/index.js';
import { Cluster, ClusterLoad, until, type ClusterNode } from '../helpers/cluster-harness.js';
import { Ledger } from '../helpers/ledger.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';

const url = await testDatabase();
const LEASE = 1500;
const KILLS = 10;
const CUTS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

const work = mkdtempSync(join(tmpdir(), 'cairn-cluster-'));
// Runs after a timed-out test too (its finally does not): no node outlives the file.
let running: Cluster | undefined;
afterAll(async () => {
  await running?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!url)('three nodes on one PostgreSQL log under load and faults', () => {
  it('keeps every acknowledged entry once and one tree, through 10 leader kills, 5 cut-offs and a pause past the lease', async () => {
    const t0 = Date.now();
    const log: string[] = [];
    const progress = (line: string) => {
      log.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
      if (process.env.CAIRN_PROGRESS) process.stderr.write(`${log.at(-1)}\n`);
    };
    const schema = testSchema();
    const cluster = await Cluster.start({ url: url!, schema, nodes: 3, workDir: work, leaseMs: LEASE, heartbeat: 1, startTimeoutMs: 150_000 });
    running = cluster;
    progress(`3 nodes up on ports ${cluster.nodes.map((n) => n.port).join(', ')}`);
    const ledger = new Ledger(cluster.origin, { progress, maxConsistency: 1_000_000, sampleOld: 300 });
    const load = new ClusterLoad(cluster, ledger, { clients: 6, pollMs: 100 });
    let paused: ClusterNode | undefined;
    try {
      ledger.pem = await (await fetch(`${cluster.url(cluster.nodes[0])}/api/v1/log/publicKey`)).text();
      load.start();
      await sleep(1000);

      // 1. SIGKILL the leader; restart it in the background (same port, or a new one every other
      // time) while another takes over. At least two nodes run at each kill, so one is left.
      const restarts: Promise<void>[] = [];
      for (let k = 0; k < KILLS; k++) {
        load.phase++;
        await until('two nodes running', () => cluster.nodes.filter((n) => n.up).length >= 2, 160_000, 50);
        const lead = await cluster.leader();
        await sleep(jitter(200, 700));
        const killedAt = Date.now();
        await cluster.kill(lead, 'SIGKILL');
        restarts.push(cluster.launch(lead, k % 2 === 1).then(() => progress(`${lead.name} back on :${lead.port} ${Date.now() - killedAt} ms after kill ${k + 1}`)));
        const next = await cluster.leader({ not: [lead] });
        progress(`kill ${k + 1}: ${lead.name} killed, ${next.name} leads after ${Date.now() - killedAt} ms; ${ledger.report.acknowledged} acknowledged`);
      }
      await Promise.all(restarts);

      // 2. pg_terminate_backend every session of the leader (found by the lead lock in pg_locks).
      for (let c = 0; c < CUTS; c++) {
        load.phase++;
        const lead = await cluster.leader();
        await sleep(jitter(200, 700));
        const holder = await until('the lead lock held in pg_locks', async () => (await cluster.holderNode()) ?? false, 5000);
        const pids = await cluster.terminate(holder);
        if (holder !== lead) progress(`cut ${c + 1}: /readyz said ${lead.name} leads, pg_locks said ${holder.name}`);
        const next = await cluster.leader({ timeoutMs: 10_000 });
        // The cut-off node lives on and serves.
        await until(`${holder.name} answering after its sessions were terminated`, async () => (await cluster.role(holder)) !== undefined, 10_000);
        progress(`cut ${c + 1}: terminated ${pids.length} sessions of ${holder.name}; ${next.name} leads; ${ledger.report.acknowledged} acknowledged`);
      }

      // 3. SIGSTOP the leader past its lease; another leads and commits; SIGCONT it.
      load.phase++;
      paused = await cluster.leader();
      await sleep(jitter(200, 700));
      const servedBefore = load.served.filter((s) => s.node === paused!.name).length;
      cluster.pause(paused);
      const stoppedAt = Date.now();
      const next = await cluster.leader({ not: [paused], timeoutMs: LEASE + 10_000 });
      const tookOver = Date.now() - stoppedAt;
      const sizeAtTakeover = ledger.report.acknowledged;
      await until('uploads acknowledged under the new leader', () => ledger.report.acknowledged >= sizeAtTakeover + 20, 15_000);
      await sleep(Math.max(0, LEASE + 1000 - (Date.now() - stoppedAt)));
      cluster.resume(paused);
      progress(`pause: ${paused.name} stopped ${Date.now() - stoppedAt} ms, ${next.name} led after ${tookOver} ms`);
      const pausedRole = await until(`${paused.name} a follower after SIGCONT`, async () => ((await cluster.role(paused!)) === 'follower' ? 'follower' : undefined), 10_000);
      expect(pausedRole).toBe('follower');
      await sleep(2000);
      load.phase++;
      await load.stop();

      // Quiet: every node serves the same tree.
      const sizes = await until(
        'all nodes serving one size',
        async () => {
          const s = await Promise.all(cluster.nodes.map(async (n) => (await (await fetch(`${cluster.url(n)}/api/v1/log`)).json()) as { treeSize: number }));
          return s.every((x) => x.treeSize === s[0].treeSize) ? s.map((x) => x.treeSize) : undefined;
        },
        15_000,
        100,
      );
      progress(`quiet at size ${sizes[0]}`);
      // Every node ready again: a follower whose last batch failed as it lost the lead is not "unready".
      await until(
        'every node answering /readyz 200',
        async () => (await Promise.all(cluster.nodes.map(async (n) => (await fetch(`${cluster.url(n)}/readyz`)).status))).every((st) => st === 200),
        10_000,
        200,
      );

      // The paused node: after SIGCONT, sizes served monotonic (the observer checks) and every root one the others served too (the Ledger).
      const after = load.served.filter((s) => s.node === paused!.name).slice(servedBefore);
      expect(after.length).toBeGreaterThan(0);

      // Everything clients were told, checked against each node in turn (the first scans the whole log).
      for (const [i, n] of cluster.nodes.entries()) {
        await ledger.verify(cluster.url(n), 100 + i);
        // re-submitted uploads may have grown the tree: let every node catch up before the next verify
        const want = ledger.report.finalSize;
        await until('all nodes at the verified size', async () => {
          const s = await Promise.all(cluster.nodes.map(async (m) => ((await (await fetch(`${cluster.url(m)}/api/v1/log`)).json()) as { treeSize: number }).treeSize));
          return s.every((x) => x >= want);
        }, 15_000, 100);
      }

      // The database: no leaf twice, nothing left queued, verify-db's audit.
      const [counts] = await cluster.sql<{ n: string; leaves: string; queued: string }>(
        `SELECT (SELECT count(*) FROM ${schema}.entries) AS n, (SELECT count(DISTINCT leaf_hash) FROM ${schema}.entries) AS leaves, (SELECT count(*) FROM ${schema}.queue) AS queued`,
      );
      expect(Number(counts.leaves)).toBe(Number(counts.n));
      expect(Number(counts.queued)).toBe(0);
      const audit = await auditPostgres({ url: url!, schema });
      expect(audit.problem).toBeUndefined();
      progress(`done: ${JSON.stringify(ledger.report)}`);
      const r = ledger.report;
      expect(r.failures).toEqual([]);
      expect(r.acknowledged).toBeGreaterThan(100);
      expect(r.consistencyProofs).toBeGreaterThan(10);
    } catch (e) {
      // Each node's log without its per-request lines.
      const tail = cluster.nodes.map((n) => `--- ${n.name} (incarnation ${n.incarnation}):\n${cluster.output(n).split('\n').filter((l) => !l.includes('"msg":"request"')).join('\n').slice(-4000)}`).join('\n');
      throw new Error(`${(e as Error).message}\n--- progress:\n${log.join('\n')}\n${tail}`, { cause: e });
    } finally {
      if (paused) cluster.resume(paused);
      await load.stop();
      await cluster.stop();
      console.log(log.join('\n'));
    }
  }, 600_000);
});
