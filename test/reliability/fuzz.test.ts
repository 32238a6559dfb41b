// Hostile input: fast-check generates malformed and adversarial requests for every endpoint of
// createApp over a real Log (generators in test/helpers/fuzz-requests.ts). Requests go over a real
// socket, each with a timeout. Invariants: never a 5xx, never a hang, every error a JSON
// {code, message} naming the problem, and the tree (size and root) unchanged by every request
// that was not a 2xx write.
import fc from 'fast-check';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createApp, createWitnessApp } from '../../src/api/index.js';
import { admitEntry } from '../../src/kinds/index.js';
import type { Log } from '../../src/log/index.js';
import { generateKey, loadPrivateKey, verifierKeyString } from '../../src/note/index.js';
import { openDb } from '../../src/storage/index.js';
import { Witness, originHash, parseLogSpec } from '../../src/witness/index.js';
import { BODY_LIMIT, VALID, checkAnswer, describeReq, request, send, type Res } from '../helpers/fuzz-requests.js';
import { body, openTestLog, tempDir } from '../helpers/test-log.js';

const SEED = Number(process.env.CAIRN_FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.CAIRN_FUZZ_RUNS ?? 2500);
const BUDGET_MS = Number(process.env.CAIRN_FUZZ_BUDGET_MS ?? 22_000);
const WITNESS_BUDGET_MS = Number(process.env.CAIRN_FUZZ_WITNESS_BUDGET_MS ?? 6_000);

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

/** tallied sends r and counts its status; a request that gets no answer is a failure (and undefined). */
async function tallied(port: number, r: Parameters<typeof send>[1], failures: string[], statuses: Map<number, number>): Promise<Res | undefined> {
  try {
    const res = await send(port, r);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res;
  } catch (e) {
    failures.push(`${(e as Error).message}: ${describeReq(r)}`);
    return undefined;
  }
}

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
      done++;
      const res = await tallied(port, r, failures, statuses);
      if (!res) continue;
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

describe('hostile input to the witness', () => {
  it('POST /add-checkpoint never answers 5xx or hangs, and only a genuine, consistent checkpoint moves its state', async () => {
    const wlog = openTestLog();
    const db = openDb(join(tempDir(), 'witness.db'));
    const witness = new Witness({ db, name: 'witness.fuzz.example/w', key: loadPrivateKey(generateKey('ed25519')), logs: [parseLogSpec(verifierKeyString(wlog.origin, wlog.key))] });
    const wserver = await new Promise<Server>((resolve) => {
      const srv = createWitnessApp(witness).listen(0, '127.0.0.1', () => resolve(srv));
    });
    const wport = (wserver.address() as AddressInfo).port;
    const hash = originHash(wlog.origin);
    const state = () => witness.latestByOriginHash(hash);
    const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');
    let n = 0;
    const grow = async (k: number) => {
      for (let i = 0; i < k; i++) await wlog.append({ body: body(n++, 'w'), kind: 'test', indexKeys: [] });
    };
    await grow(5);

    /** A request for the log's latest checkpoint from the witness's current size, then mangled. */
    const mangle = fc.oneof(
      fc.constant((t: string): string | Buffer => t),
      fc.constantFrom('old -1', 'old 1.5', 'old 99999999999999999999', 'old 01', 'old  3', 'old', 'OLD 0', 'old 0x1', 'old 9007199254740993').map((l) => (t: string) => t.replace(/^old [^\n]*/, l)),
      fc.constantFrom('', 'AAAA\n', '@@@@\n', b64(new Uint8Array(31)) + '\n', b64(new Uint8Array(32)) + '\n', (b64(new Uint8Array(32)) + '\n').repeat(70)).map((lines) => (t: string) => t.replace(/^(old [^\n]*\n)/, `$1${lines}`)),
      fc.constant((t: string) => t.replace('\n\n', '\n')), // no blank line before the note
      fc.constant((t: string) => t.replace(/\n/g, '\r\n')),
      fc.nat(400).map((k) => (t: string) => t.slice(0, k)), // truncated anywhere
      fc.tuple(fc.nat(400), fc.integer({ min: 1, max: 255 })).map(([k, x]) => (t: string) => {
        const b = Buffer.from(t);
        if (b.length) b[k % b.length] ^= x; // one flipped byte anywhere: proof, size, root, signature
        return b;
      }),
      fc.constantFrom('9', '0', '18446744073709551616', '-1', '1e3').map((size) => (t: string) => t.replace(/\n\n([^\n]+)\n\d+\n/, `\n\n$1\n${size}\n`)),
      fc.string({ maxLength: 100 }).map((x) => () => x),
      fc.constant(() => 'x'.repeat(70_000)),
    );
    const reqs = fc.sample(fc.tuple(mangle, fc.nat(3)), { numRuns: 2000, seed: SEED });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const t0 = performance.now();
    let done = 0;
    for (const [f, growBy] of reqs) {
      if (performance.now() - t0 > WITNESS_BUDGET_MS) break;
      if (growBy === 0) await grow(1);
      const old = state()?.size ?? 0;
      const proof = wlog.consistencyProof(old, wlog.size);
      const genuine = `old ${old}\n${proof.map((h) => b64(h) + '\n').join('')}\n${wlog.latest().c2sp}`;
      const mangled: string | Buffer = f(genuine);
      const r = { method: 'POST', path: '/add-checkpoint', body: Buffer.from(mangled) };
      const text = r.body.toString();
      const before = state();
      done++;
      const res = await tallied(wport, r, failures, statuses);
      if (!res) continue;
      const after = state();
      if (res.status >= 500) failures.push(`${res.status} ${res.body.toString().slice(0, 200)}: ${describeReq(r)}`);
      if (res.status !== 200 && (after?.size !== before?.size || after?.note !== before?.note)) failures.push(`witness state changed by a ${res.status}: ${describeReq(r)}`);
      if (res.status === 200 && text !== genuine && after?.note !== before?.note) {
        // A mangled request may still be acceptable (e.g. a different but valid spelling); it must then carry the log's real checkpoint.
        if (!after || after.size !== wlog.size || !Buffer.from(after.rootHash).equals(Buffer.from(wlog.latest().rootHash))) failures.push(`witness cosigned something the log never signed: ${describeReq(r)}`);
      }
      if (res.status >= 400 && !String(res.headers['content-type']).startsWith('text/')) failures.push(`${res.status} is not text: ${describeReq(r)}`);
    }
    const byStatus = [...statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' ');
    console.log(`fuzz witness: ${done} add-checkpoint requests fuzzed in ${((performance.now() - t0) / 1000).toFixed(1)} s; statuses ${byStatus}; witnessed size ${state()?.size ?? 0} of ${wlog.size}`);
    wserver.closeAllConnections();
    await new Promise<void>((r) => wserver.close(() => r()));
    db.close();
    expect(failures.slice(0, 15)).toEqual([]);
    expect(done).toBeGreaterThan(100);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].filter((k) => k >= 400).length).toBeGreaterThan(2);
  }, 30_000);
});
