// verify-db on a large log: passes on the intact database, then fails naming the index on a copy
// with one tile byte flipped and on a copy with one body changed. Usage: npx tsx bench/verify-db.ts [size=1000000]
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { DB_FILE, KEY_FILE } from '../src/log/index.js';
import { BodyStream, chunkSizeOf } from '../src/storage/body-stream.js';
import { benchLog, fmt, machine } from './lib.js';

const size = Number(process.argv[2] ?? 1_000_000);
const { log, dir } = await benchLog(`log-${size}`, size);
await log.close();

function verify(d: string): { code: number; out: string; secs: number } {
  const t0 = performance.now();
  try {
    const out = execFileSync(process.execPath, ['bin/cairn.js', 'verify-db', '--data', d], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out: out.trim(), secs: (performance.now() - t0) / 1000 };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { code: err.status, out: err.stderr.trim(), secs: (performance.now() - t0) / 1000 };
  }
}

function tamperedCopy(name: string, mutate: (db: Database.Database) => void): string {
  const d = join(import.meta.dirname, 'out', name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  copyFileSync(join(dir, DB_FILE), join(d, DB_FILE));
  copyFileSync(join(dir, KEY_FILE), join(d, KEY_FILE));
  const db = new Database(join(d, DB_FILE));
  mutate(db);
  db.close();
  return d;
}

console.log(`verify-db benchmark — ${machine()} — log of ${fmt(size)} entries`);
const ok = verify(dir);
console.log(`intact:        exit ${ok.code} in ${ok.secs.toFixed(1)} s — ${ok.out}`);

const target = Math.floor(size * 0.7);
const tileIdx = Math.floor(target / 256);
const tile = tamperedCopy('tampered-tile', (db) => {
  const row = db.prepare('SELECT hashes FROM tiles WHERE level = 0 AND idx = ?').get(tileIdx) as { hashes: Buffer };
  row.hashes[(target % 256) * 32 + 7] ^= 0x10;
  db.prepare('UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = ?').run(row.hashes, tileIdx);
});
const t = verify(tile);
console.log(`tile byte:     exit ${t.code} in ${t.secs.toFixed(1)} s — ${t.out}  (changed: entry ${target})`);

const bodyIdx = Math.floor(size * 0.3) + 1;
const body = tamperedCopy('tampered-body', (db) => {
  // Schema 7: the new bytes go to the body stream's end and the entry points at them.
  const stream = new BodyStream(db, chunkSizeOf(db));
  const tampered = Buffer.from('{"tampered":true}');
  const at = stream.append(tampered);
  stream.flush();
  db.prepare('UPDATE entries SET body_at = ?, body_len = ? WHERE idx = ?').run(at, tampered.length, bodyIdx);
});
const b = verify(body);
console.log(`body:          exit ${b.code} in ${b.secs.toFixed(1)} s — ${b.out}  (changed: entry ${bodyIdx})`);
if (ok.code !== 0 || t.code === 0 || b.code === 0 || !t.out.includes(`entry ${target}`) || !b.out.includes(`entry ${bodyIdx}`)) process.exit(1);
