// scratch: enqueue rate through PostgresStorage.enqueue, C concurrent callers, no sequencer.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { PostgresStorage } from '../../src/storage/index.js';
const url = 'postgres://postgres@127.0.0.1:5432/postgres';
const C = Number(process.argv[2] ?? 64), SECS = Number(process.argv[3] ?? 5), POOL = Number(process.argv[4] ?? 8);
const admin = new pg.Client(url); await admin.connect();
const schema = `scratch_enq_${process.pid}`;
const s = await PostgresStorage.open({ url, schema, poolSize: POOL });
const body = randomBytes(350);
let n = 0; const lat: number[] = [];
const until = performance.now() + SECS * 1000;
await Promise.all(Array.from({ length: C }, async () => {
  while (performance.now() < until) {
    const t = performance.now();
    await s.enqueue({ leafHash: randomBytes(32), body, kind: 'hashedrekord', keys: ['sha256:x', 'pubkey:y', 'email:z'], signEntryTimestamp: true });
    lat.push(performance.now() - t); n++;
  }
}));
lat.sort((a, b) => a - b);
console.log(`C=${C} pool=${POOL}: ${Math.round(n / SECS)} enqueues/s p50 ${lat[lat.length >> 1].toFixed(1)} ms p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)} ms`);
await s.close(); await admin.query(`DROP SCHEMA ${schema} CASCADE`); await admin.end();
