// Soak: the reliability checks of test/reliability run longer, against the real server process.
//
//   npx tsx bench/soak.ts [--rounds 50] [--clients 16] [--kill-ms 500-4000]
//                         [--load-seconds 60] [--fuzz-per-second 100] [--data DIR]
//
// 1. Crash rounds: concurrent hashedrekord uploads over HTTP, SIGKILL at a random moment,
//    restart on the same data; after each, every 201 is re-read by UUID and index with its proof
//    verified against the new checkpoint, which must be consistent with every checkpoint any client
//    saw; every index is scanned (one leaf per index, one index per leaf, no upload logged twice);
//    verify-db runs on the data the kill left.
// 2. Sustained load with hostile traffic mixed in: uploads plus fuzzed requests at the same
//    server, sampling the server's RSS and V8 heap every few seconds: both must level off.
// 3. Clean shutdown (SIGTERM), verify-db, and a report. Exits 1 on any failure.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { auditDatabase } from '../src/log/index.js';
import { CrashHarness, CRASH_ORIGIN } from '../test/helpers/crash-harness.js';
import { checkAnswer, request as hostileRequest, send } from '../test/helpers/fuzz-requests.js';
import { hashedrekord, newSigner } from '../test/helpers/hashedrekord-gen.js';
import { startServer } from '../test/helpers/server-process.js';
import { machine } from './lib.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const rounds = Number(arg('rounds', '50'));
const clients = Number(arg('clients', '16'));
const [killLo, killHi] = arg('kill-ms', '500-4000').split('-').map(Number);
const loadSeconds = Number(arg('load-seconds', '60'));
const fuzzPerSecond = Number(arg('fuzz-per-second', '100'));
const ownDir = !process.argv.includes('--data');
const dataDir = ownDir ? mkdtempSync(join(tmpdir(), 'cairn-soak-')) : arg('data', '');
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s`;
const say = (line: string) => console.log(`${elapsed()}  ${line}`);
const failures: string[] = [];

say(`soak on ${machine()}: ${rounds} crash rounds x ${clients} clients, kill after ${killLo}-${killHi} ms; then ${loadSeconds} s of load with ${fuzzPerSecond} hostile requests/s; data in ${dataDir}`);

// ---- 1. crash rounds ----
const harness = new CrashHarness({ dataDir, rounds, clients, killAfterMs: [killLo, killHi], heartbeat: 1, serverArgs: ['--max-batch', '256'], sampleOld: 300, maxConsistency: 300, progress: say });
const crash = await harness.run();
failures.push(...crash.failures);
say(`crash rounds: ${crash.rounds} survived, ${crash.acknowledged} uploads acknowledged, ${crash.unanswered} unanswered at a kill (re-submitted: each in the log once), ${crash.refused} refused; ${crash.entriesScanned} entries scanned, ${crash.uuidChecks} re-read by UUID, ${crash.inclusionProofs} inclusion and ${crash.consistencyProofs} consistency proofs verified; size ${crash.finalSize}; ${crash.failures.length} failures`);

// ---- 2. sustained load + hostile traffic, memory sampled ----
const server = await startServer({ dataDir, heartbeat: 1, args: ['--origin', CRASH_ORIGIN, '--max-batch', '256'] });
const port = Number(new URL(server.url).port);
const signer = newSigner();
let stop = false;
let uploads = 0;
let pushback = 0;
let fuzzed = 0;
const fuzzStatus = new Map<number, number>();
const upload = async () => {
  while (!stop) {
    const res = await fetch(`${server.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(signer)) });
    await res.arrayBuffer();
    if (res.status === 201) uploads++;
    else if (res.status === 503 || res.status === 429) pushback++;
    else failures.push(`load: POST answered ${res.status}`);
  }
};
const fuzz = async () => {
  let seed = 1;
  while (!stop) {
    const batch = fc.sample(hostileRequest, { numRuns: 50, seed: seed++ });
    for (const r of batch) {
      if (stop) break;
      const t = performance.now();
      try {
        const res = await send(port, r, 10_000);
        fuzzStatus.set(res.status, (fuzzStatus.get(res.status) ?? 0) + 1);
        const bad = checkAnswer(r, res);
        // Under load a write may meet a full queue: 503 PUSHBACK is an answer, not a failure.
        if (bad && !(res.status === 503 && r.method === 'POST')) failures.push(`fuzz: ${bad}`);
      } catch (e) {
        failures.push(`fuzz: ${(e as Error).message}`);
      }
      fuzzed++;
      const wait = 1000 / fuzzPerSecond - (performance.now() - t);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
};

interface Sample {
  t: number;
  size: number;
  rssMb: number;
  heapMb: number;
}
const samples: Sample[] = [];
async function sample(): Promise<void> {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN);
  const info = (await (await fetch(`${server.url}/api/v1/log`)).json()) as { treeSize: number };
  const s = { t: (performance.now() - loadStart) / 1000, size: info.treeSize, rssMb: rssKb / 1024, heapMb: heap / 2 ** 20 };
  samples.push(s);
  const prev = samples[samples.length - 2];
  const rate = prev ? (s.size - prev.size) / (s.t - prev.t) : 0;
  say(`load t=${s.t.toFixed(0).padStart(4)} s  size ${String(s.size).padStart(8)}  ${rate.toFixed(0).padStart(6)} entries/s  RSS ${s.rssMb.toFixed(0).padStart(5)} MB  heap ${s.heapMb.toFixed(1).padStart(6)} MB  fuzzed ${fuzzed}`);
}
const loadStart = performance.now();
const workers = [...Array.from({ length: clients }, upload), fuzz()];
await sample();
while (performance.now() - loadStart < loadSeconds * 1000) {
  await new Promise((r) => setTimeout(r, Math.min(5000, loadSeconds * 200)));
  await sample();
}
stop = true;
await Promise.all(workers);
const how = await server.kill('SIGTERM');
if (how !== 'exit 0') failures.push(`server did not shut down cleanly on SIGTERM: ${how}`);

// Memory must level off: the last third of the samples may not grow past the middle third by much.
const third = Math.max(1, Math.floor(samples.length / 3));
const mid = samples.slice(third, 2 * third);
const last = samples.slice(-third);
const maxOf = (xs: Sample[], k: 'rssMb' | 'heapMb') => Math.max(...xs.map((x) => x[k]));
for (const k of ['rssMb', 'heapMb'] as const) {
  if (mid.length && maxOf(last, k) > maxOf(mid, k) * 1.5 + 64) failures.push(`${k} keeps growing: ${maxOf(mid, k).toFixed(0)} → ${maxOf(last, k).toFixed(0)} MB`);
}
const byStatus = [...fuzzStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');
say(`load: ${uploads} uploads in ${loadSeconds} s (${(uploads / loadSeconds).toFixed(0)}/s), ${pushback} pushed back; ${fuzzed} hostile requests (${byStatus}); RSS peak ${maxOf(samples, 'rssMb').toFixed(0)} MB, heap peak ${maxOf(samples, 'heapMb').toFixed(1)} MB`);

// ---- 3. verify-db ----
const audit = auditDatabase(dataDir);
if (audit.problem) failures.push(`verify-db: ${audit.problem}`);
say(`verify-db: ${audit.size} entries, ${audit.checkpointsChecked} checkpoints${audit.problem ? `: ${audit.problem}` : ' OK'}`);

say(`SOAK ${failures.length ? 'FAILED' : 'PASSED'}: ${crash.rounds} crash rounds survived, ${crash.acknowledged + uploads} uploads acknowledged, ${crash.entriesScanned} entries checked by client scans after kills and ${audit.size} by verify-db, ${fuzzed} requests fuzzed against the server, nothing lost${failures.length ? ' — NOT TRUE, see below' : ''}`);
for (const f of failures.slice(0, 50)) console.log(`  FAILURE: ${f}`);
if (ownDir) rmSync(dataDir, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
