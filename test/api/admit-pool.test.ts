import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdmitPool, createApp } from '../../src/api/index.js';
import { BodyNotJson, admitBody } from '../../src/api/admission.js';
import { CairnError } from '../../src/errors.js';
import type { Thread } from '../../src/threads/index.js';
import { compileSrc } from '../helpers/compiled.js';
import { openTestLog } from '../helpers/test-log.js';
import { newSigner, proposedEntry } from './entries-gen.js';

const enc = (s: string) => new TextEncoder().encode(s);

const pools: AdmitPool[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const p of pools.splice(0)) await p.close();
});

async function start(o: Parameters<typeof AdmitPool.start>[0]): Promise<AdmitPool> {
  const p = await AdmitPool.start(o);
  pools.push(p);
  return p;
}

/** outcome is what admission gave, comparable across threads: the result, or the error's class and fields. */
async function outcome(f: () => unknown): Promise<unknown> {
  try {
    const a = (await f()) as { kind: string; body: Uint8Array; indexKeys: string[]; derivedKeys?: boolean };
    // derivedKeys too: the workers carry admit's flag back, or storage would keep rows it need not.
    return { kind: a.kind, body: Buffer.from(a.body).toString(), indexKeys: a.indexKeys, derivedKeys: a.derivedKeys };
  } catch (e) {
    if (e instanceof CairnError) return { error: 'CairnError', code: e.code, message: e.message, details: e.details };
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

/** workers reaches into the pool for its threads: only a test may kill one. */
function workers(pool: AdmitPool) {
  return (pool as unknown as { slots: { thread: Thread<unknown, unknown> }[] }).slots.map((s) => s.thread);
}

describe('AdmitPool', () => {
  it('gives the result or the exact error the inline path gives, and verifies with the native addon', async () => {
    const pool = await start({ size: 2 });
    expect(pool.native).toBe(true);
    const signer = newSigner();
    const bad = proposedEntry(signer);
    bad.spec.signature.content = 'AAAA';
    const bodies = [
      JSON.stringify(proposedEntry(signer)),
      JSON.stringify(bad),
      '{"kind":"rpm","apiVersion":"0.0.1","spec":{}}',
      '{"kind":"hashedrekord","apiVersion":"0.0.1"}',
      '{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"signature":{"content":"!!"}}}',
      '[1]',
      '',
      '{',
      'true',
    ];
    for (const b of bodies) {
      const inline = await outcome(() => admitBody(enc(b)));
      expect(await outcome(() => pool.admit(enc(b))), b).toEqual(inline);
    }
    expect((await pool.admit(enc(bodies[0]))).derivedKeys).toBe(true);
    await expect(pool.admit(enc('{'))).rejects.toBeInstanceOf(BodyNotJson);
    // A view into a larger buffer is copied, not moved: the caller's buffer stays intact.
    const big = enc('xx' + bodies[0]);
    const view = big.subarray(2);
    expect((await pool.admit(view)).kind).toBe('hashedrekord/0.0.1');
    expect(big.byteLength).toBe(bodies[0].length + 2);
    expect(pool.pending).toBe(0);
  });

  it('pushes back past its bounds (bodies and bytes) and accepts again once they are admitted', async () => {
    const pool = await start({ size: 1, maxQueue: 3, maxQueueBytes: 10_000 });
    const body = JSON.stringify(proposedEntry(newSigner()));
    const first = [0, 1, 2].map(() => pool.admit(enc(body)));
    await expect(pool.admit(enc(body))).rejects.toMatchObject({ code: 'PUSHBACK', message: 'entry admission queue is full; retry later' });
    await Promise.all(first);
    expect(pool.pending).toBe(0);
    await expect(pool.admit(enc(body))).resolves.toMatchObject({ kind: 'hashedrekord/0.0.1' });
    await expect(pool.admit(new Uint8Array(10_001))).rejects.toMatchObject({ code: 'PUSHBACK' });
  });

  it('replaces a worker that dies: its bodies fail with UNAVAILABLE, the rest are admitted, and later ones too', async () => {
    const exits: string[] = [];
    const pool = await start({ size: 1, maxQueue: 10_000, onWorkerExit: (why) => exits.push(why) });
    const body = JSON.stringify(proposedEntry(newSigner()));
    const [dying] = workers(pool);
    const dyingId = dying.threadId;
    const inFlight = Array.from({ length: 200 }, () => pool.admit(enc(body)).then(() => 'ok', (e: CairnError) => e));
    void dying.kill(); // as a crash would: the pool did not ask for it
    const results = await Promise.all(inFlight);
    const failed = results.filter((r) => r !== 'ok') as CairnError[];
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) {
      expect(e).toBeInstanceOf(CairnError);
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.message).toMatch(/^entry admission failed: its worker thread died \(.*\); retry$/);
    }
    expect(exits).toHaveLength(1);
    expect(pool.pending).toBe(0);
    await expect(pool.admit(enc(body))).resolves.toMatchObject({ kind: 'hashedrekord/0.0.1' });
    expect(pool.size).toBe(1);
    expect(workers(pool)[0].threadId).not.toBe(dyingId);
  });

  it('through the API: an upload whose worker dies gets 503 with Retry-After, and the server keeps serving', async () => {
    const pool = await start({ size: 1 });
    const log = openTestLog();
    const s = createServer(createApp(log, { publicUrl: 'http://cairn.test', admission: pool }));
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1/log/entries`;
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposedEntry(newSigner())) });
    // The upload never reaches the worker: handing it over kills the worker instead, so it dies
    // with the upload in flight whatever the machine's load (a terminate() racing the worker's
    // reply was flaky).
    const w = workers(pool)[0];
    const hand = w.post.bind(w);
    w.post = () => {
      w.post = hand; // only this upload: the replacement thread serves the next one
      void w.kill();
      return true;
    };
    const r = await post();
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(await r.json()).toMatchObject({ code: 503, message: expect.stringMatching(/worker thread died/) });
    expect((await post()).status).toBe(201);
    expect(log.size).toBe(1);
  });

  it('refuses a size below 1, and fails admits after close', async () => {
    await expect(AdmitPool.start({ size: 0 })).rejects.toMatchObject({ code: 'CONFIG' });
    const pool = await AdmitPool.start({ size: 1 });
    await pool.close();
    await expect(pool.admit(enc('{}'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('runs from compiled JavaScript, without tsx', { timeout: 120_000 }, async () => {
    // src/ transpiled to a directory at dist/'s depth, then admit in a plain node process.
    const out = compileSrc();
    try {
      const body = JSON.stringify(proposedEntry(newSigner()));
      const script = `
        const { AdmitPool } = await import(${JSON.stringify(join(out, 'api', 'index.js'))});
        const pool = await AdmitPool.start({ size: 1 });
        const a = await pool.admit(new TextEncoder().encode(process.env.BODY));
        console.log(JSON.stringify({ kind: a.kind, native: pool.native, keys: a.indexKeys.length }));
        await pool.close();`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, BODY: body, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ kind: 'hashedrekord/0.0.1', native: true, keys: 2 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
