// Bytes an entry beyond its body, by table, on logs of each size given (3 search keys an entry).
//
//   npx tsx bench/storage-size.ts 100000 1000000
//   npx tsx bench/storage-size.ts --derived 1000000
//
// --derived: real hashedrekord bodies whose 3 keys the log derives instead of storing (issue 16):
// sha256 of the entry, and the key and DNS subjectAltName of one of 256 self-signed certificates
// (made once by openssl in bench/out/certs). Without it, made-up bodies whose 3 keys are stored.
//
// Each log is built in bench/out/size-<n> through Log.append (batches of 8192, synchronous=OFF:
// what is measured is the files, not the time), its index.db caught up, the log closed (WAL
// checkpointed), then SQLite's dbstat gives every table's and index's pages. The table holding the
// bodies ("entries", or "body_chunks" from schema 7 on) is shown without its bodies' bytes;
// "total" is both files' size less the bodies.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE, INDEX_FILE, Log } from '../src/log/index.js';
import { storedSearchKeys } from '../src/kinds/index.js';
import { BENCH_ORIGIN, entryBody, fmt, machine } from './lib.js';

const derived = process.argv.includes('--derived');
const sizes = process.argv.slice(2).filter((a) => a !== '--derived').map(Number);
if (sizes.length === 0) sizes.push(100_000);

const hex = (i: number, tag: string) => (tag + i.toString(16)).padStart(64, '0');
const keysOf = (i: number) => [`sha256:${hex(i, 'a')}`, `key:${hex(Math.floor(i / 5), 'b')}`, `email:user${Math.floor(i / 50)}@example.com`];

/** certs returns 256 self-signed P-256 certificates (PEM) with one DNS subjectAltName each. */
function certs(): string[] {
  const dir = join(import.meta.dirname, 'out', 'certs');
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: 256 }, (_, i) => {
    const pem = join(dir, `c${i}.pem`);
    if (!existsSync(pem)) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `c${i}.key`), '-out', pem, '-days', '3650', '-subj', `/CN=c${i}`, '-addext', `subjectAltName=DNS:host${i}.example`], { stdio: 'ignore' });
    }
    return readFileSync(pem, 'utf8');
  });
}

/**
 * derivedEntry is entry i as a hashedrekord body with a real certificate, and the keys it derives
 * to: flagged derivedKeys, as hashedrekord's admit flags them (on main before the flag: ignored).
 */
function derivedEntry(i: number, pool: string[]): { body: Uint8Array; indexKeys: string[]; derivedKeys: true } {
  const body = new TextEncoder().encode(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: hex(i, 'a') } }, signature: { content: 'MEUCIQ'.padEnd(96, 'A'), publicKey: { content: Buffer.from(pool[i % pool.length]).toString('base64') } } },
    }),
  );
  return { body, indexKeys: storedSearchKeys('hashedrekord/0.0.1', body)!, derivedKeys: true };
}

async function build(dir: string, n: number): Promise<void> {
  const pool = derived ? certs() : [];
  mkdirSync(dir, { recursive: true });
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0, maxBatch: 8192, synchronous: 'OFF' });
  const t0 = performance.now();
  while (log.size < n) {
    const start = log.size;
    const k = Math.min(8192, n - start);
    const entry = (i: number) => (derived ? derivedEntry(i, pool) : { body: entryBody(i, 'size'), indexKeys: keysOf(i) });
    await Promise.all(Array.from({ length: k }, (_, j) => log.append({ kind: 'hashedrekord/0.0.1', ...entry(start + j) })));
    if (start % 204800 < 8192 && start > 0) process.stderr.write(`  ${fmt(start)} entries (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  await log.flushIndex();
  await log.close();
}

function pages(path: string): Map<string, number> {
  const db = new Database(path, { readonly: true });
  const m = new Map<string, number>();
  for (const r of db.prepare<[], { name: string; bytes: number }>('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all()) m.set(r.name, r.bytes);
  db.close();
  return m;
}

console.log(`storage-size: bytes an entry beyond the body, 3 search keys an entry — ${machine()}`);
for (const n of sizes) {
  const dir = join(import.meta.dirname, 'out', `size-${derived ? 'derived-' : ''}${n}`);
  if (!existsSync(join(dir, DB_FILE))) await build(dir, n);
  const log = new Database(join(dir, DB_FILE), { readonly: true });
  const count = log.prepare<[], number>('SELECT COUNT(*) FROM entries').pluck().get()!;
  // Schema 7 keeps bodies in body_chunks (shown less the bodies' bytes); before it, in entries.
  const chunked = log.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'body_chunks'").get() !== undefined;
  const bodies = log.prepare<[], number>(chunked ? 'SELECT SUM(body_len) FROM entries' : 'SELECT SUM(length(body)) FROM entries').pluck().get()!;
  log.close();
  const rows: [string, number][] = [];
  for (const [file, label] of [[DB_FILE, ''], [INDEX_FILE, 'index.db ']] as const) {
    for (const [name, bytes] of pages(join(dir, file))) rows.push([label + name, name === (chunked ? 'body_chunks' : 'entries') ? bytes - bodies : bytes]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const files = [DB_FILE, INDEX_FILE].reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  console.log(`  ${fmt(count)} entries, average body ${(bodies / count).toFixed(0)} B: total ${((files - bodies) / count).toFixed(1)} B/entry beyond the body`);
  for (const [name, bytes] of rows) if (bytes / count >= 0.05) console.log(`    ${name.padEnd(34)} ${(bytes / count).toFixed(1).padStart(7)} B/entry`);
}
