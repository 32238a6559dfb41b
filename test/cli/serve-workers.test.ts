// `cairn serve --workers 2`: the real CLI as a child process (node:cluster needs its own process).
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyLogEntry, type LogEntryAnon } from '../api/verifier.js';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { body } from '../helpers/test-log.js';
import { Log } from '../../src/log/index.js';

const ORIGIN = 'cairn.test';
/** Worker processes each load the whole server: on a loaded 2-core machine that took over a minute. */
const START_MS = 180_000;

/** fetchRaw GETs url on a new connection (so the cluster spreads them over the workers): status, body bytes, the answering worker's pid if one answered itself. */
function fetchRaw(url: string): Promise<{ status: number; body: Buffer; worker?: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), worker: res.headers['x-cairn-worker'] as string | undefined }));
    }).on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cairn serve --workers 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-workers-'));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers uploads through the workers with proofs that verify, the same read bytes from every process, and shuts down cleanly', async () => {
    server = await startServer({ dataDir: dir, heartbeat: 0, startTimeoutMs: START_MS, args: ['--workers', '2', '--max-body', '4096', '--public-url', `http://${ORIGIN}`, '--log-level', 'info'] });
    const primary = /"primary":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(server.output())![1];
    expect(primary).not.toBe(server.url);
    const pem = ((await (await fetch(`${server.url}/api/v1/log/publicKey`)).text()) as string).trim() + '\n';

    // Uploads through the public port: admitted in the workers, appended by the one sequencer, answered after the commit.
    const signer = newSigner();
    const N = 24;
    const answers = await Promise.all(
      Array.from({ length: N }, async () => {
        const res = await fetch(`${server!.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(signer)) });
        expect(res.status).toBe(201);
        return (await res.json()) as Record<string, LogEntryAnon>;
      }),
    );
    const indexes = new Set<number>();
    for (const a of answers) {
      const [id, e] = Object.entries(a)[0];
      verifyLogEntry(id, e, pem, ORIGIN);
      indexes.add(e.logIndex);
    }
    expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));

    // A re-upload is refused by the primary's sequencer with 409, through a worker.
    const once = JSON.stringify(hashedrekord(signer));
    const dup = await fetch(`${server.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: once });
    expect(dup.status).toBe(201);
    const again = await fetch(`${server.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: once });
    expect(again.status).toBe(409);

    // A body past --max-body is refused by the worker as the primary would.
    const big = await fetch(`${server.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);

    // Reads answered by the workers themselves: byte for byte what the primary answers.
    const workers = new Set<string>();
    const paths = [...Array.from({ length: N + 1 }, (_, i) => `/api/v1/log/entries?logIndex=${i}`), '/tile/0/000.p/25', '/tile/1/000.p/0'];
    for (const path of paths) {
      for (let k = 0; k < 4; k++) {
        const [w, p] = await Promise.all([fetchRaw(server.url + path), fetchRaw(primary + path)]);
        expect(w.status, path).toBe(p.status);
        expect(w.body.equals(p.body), path).toBe(true);
        if (w.worker) workers.add(w.worker);
      }
    }
    // A read past the tree is not one a worker can answer: the primary's 404, forwarded.
    const past = await fetchRaw(`${server.url}/api/v1/log/entries?logIndex=${N + 1}`);
    expect(past.status).toBe(404);
    expect(past.worker).toBeUndefined();
    expect(workers.size).toBe(2);

    // /metrics covers every process: the uploads both workers answered, summed; the log's gauges once.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(sample('cairn_http_requests_total\\{route="/api/v1/log/entries",method="POST",status="201"\\}'), metrics).toBe(N + 1);
    expect(sample('cairn_http_requests_total\\{route="/api/v1/log/entries",method="POST",status="409"\\}')).toBe(1);
    expect(sample('cairn_tree_size')).toBe(N + 1);
    expect(sample('cairn_entries_appended_total')).toBe(N + 1);
    expect(sample('cairn_build_info\\{version="[^"]+",node="[^"]+"\\}')).toBe(1);

    // /readyz covers every worker: a worker that does not answer makes the server unready.
    const readyz = async () => {
      const r = await fetchRaw(`${primary}/readyz`);
      return { status: r.status, checks: (JSON.parse(r.body.toString()) as { checks: Record<string, { ok: boolean; detail?: string }> }).checks };
    };
    // Ready once every worker answers within 2 s (on a loaded machine not every time: retried).
    const readySoon = async () => {
      for (let i = 0; ; i++) {
        const r = await readyz();
        if (r.status === 200 || i === 20) return r;
        await new Promise((res) => setTimeout(res, 500));
      }
    };
    expect(await readySoon()).toMatchObject({ status: 200, checks: { workers: { ok: true, detail: '2 of 2 ready' } } });
    const [stopped] = [...workers].map(Number);
    process.kill(stopped, 'SIGSTOP');
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.checks.workers.ok).toBe(false);
      expect(r.checks.workers.detail).toContain(`worker ${stopped}: no answer`);
    } finally {
      process.kill(stopped, 'SIGCONT');
    }
    expect((await readySoon()).status).toBe(200);

    // SIGTERM to the primary with uploads in flight: the workers finish theirs (the primary still
    // appends), then the log closes; exit 0. Every upload answered 201 is in the log afterwards.
    const inFlight = Array.from({ length: 32 }, () =>
      fetch(`${server!.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(signer)) }).then(
        async (r) => (r.status === 201 ? Object.keys((await r.json()) as object)[0] : undefined),
        () => undefined, // cut off by the shutdown: never acknowledged
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGTERM');
    const acknowledged = (await Promise.all(inFlight)).filter((id): id is string => id !== undefined);
    expect(await server.exited).toBe('exit 0');
    expect(server.output()).toContain('shutdown complete');
    for (const pid of workers) expect(alive(Number(pid))).toBe(false);
    server = await startServer({ dataDir: dir, heartbeat: 0, startTimeoutMs: START_MS, args: ['--public-url', `http://${ORIGIN}`] });
    for (const id of acknowledged) expect((await fetch(`${server.url}/api/v1/log/entries/${id}`)).status, id).toBe(200);
  }, 400_000);
});

describe('cairn serve --workers 2 on a log that has entries', () => {
  // The workers' start-up check must not need the key index only the writing process has (they
  // died at start and respawned in a loop before).
  it('starts workers that answer reads themselves, with no worker dying', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-workers-start-'));
    let server: ServerProcess | undefined;
    try {
      const log = Log.open({ dataDir: dir, origin: ORIGIN, heartbeatMs: 0 });
      await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
      await log.close();
      server = await startServer({ dataDir: dir, heartbeat: 0, startTimeoutMs: START_MS, args: ['--workers', '2', '--origin', ORIGIN, '--log-level', 'info'] });
      const workers = new Map<string, number>();
      let first: Buffer | undefined;
      const twiceEach = () => workers.size === 2 && [...workers.values()].every((n) => n >= 2);
      for (let i = 0; i < 60 && !twiceEach(); i++) {
        const r = await fetchRaw(`${server.url}/tile/0/000`);
        expect(r.status).toBe(200);
        // From the second read on, a worker writes the answer it kept (answerKept): the same
        // bytes, still named by the worker that wrote them.
        expect(r.worker).toBeDefined();
        workers.set(r.worker!, (workers.get(r.worker!) ?? 0) + 1);
        first ??= r.body;
        expect(r.body.equals(first)).toBe(true);
      }
      expect(twiceEach()).toBe(true);
      expect(server.output()).not.toMatch(/cannot look up leaf hashes|worker died|exited/);
    } finally {
      await server?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, START_MS + 60_000);
});
