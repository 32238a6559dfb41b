// Shared helpers for the bench/ scripts: medians over repeated runs and a reusable large log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Log } from '../src/log/index.js';

export const BENCH_ORIGIN = 'bench.cairn.example/log';

/**
 * SERVER_NODE_FLAGS are the node flags the server runs with (package.json's start script and
 * bin/cairn.js); in-process benchmarks measure the log as the server runs it.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];

/**
 * withServerFlags re-runs the calling script under SERVER_NODE_FLAGS unless it already has them,
 * and exits with its status. Call it first thing in a benchmark.
 */
export function withServerFlags(): void {
  if (SERVER_NODE_FLAGS.every((f) => process.execArgv.includes(f))) return;
  const r = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

/** median returns the middle value (mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** machine describes where the figures came from. */
export function machine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}

/** fmt formats a rate with thousands separators. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** entryBody returns a deterministic ~350-byte body, the size of a typical hashedrekord canonical body. */
export function entryBody(i: number, salt = ''): Uint8Array {
  const hex = i.toString(16).padStart(64, '0');
  return new TextEncoder().encode(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: hex } }, signature: { content: salt + 'MEUCIQ'.padEnd(96, 'A'), publicKey: { content: 'LS0tLS1CRUdJTi'.padEnd(120, 'B') } } },
    }),
  );
}

/**
 * benchLog returns a log of at least n entries under bench/out/<name>, building it once (batches
 * of 4096 through the real sequencer) and reusing it on later runs.
 */
export async function benchLog(name: string, n: number, opts: { tileCacheSize?: number } = {}): Promise<{ log: Log; dir: string; built: boolean }> {
  const dir = join(import.meta.dirname, 'out', name);
  const fresh = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0, maxBatch: 4096, tileCacheSize: opts.tileCacheSize ?? 8192 });
  const t0 = performance.now();
  while (log.size < n) {
    const start = log.size;
    const k = Math.min(4096, n - start);
    await Promise.all(Array.from({ length: k }, (_, j) => log.append({ body: entryBody(start + j), kind: 'hashedrekord/0.0.1', indexKeys: [] })));
    if (start % 102400 < 4096 && start > 0) process.stderr.write(`  built ${start} entries\n`);
  }
  if (fresh || performance.now() - t0 > 1000) process.stderr.write(`  log ${name}: ${log.size} entries ready in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return { log, dir, built: fresh };
}
