/**
 * bench/ops-overhead.ts measures what operations add to every HTTP request: the observeRequests
 * middleware (one counter and one histogram update, one log line) in isolation, and end to end
 * as GET /checkpoint throughput through createApp against a bare express app serving the same
 * bytes. Run: npx tsx bench/ops-overhead.ts
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import { pino } from 'pino';
import { createApp } from '../src/api/index.js';
import { observeRequests } from '../src/api/ops.js';
import { Metrics } from '../src/api/index.js';
import { Log } from '../src/log/index.js';
import { BENCH_ORIGIN, fmt, machine, median } from './lib.js';

const RUNS = 5;

/** middlewareNs returns the median CPU cost in ns of one request through observeRequests (fake req/res). */
function middlewareNs(logger?: pino.Logger): number {
  // Without a logger: a no-op middleware, the cost of the fake request itself (subtracted).
  const mw = logger ? observeRequests(new Metrics({ processMetrics: false }), logger) : (_q: unknown, _s: unknown, next: () => void) => next();
  const req = { method: 'GET', baseUrl: '', route: { path: '/tile/:l/*path' } } as never;
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const n = 50_000;
    // CPU time, not wall time: on a shared machine the process is descheduled at random.
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: true, locals: {} });
      mw(req, res as never, () => {});
      res.emit('close');
    }
    const c = process.cpuUsage(c0);
    runs.push(((c.user + c.system) * 1000) / n);
  }
  return median(runs);
}

async function rps(app: { listen(port: number, host: string, cb: () => void): Server }, seconds: number): Promise<number> {
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/checkpoint`;
  const res = await autocannon({ url, connections: 16, duration: seconds });
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return res.requests.average;
}

const devnull = pino.destination({ dest: '/dev/null', sync: true });
console.log(`ops overhead, ${machine()}`);
const base = middlewareNs();
console.log(`observeRequests, metrics only (logger silent): ${(middlewareNs(pino({ level: 'silent' })) - base).toFixed(0)} ns/request`);
console.log(`observeRequests, metrics + JSON line, sync:   ${(middlewareNs(pino({ level: 'info' }, devnull)) - base).toFixed(0)} ns/request`);
// As cli/logger.ts writes to stdout: buffered, one write(2) per 4 KiB.
const buffered = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
console.log(`observeRequests, metrics + JSON line, buffered: ${(middlewareNs(pino({ level: 'info' }, buffered)) - base).toFixed(0)} ns/request`);

if (!process.env.MICRO_ONLY) await endToEnd(Number(process.env.SECONDS ?? 3));

/** endToEnd compares GET /checkpoint throughput: bare express, createApp quiet, createApp logging. */
async function endToEnd(secs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-ops-'));
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0 });
  const note = log.latest().c2sp;
  const bare = express();
  bare.get('/checkpoint', (_req, res) => {
    res.set('Content-Type', 'text/plain; charset=utf-8').set('Cache-Control', 'no-cache, max-age=0').send(note);
  });
  const quiet = createApp(log, { publicUrl: 'http://127.0.0.1' });
  const logged = createApp(log, { publicUrl: 'http://127.0.0.1', logger: pino({ level: 'info' }, buffered) });
  const r: Record<string, number[]> = { bare: [], quiet: [], logged: [] };
  for (let i = 0; i < 3; i++) {
    r.bare.push(await rps(bare, secs));
    r.quiet.push(await rps(quiet, secs));
    r.logged.push(await rps(logged, secs));
  }
  console.log(`GET /checkpoint, bare express:                   ${fmt(median(r.bare))} req/s`);
  console.log(`GET /checkpoint, createApp (metrics, no log):    ${fmt(median(r.quiet))} req/s`);
  console.log(`GET /checkpoint, createApp (metrics + log line): ${fmt(median(r.logged))} req/s`);
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}
