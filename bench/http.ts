// HTTP load bench of the Rekor API: the real server in a child process, autocannon in another.
//
//   npx tsx bench/http.ts            (RUNS=3 DURATION=10 CONNECTIONS=64 ENTRIES=200000 by env)
//
// 1. Pre-generates ENTRIES distinct signed hashedrekord uploads (ECDSA P-256, node:crypto) in
//    worker threads, for Rekor v1 and for Rekor v2 (hashedRekordRequestV002), cached in
//    bench/out/http-entries-<ENTRIES>.ndjson and http-v2-entries-<ENTRIES>.ndjson.
// 2. Starts `cairn serve` on 127.0.0.1 (port 0) over a temp data dir (default durability:
//    synchronous=FULL; log level warn so request logging is not measured).
//    SERVER_FLAGS adds node flags to the server (e.g. --cpu-prof).
// 3. RUNS times: CONNECTIONS connections POST distinct v1 uploads for DURATION s, then distinct v2
//    uploads for DURATION s, then GET entries with inclusion proofs at random indexes for
//    DURATION s, then POST RFC 3161 timestamp requests (the JSON form @sigstore/sign sends) for
//    DURATION s. Prints each run and the medians. V2=0 / TSA=0 skip those phases.
// WARMUP=S (default 6) first sends S s of v1 uploads that are not counted: a fresh server spends
// its first seconds under load compiling (bench/upload-floor.ts), which is not its steady rate.
// WORKERS=N starts the server with --workers N (node:cluster; default 1, one process).
// Each phase reports the CPU the server's processes (primary and workers) and the load
// generator's process used, in per cent of one core.
// The load generator shares the machine's cores with the server, as the targets assume.
// LOADGEN=wrk uses wrk (C; `apt-get install wrk`, one thread) instead of autocannon: ~12 % of a
// core at ~4,500 uploads/s against autocannon's ~33 %, so more of the two cores is the server's
// (bench/README.md, "Eleventh session"; in the third session, with a slower server, wrk gave
// second-long p99s). autocannon stays the default, needing nothing outside npm; the figures say
// which one ran. wrk cannot end a phase early when the pre-generated uploads run out (autocannon
// does): it fails the bench instead, so past ~5,000 uploads/s give it ENTRIES=300000.
// The load generator and its CPU meters are bench/http-load.ts (bench/pg-nodes.ts uses them too).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECTIONS, LOADGEN, entriesFile as entriesFileOf, load, resultLine, startServe, type LoadResult } from './http-load.js';
import { fmt, machine, median } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const ENTRIES = Number(process.env.ENTRIES ?? 200_000);
const V2 = process.env.V2 !== '0';
const TSA = process.env.TSA !== '0';
const WORKERS = Number(process.env.WORKERS ?? 1);
const WARMUP = Number(process.env.WARMUP ?? 6);

/** entriesFile returns the ENTRIES pre-generated uploads (bench/out, generated once). */
function entriesFile(v2 = false): Promise<string> {
  return entriesFileOf(ENTRIES, v2);
}

/** startServer runs `cairn serve` over dataDir (bench/http-load.ts startServe: log level warn, no heartbeat). */
function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return startServe(['--data', dataDir, '--workers', String(WORKERS)]);
}

async function treeSize(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
}

async function main(): Promise<void> {
  console.log(`http bench: --workers ${WORKERS}, ${WARMUP} s warm-up, ${RUNS} runs x ${DURATION} s, ${CONNECTIONS} connections, load generator ${LOADGEN}, ${machine()}`);
  const file = await entriesFile();
  const fileV2 = V2 ? await entriesFile(true) : '';
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-http-bench-'));
  const { child, url } = await startServer(dataDir);
  const ups: LoadResult[] = [];
  const upsV2: LoadResult[] = [];
  const reads: LoadResult[] = [];
  const stamps: LoadResult[] = [];
  let used = 0;
  let usedV2 = 0;
  let warmed = 0;
  try {
    if (WARMUP > 0) {
      const w = await load([url, 'post', '0', String(WARMUP), file], [child.pid!]);
      used += w.sent;
      warmed = w.ok;
      console.log(`  warm-up: ${resultLine('v1 uploads', w)} (not counted)`);
    }
    for (let run = 1; run <= RUNS; run++) {
      const up = await load([url, 'post', String(used), String(DURATION), file], [child.pid!]);
      used += up.sent;
      ups.push(up);
      const parts = [resultLine('v1 uploads', up)];
      if (V2) {
        const up2 = await load([url, 'post2', String(usedV2), String(DURATION), fileV2], [child.pid!]);
        usedV2 += up2.sent;
        upsV2.push(up2);
        parts.push(resultLine('v2 uploads', up2));
      }
      const size = await treeSize(url);
      const rd = await load([url, 'get', String(size), String(DURATION)], [child.pid!]);
      reads.push(rd);
      parts.push(resultLine('proof reads', rd));
      if (TSA) {
        const ts = await load([url, 'tsa', '0', String(DURATION)], [child.pid!]);
        stamps.push(ts);
        parts.push(resultLine('timestamps', ts));
      }
      console.log(`  run ${run}: ${parts.join(' | ')} | tree ${fmt(size)}`);
    }
    const total = warmed + [...ups, ...upsV2].reduce((s, u) => s + u.ok, 0);
    const size = await treeSize(url);
    // Requests in flight when autocannon stops are integrated but not counted: at most one per connection.
    if (size < total || size > total + (ups.length + upsV2.length + (WARMUP > 0 ? 1 : 0)) * CONNECTIONS) throw new Error(`tree size ${size} but ${total} uploads were acknowledged`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const m = (xs: LoadResult[], f: (r: LoadResult) => number) => median(xs.map(f));
  console.log(`median v1 uploads: ${fmt(m(ups, (r) => r.perSecond))} entries/s, p50 ${m(ups, (r) => r.p50)} ms, p99 ${m(ups, (r) => r.p99)} ms`);
  if (V2) console.log(`median v2 uploads: ${fmt(m(upsV2, (r) => r.perSecond))} entries/s, p50 ${m(upsV2, (r) => r.p50)} ms, p99 ${m(upsV2, (r) => r.p99)} ms`);
  console.log(`median proof reads: ${fmt(m(reads, (r) => r.perSecond))} reads/s, p50 ${m(reads, (r) => r.p50)} ms, p99 ${m(reads, (r) => r.p99)} ms`);
  if (TSA) console.log(`median timestamps: ${fmt(m(stamps, (r) => r.perSecond))} timestamps/s, p50 ${m(stamps, (r) => r.p50)} ms, p99 ${m(stamps, (r) => r.p99)} ms`);
}

await main();
