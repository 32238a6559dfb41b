// The timestamp authority in process: RFC 3161 responses per second from TimestampAuthority
// (request parsing, TSTInfo and CMS SignedData through @peculiar/asn1-*, one ECDSA P-256
// signature), against the bare signature as the floor.
//
//   npx tsx bench/tsa.ts [RUNS=5] [N=2000]
import { randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openTsa, parseJsonRequest, TSA_KEY_FILE } from '../src/tsa/index.js';
import { fmt, machine, median } from './lib.js';

const RUNS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 2000);

const dir = mkdtempSync(join(tmpdir(), 'cairn-tsa-bench-'));
try {
  const tsa = openTsa({ dataDir: dir, name: 'bench' });
  const key = createPrivateKey(readFileSync(join(dir, TSA_KEY_FILE)));
  const bodies = Array.from({ length: N }, () => ({ artifactHash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', nonce: 12345 }));
  console.log(`tsa bench: ${RUNS} runs x ${fmt(N)} timestamps, ${machine()}`);
  const full: number[] = [];
  const bare: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now();
    for (const b of bodies) tsa.timestamp(parseJsonRequest(b));
    full.push(N / ((performance.now() - t) / 1000));
    t = performance.now();
    for (const b of bodies) sign('sha256', Buffer.from(b.artifactHash), key);
    bare.push(N / ((performance.now() - t) / 1000));
    console.log(`  run ${r + 1}: ${fmt(full[r])} timestamps/s; bare ECDSA P-256 signatures ${fmt(bare[r])}/s`);
  }
  console.log(`median: ${fmt(median(full))} timestamps/s (${(1e6 / median(full)).toFixed(0)} µs each); bare signatures ${fmt(median(bare))}/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
