import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { body } from '../helpers/test-log.js';
import { blockSequencer, opsLog } from './helpers.js';
import { sqliteOf } from '../helpers/sqlite.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface ReadOnlyRun {
  bypassesPermissions: boolean;
  before: { status: number };
  during: { status: number; body: { checks: Record<string, unknown> } };
  after: { status: number };
}

/**
 * runReadOnlyChild runs test/ops/readonly-child.ts from the checkout at cwd. chmod does not bind
 * root, so as root the child runs without the two capabilities that bypass file permissions
 * (setpriv): still root, so it reads a checkout only root may enter (a clone under /root or in a
 * 0700 temp directory, where dropping to another user could not even load the code).
 */
function runReadOnlyChild(cwd: string): ReadOnlyRun {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const child = [process.execPath, '--import', 'tsx', 'test/ops/readonly-child.ts'];
  const [cmd, ...args] = process.getuid?.() === 0 && setpriv ? [setpriv, '--bounding-set=-dac_override,-dac_read_search', '--', ...child] : child;
  return JSON.parse(execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 15_000 })) as ReadOnlyRun;
}

function expectReadOnlyScenario(out: ReadOnlyRun): void {
  expect(out.before.status).toBe(200);
  expect(out.after.status).toBe(200);
  if (out.bypassesPermissions) {
    // Root with no way to give up its capabilities: it may still write, and ready says so.
    expect(out.during.status).toBe(200);
    return;
  }
  expect(out.during.status).toBe(503);
  expect(out.during.body.checks.database).toMatchObject({ ok: false, detail: expect.stringMatching(/^not writable: .*cairn\.db: EACCES$/) });
}

describe('GET /healthz and /readyz', () => {
  it('reports alive and ready on a working log', async () => {
    const { app } = opsLog();
    const h = await request(app).get('/healthz').expect(200);
    expect(h.body).toEqual({ status: 'ok' });
    const r = await request(app).get('/readyz').expect(200);
    expect(r.body.status).toBe('ready');
    expect(r.body.checks.database.ok).toBe(true);
    expect(r.body.checks.signer.ok).toBe(true);
    expect(r.body.checks.sequencer.ok).toBe(true);
  });

  it('is not ready while the database refuses writes, and stays unready until a batch commits again', async () => {
    const { log, app } = opsLog();
    await log.append({ body: body(1), kind: 'test', indexKeys: [] });
    // chmod cannot make a running log's database read-only: permissions are checked at open(), and
    // the log holds its database and WAL open (and tests may run as root, where chmod stops
    // nothing). query_only makes SQLite itself refuse every write on the log's own connection with
    // SQLITE_READONLY: what a read-only remount or a revoked lock looks like to the sequencer.
    // Both connections that write get it: the probe's (this one) and the log writer thread's.
    await sqliteOf(log).pragma('query_only = ON');
    const r = await request(app).get('/readyz').expect(503);
    expect(r.body.status).toBe('not ready');
    expect(r.body.checks.database.ok).toBe(false);
    expect(r.body.checks.database.detail).toMatch(/readonly/i);
    expect(r.body.checks.signer.ok).toBe(true);

    // The sequencer's commit really fails, and the failure is answered as "unavailable".
    const err = await log.append({ body: body(2), kind: 'test', indexKeys: [] }).catch((e: unknown) => e);
    expect(isCairnError(err, 'UNAVAILABLE')).toBe(true);
    expect(log.size).toBe(1);

    // Writable again: the probe passes, but the failed batch keeps the log unready until one commits.
    await sqliteOf(log).pragma('query_only = OFF');
    const r2 = await request(app).get('/readyz').expect(503);
    expect(r2.body.checks.database.detail).toMatch(/last batch failed/);
    await log.append({ body: body(2), kind: 'test', indexKeys: [] });
    await request(app).get('/readyz').expect(200);
    expect(log.size).toBe(2);
  });

  it('is not ready when the database file and directory are chmodded read-only while running', () => {
    expectReadOnlyScenario(runReadOnlyChild(ROOT));
  });

  it('runs the read-only scenario the same from a checkout in a private (0700) directory', () => {
    // As a user would clone it: mkdtemp makes the directory 0700. The project's files are copied;
    // node_modules is linked (it holds nothing the scenario writes).
    const dir = mkdtempSync(join(tmpdir(), 'cairn-private-'));
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const copy = join(dir, 'cairn');
      for (const f of readdirSync(ROOT)) if (!['node_modules', '.git', 'data', 'dist'].includes(f)) cpSync(join(ROOT, f), join(copy, f), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      expectReadOnlyScenario(runReadOnlyChild(copy));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not ready when the sequencer has stalled with entries waiting', async () => {
    let now = Date.now();
    const clock = () => now;
    const { log, app } = opsLog({ now: clock }, {}, { stallMs: 30_000, now: clock });
    const resume = blockSequencer(log);
    const pending = log.append({ body: body(1), kind: 'test', indexKeys: [] });
    expect(log.pending).toBe(1);
    // Waiting a while is normal...
    now += 29_000;
    await request(app).get('/readyz').expect(200);
    // ...waiting past --stall-seconds is not.
    now += 2_000;
    const r = await request(app).get('/readyz').expect(503);
    expect(r.body.checks.sequencer).toMatchObject({ ok: false });
    expect(r.body.checks.sequencer.detail).toBe('stalled: 1 pending, oldest waiting 31 s');
    // Liveness does not depend on it: restarting would not help a stuck disk.
    await request(app).get('/healthz').expect(200);
    resume();
    await pending;
    await request(app).get('/readyz').expect(200);
  });

  it('is not ready once draining for shutdown, and is not cacheable', async () => {
    const { app, readiness } = opsLog();
    readiness.drain();
    const r = await request(app).get('/readyz').expect(503);
    expect(r.body.checks.shutdown).toEqual({ ok: false, detail: 'shutting down' });
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers.connection).toBe('close');
  });

  it('is not ready once the log is closed', async () => {
    const { log, app } = opsLog();
    await log.close();
    const r = await request(app).get('/readyz').expect(503);
    expect(r.body.checks.database).toEqual({ ok: false, detail: 'database is closed' });
  });
});
