// The routes the HTTP workers of `cairn serve --workers 2` answer themselves give the same
// answers, byte for byte, as `--workers 1`: two servers over copies of one data directory (same
// key, tree ID and entries) get the same requests in the same order, one at a time, and every
// answer is compared (status, headers but Date and connection ones, body).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

/** Worker processes each load the whole server: on a loaded 2-core machine that took over a minute. */
const START_MS = 180_000;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** send makes one request on a new connection (so the cluster spreads them over the workers). */
function send(url: string, method: string, body?: string | Buffer, contentType = 'application/json'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const IGNORED = new Set(['date', 'connection', 'keep-alive', 'x-cairn-worker']);
function comparable(r: Raw): { status: number; headers: Record<string, unknown>; body: string } {
  const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !IGNORED.has(k)));
  return { status: r.status, headers, body: r.body.toString('latin1') };
}

/** A Rekor v1 entry's integration time (seconds) and the SET signed over it: the one thing two servers may differ in. */
const TIMED = /"integratedTime":(\d+)(.*?)"signedEntryTimestamp":"[^"]*"/g;
function untimed(s: string): string {
  return s.replace(TIMED, '"integratedTime":0$2"signedEntryTimestamp":""');
}

const v2Key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
function v2Upload(artifact: string): string {
  const data = Buffer.from(artifact);
  return JSON.stringify({
    hashedRekordRequestV002: {
      digest: createHash('sha256').update(data).digest('base64'),
      signature: {
        content: sign('sha256', data, v2Key.privateKey).toString('base64'),
        verifier: { publicKey: { rawBytes: v2Key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
      },
    },
  });
}

describe('cairn serve --workers 2 against --workers 1', () => {
  const root = mkdtempSync(join(tmpdir(), 'cairn-workers-ab-'));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  });

  it('answers uploads, duplicates, refusals, entry and tile reads, lookups and searches with the same bytes', async () => {
    const args = ['--max-body', '4096', '--public-url', 'http://cairn.test', '--no-tsa'];
    const dirA = join(root, 'a');
    const dirB = join(root, 'b');
    // One log, created once, copied: both servers sign with the same key for the same tree ID.
    const first = await startServer({ dataDir: dirA, heartbeat: 0, startTimeoutMs: START_MS, args });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe('exit 0');
    cpSync(dirA, dirB, { recursive: true });
    // Each is killed after the test even if the other fails to start.
    const started = (s: ServerProcess) => (servers.push(s), s);
    const [a, b] = await Promise.all([
      startServer({ dataDir: dirA, heartbeat: 0, startTimeoutMs: START_MS, args: [...args, '--workers', '1'] }).then(started),
      startServer({ dataDir: dirB, heartbeat: 0, startTimeoutMs: START_MS, args: [...args, '--workers', '2'] }).then(started),
    ]);

    let exact = 0;
    const workers = new Set<string>();
    /** both sends the same request to each server at once and expects the same answer; the workers' server must have answered it in a worker. */
    const both = async (method: string, path: string, body?: string | Buffer, inWorker = true): Promise<Raw> => {
      const [ra, rb] = await Promise.all([send(a.url + path, method, body), send(b.url + path, method, body)]);
      const [ca, cb] = [comparable(ra), comparable(rb)];
      const what = `${method} ${path} ${ra.body.toString().slice(0, 200)}`;
      if (ca.body !== cb.body && untimed(ca.body) === untimed(cb.body)) {
        // Integrated in different seconds (the two servers' batches straddle a second): only the time and its SET differ.
        expect([...ca.body.matchAll(TIMED)].map((m) => m[1]), what).not.toEqual([...cb.body.matchAll(TIMED)].map((m) => m[1]));
        ca.body = cb.body = untimed(ca.body);
      } else exact++;
      expect(cb, what).toEqual(ca);
      if (inWorker) {
        expect(rb.headers['x-cairn-worker'], what).toBeDefined();
        workers.add(rb.headers['x-cairn-worker'] as string);
      }
      return ra;
    };

    const signer = newSigner();
    const v1 = Array.from({ length: 6 }, () => JSON.stringify(hashedrekord(signer)));
    // Uploads, one at a time (one batch each, so both trees grow alike), v1 and v2 interleaved.
    const v2 = v1.map((_, i) => v2Upload(`artifact ${i}`));
    const ids: string[] = [];
    for (let i = 0; i < v1.length; i++) {
      const created = await both('POST', '/api/v1/log/entries', v1[i]);
      expect(created.status).toBe(201);
      ids.push(Object.keys(JSON.parse(created.body.toString()) as object)[0]);
      expect((await both('POST', '/api/v2/log/entries', v2[i])).status).toBe(201);
    }
    // Duplicates: 409 with the existing entry's Location (v1) or index (v2).
    expect((await both('POST', '/api/v1/log/entries', v1[2])).status).toBe(409);
    expect((await both('POST', '/api/v2/log/entries', v2[3])).status).toBe(409);
    // Refusals by admission, and past --max-body.
    for (const bad of ['{', '[]', '{"kind":"nope"}', JSON.stringify({ ...hashedrekord(signer), apiVersion: '9.9.9' }), 'x'.repeat(5000)]) {
      expect((await both('POST', '/api/v1/log/entries', bad)).status).toBeGreaterThanOrEqual(400);
      expect((await both('POST', '/api/v2/log/entries', bad)).status).toBeGreaterThanOrEqual(400);
    }
    const bad = hashedrekord(signer);
    bad.spec.data.hash.value = '00'.repeat(32);
    expect((await both('POST', '/api/v1/log/entries', JSON.stringify(bad))).status).toBe(400);
    // Reads the workers answer from the database: every entry by index, its tiles and bundles.
    const n = 2 * v1.length;
    for (let i = 0; i < n; i++) expect((await both('GET', `/api/v1/log/entries?logIndex=${i}`)).status).toBe(200);
    for (const path of [`/tile/0/000.p/${n}`, `/tile/1/000.p/0`, `/tile/entries/000.p/${n}`, `/tile/0/000.p/3`]) await both('GET', path);
    // Lookups by UUID and entry ID, retrieves and searches, from index.db and the workers' own tails.
    for (const id of [ids[0], ids[5], ids[3].slice(-64), '0'.repeat(64)]) await both('GET', `/api/v1/log/entries/${id}`);
    await both('POST', '/api/v1/log/entries/retrieve', JSON.stringify({ entryUUIDs: [ids[1], ids[4].slice(-64)], logIndexes: [0, 3, n + 5] }));
    await both('POST', '/api/v1/log/entries/retrieve', JSON.stringify({ entries: [JSON.parse(v1[2])] }));
    const hashOf = (i: number) => (JSON.parse(v1[i]) as { spec: { data: { hash: { value: string } } } }).spec.data.hash.value;
    const searches = [
      { hash: `sha256:${hashOf(1)}` },
      { hash: hashOf(5) },
      { hash: createHash('sha256').update('artifact 2').digest('hex') },
      { publicKey: { format: 'x509', content: signer.publicKeyContent } },
      { publicKey: { format: 'x509', content: signer.publicKeyContent }, hash: hashOf(0), operator: 'and' },
      { hash: '0'.repeat(64) },
      { hash: 'nope' },
    ];
    for (const q of searches) await both('POST', '/api/v1/index/retrieve', JSON.stringify(q));
    // Past the tree: the primary answers (the worker's view may be behind), the same 404.
    expect((await both('GET', `/api/v1/log/entries?logIndex=${n}`, undefined, false)).status).toBe(404);

    expect(workers.size).toBe(2);
    // Most answers are byte for byte; only batches that straddle a second differ, in time and SET.
    expect(exact).toBeGreaterThan(50);
  }, 400_000);
});
