// PostgreSQL failover: three real `cairn serve --database` nodes (test/helpers/cluster-harness.ts)
// under a light upload load through the two nodes that are not leading; the leader is SIGKILLed
// `kills` times (restarted after each). For each kill, two times from the SIGKILL:
//   lead: until another node's GET /readyz says "leader" (polled every 10 ms);
//   201:  until the first 201 from another node to an upload sent right after the kill (one to each
//         other node, re-sent only if refused).
// Prints min / median / max of each, and the Ledger's checks of the run (every 201 kept once, one
// root per size).
// Usage: npx tsx bench/failover.ts [kills=10] [leaseMs=1500] [clients=4]
// Needs PostgreSQL at CAIRN_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, ClusterLoad, scratchDatabase, type ClusterNode } from '../test/helpers/cluster-harness.js';
import { Ledger } from '../test/helpers/ledger.js';
import { machine, median } from './lib.js';

const kills = Number(process.argv[2] ?? 10);
const leaseMs = Number(process.argv[3] ?? 1500);
const clients = Number(process.argv[4] ?? 4);
const server = process.env.CAIRN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = await scratchDatabase(server);
const work = mkdtempSync(join(tmpdir(), 'cairn-failover-'));
const cluster = await Cluster.start({ url: db.url, schema: 'failover', nodes: 3, workDir: work, leaseMs, heartbeat: 1 });
const ledger = new Ledger(cluster.origin, { maxConsistency: 1_000_000 });
const load = new ClusterLoad(cluster, ledger, { clients, pollMs: 200, backoffMs: 5 });
const toLead: number[] = [];
const to201: number[] = [];
try {
  ledger.pem = await (await fetch(`${cluster.url(cluster.nodes[0])}/api/v1/log/publicKey`)).text();
  load.start();
  for (let k = 0; k < kills; k++) {
    const lead = await cluster.leader();
    // Uploads go to the two other nodes only, so each kill interrupts no client.
    for (const n of cluster.nodes) n.up = n !== lead;
    await sleep(1500);
    const t0 = performance.now();
    lead.up = false;
    lead.proc!.child.kill('SIGKILL');
    const others = cluster.nodes.filter((n) => n !== lead);
    // One upload to each other node right after the kill (again until one is created): the first 201.
    const probe = async (n: ClusterNode) => {
      for (;;) {
        if ((await ledger.upload(cluster.url(n), k)) === 'created') return performance.now() - t0;
        await sleep(10);
      }
    };
    const firstCreated = Promise.race(others.map(probe));
    let next: ClusterNode | undefined;
    while (!next) {
      const roles = await Promise.all(others.map((n) => cluster.role(n, 1000)));
      next = others.find((_, i) => roles[i] === 'leader');
      if (!next) await sleep(10);
    }
    const lead1 = performance.now() - t0;
    const first = await firstCreated;
    toLead.push(lead1);
    to201.push(first);
    console.log(`kill ${k + 1}: ${lead.name} killed; ${next.name} leads after ${lead1.toFixed(0)} ms; first 201 after ${first.toFixed(0)} ms`);
    await lead.proc!.exited;
    await cluster.launch(lead);
    for (const n of cluster.nodes) n.up = true;
  }
  await load.stop();
  await sleep(1500);
  await ledger.verify(cluster.url(cluster.nodes[0]), kills);
} finally {
  await load.stop();
  await cluster.stop();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
const line = (xs: number[]) => `min ${Math.min(...xs).toFixed(0)} / median ${median(xs).toFixed(0)} / max ${Math.max(...xs).toFixed(0)} ms`;
console.log(`\n${machine()}; 3 nodes, lease ${leaseMs} ms, ${clients} clients, ${kills} kills`);
console.log(`SIGKILL -> another node reports leader: ${line(toLead)}`);
console.log(`SIGKILL -> first 201 from another node:  ${line(to201)}`);
const r = ledger.report;
console.log(`${r.acknowledged} acknowledged, final size ${r.finalSize}, ${r.consistencyProofs} consistency proofs, failures: ${r.failures.length ? r.failures.join('; ') : 'none'}`);
process.exit(r.failures.length ? 1 : 0);
