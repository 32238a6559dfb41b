// Hostile input: fast-check generates malformed and adversarial requests for every endpoint of
// createApp over a real Log (generators in test/helpers/fuzz-requests.ts). Requests go over a real
// socket, each with a timeout. Invariants: never a 5xx, never a hang, every error a JSON
// {code, message} naming the problem, and the tree (size and root) unchanged by every request
// that was not a 2xx write.
import fc from 'fast-check';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { admitEntry } from '../../src/kinds/index.js';
import type { Log } from '../../src/log/index.js';
import { BODY_LIMIT, VALID, checkAnswer, describeReq, request, send, type Res } from '../helpers/fuzz-requests.js';
import { openTestLog } from '../helpers/test-log.js';

const SEED = Number(process.env.CAIRN_FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.CAIRN_FUZZ_RUNS ?? 2500);
const BUDGET_MS = Number(process.env.CAIRN_FUZZ_BUDGET_MS ?? 25_000);

let log: Log;
let server: Server;
let port: number;

beforeAll(async () => {
  log = openTestLog();
  // A few entries first, so indexes, proofs and tiles have something to point at.
  for (const e of VALID.slice(0, 3)) await log.append(admitEntry(e));
  const app = createApp(log, { publicUrl: 'http://127.0.0.1', maxBodyBytes: BODY_LIMIT });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('hostile input', () => {
  it('never answers 5xx, hangs or crashes; every error is JSON {code, message}; rejected requests leave the tree unchanged', async () => {
    const reqs = fc.sample(request, { numRuns: RUNS, seed: SEED });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const t0 = performance.now();
    let done = 0;
    for (const r of reqs) {
      if (performance.now() - t0 > BUDGET_MS) break;
      const before = log.latest();
      let res: Res;
      try {
        res = await send(port, r);
      } catch (e) {
        failures.push(`${(e as Error).message}: ${describeReq(r)}`);
        continue;
      } finally {
        done++;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const bad = checkAnswer(r, res);
      if (bad) failures.push(bad);
      const after = log.latest();
      const unchanged = after.size === before.size && Buffer.from(after.rootHash).equals(Buffer.from(before.rootHash));
      const write = res.status === 201 && r.method === 'POST' && r.path === '/api/v1/log/entries';
      if (!unchanged && !(write && after.size === before.size + 1)) failures.push(`tree changed (${before.size} → ${after.size}) by a ${res.status}: ${describeReq(r)}`);
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const byStatus = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');
    console.log(`fuzz: ${done} requests fuzzed in ${secs} s (seed ${SEED}); statuses ${byStatus}; tree size ${log.size}; ${failures.length} failures`);
    // Still serving.
    const info = await send(port, { method: 'GET', path: '/api/v1/log' });
    expect(info.status).toBe(200);
    expect(failures.slice(0, 15)).toEqual([]);
    expect(done).toBeGreaterThan(300);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(0); // some valid entries did get in
  }, 60_000);
});
