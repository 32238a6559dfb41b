/**
 * Search keys derived from the body instead of stored (issue 16, "store less"): entries admission
 * flags (hashedrekord) get no entry_keys row, and every reader derives their keys from the body
 * (src/storage/entry-keys.ts): the in-memory tail, the index worker's runs, the catch-up at start,
 * search's re-check and snapshots. Migration 006 drops the rows older logs stored for them.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { admitEntry, storedSearchKeys, type Admitted } from '../../src/kinds/index.js';
import { DB_FILE, INDEX_FILE, Log } from '../../src/log/index.js';
import { openSnapshot, SqliteStorage } from '../../src/storage/index.js';
import { migrations, openDb } from '../../src/storage/db.js';
import { ENTRY_KEYS_INSERT_SQL } from '../../src/storage/statements.js';
import { digestOf, fixture, fixtureKey, hashedrekordEntry, keyPair, publicPem, signArtifact } from '../kinds/helpers.js';
import { tempDir, TEST_ORIGIN } from '../helpers/test-log.js';

const { publicKey, privateKey } = keyPair('p256');

/** hashedrekord i: a bare-key entry, or (odd i) a certificate entry with subjectAltName keys. */
function hashedrekord(i: number): Admitted {
  const artifact = Buffer.from(`derived keys ${i}`);
  const hex = digestOf('sha256', artifact).toString('hex');
  const a = i % 2
    ? admitEntry(hashedrekordEntry(signArtifact(fixtureKey('leaf-p256.key'), 'sha256', artifact), fixture('leaf-p256.pem'), 'sha256', hex))
    : admitEntry(hashedrekordEntry(signArtifact(privateKey, 'sha256', artifact), publicPem(publicKey), 'sha256', hex));
  expect(a.derivedKeys).toBe(true);
  expect(storedSearchKeys(a.kind, a.body)).toEqual(a.indexKeys);
  return a;
}

/** Entries whose keys must stay stored: another kind, and hashedrekord bodies not flagged. */
const stored: Admitted[] = [
  { kind: 'dsse/0.0.1', body: Buffer.from('{"made":"up dsse"}'), indexKeys: ['sha256:' + 'ab'.repeat(32), 'subject:kept'] },
  { kind: 'hashedrekord/0.0.1', body: Buffer.from('{"made":"up"}'), indexKeys: ['email:made-up@example.com'] },
];

const logs: Log[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
});
function open(dataDir: string, index: { minRun?: number; maxTail?: number } = {}): Log {
  const log = Log.open({ dataDir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'NORMAL', index: { minRun: 1e9, ...index } });
  logs.push(log);
  return log;
}
async function reopen(log: Log, dir: string, index: { minRun?: number; maxTail?: number } = {}): Promise<Log> {
  await log.close();
  logs.splice(logs.indexOf(log), 1);
  if (index.maxTail !== undefined) rmSync(join(dir, INDEX_FILE)); // lost: rebuilt at start
  return open(dir, index);
}

/** expectFound: every entry is found under each of its keys, and nothing else is found under them. */
function expectFound(log: Log, entries: Admitted[]): void {
  const want = new Map<string, number[]>();
  entries.forEach((e, i) => e.indexKeys.forEach((k) => want.set(k, [...(want.get(k) ?? []), i])));
  for (const [k, idxs] of want) expect(log.search(k, 100), k).toEqual(idxs);
  expect(log.search('sha256:' + '00'.repeat(32), 100)).toEqual([]);
}

function keyRows(dir: string): number[] {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare<[], number>('SELECT idx FROM entry_keys ORDER BY idx').pluck().all();
  } finally {
    db.close();
  }
}

describe('search keys derived from the body', () => {
  it('stores no row for a flagged entry and finds it the same: from the tail, after a restart, from index.db, rebuilt, and in a snapshot', async () => {
    const dir = tempDir();
    let log = open(dir);
    const entries = [hashedrekord(0), hashedrekord(1), stored[0], hashedrekord(2), stored[1], hashedrekord(3)];
    for (const e of entries) await log.append(e);
    // Only the entries not flagged keep their keys in cairn.db.
    expect(keyRows(dir)).toEqual([2, 4]);
    expectFound(log, entries); // the in-memory tail
    log = await reopen(log, dir); // the tail rebuilt from cairn.db, keys derived
    expectFound(log, entries);
    await log.flushIndex(); // index.db's run derived them; every hit is re-checked against the body
    expectFound(log, entries);
    log = await reopen(log, dir);
    expectFound(log, entries);
    // index.db lost: rebuilt at start (the catch-up runs on this thread) past a tail of 1.
    log = await reopen(log, dir, { maxTail: 1 });
    expectFound(log, entries);
    await log.flushIndex();
    expect(keyRows(dir)).toEqual([2, 4]);
    const snap = openSnapshot(dir);
    try {
      expect(snap.keys(0, entries.length)).toEqual(entries.map((e) => e.indexKeys));
    } finally {
      snap.close();
    }
  }, 180_000); // five opens of a log: slow on a loaded machine

  it('derives nothing for an entry appended with no keys and no flag: it keeps an empty row, and its body\'s keys find nothing', async () => {
    const dir = tempDir();
    let log = open(dir);
    const real = hashedrekord(1); // a body whose keys could be derived
    const flagged = hashedrekord(2);
    await log.append({ kind: real.kind, body: real.body, indexKeys: [] });
    await log.append(flagged);
    expect(keyRows(dir)).toEqual([0]);
    const none = (l: Log) => real.indexKeys.forEach((k) => expect(l.search(k, 100), k).toEqual([]));
    none(log);
    log = await reopen(log, dir);
    none(log);
    await log.flushIndex();
    none(log);
    expectFound(log, [{ ...real, indexKeys: [] }, flagged]);
  }, 120_000);

  it('takes the flag from the kind\'s admit only, never from the request', () => {
    const x = Buffer.from('x');
    const entry = hashedrekordEntry(signArtifact(privateKey, 'sha256', x), publicPem(publicKey), 'sha256', digestOf('sha256', x).toString('hex'));
    expect(admitEntry({ ...entry, derivedKeys: false }).derivedKeys).toBe(true);
    expect(admitEntry({ ...entry, spec: { ...entry.spec, derivedKeys: false } }).derivedKeys).toBe(true);
  });
});

describe('migration 006', () => {
  it('drops, in place, the key rows an entry\'s body gives back, and keeps every other row; search answers the same', async () => {
    const dir = tempDir();
    const path = join(dir, DB_FILE);
    const old = new Database(path);
    for (const [v, sql] of migrations().filter(([v]) => v <= 5)) {
      old.exec(sql);
      old.pragma(`user_version = ${v}`);
    }
    const flagged = Array.from({ length: 20 }, (_, i) => hashedrekord(i));
    const entries: Admitted[] = [...flagged.slice(0, 10), ...stored, ...flagged.slice(10)];
    // An entry of a derivable kind whose stored keys differ from its body's: its row is kept.
    const other = { ...hashedrekord(21), indexKeys: ['email:other@example.com'] };
    entries.push(other);
    const ins = old.prepare('INSERT INTO entries (idx, leaf_hash, body, kind, integrated_time, entry_ts) VALUES (?, ?, ?, ?, ?, ?)'); // schema 5's row
    const keys = old.prepare(ENTRY_KEYS_INSERT_SQL);
    entries.forEach((e, i) => {
      ins.run(i, Buffer.alloc(32, i), e.body, e.kind, 1700000000, null);
      // Migration 004 stored keys sorted; the same set in another order is still the same keys.
      keys.run(i, JSON.stringify(i % 3 ? e.indexKeys : [...e.indexKeys].sort()));
    });
    old.close();

    const seen: [string, number, number][] = [];
    const db = openDb(path, { onMigrate: (what, done, total) => seen.push([what, done, total]) });
    expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(6);
    db.close();
    expect(keyRows(dir)).toEqual([10, 11, entries.length - 1]);
    expect(seen.filter(([what]) => what.includes('search keys')).at(-1)).toEqual([expect.stringContaining('search keys'), entries.length, entries.length]);

    const s = SqliteStorage.open(dir, { index: { minRun: 1e9 } });
    try {
      const check = () => {
        for (const [i, e] of entries.entries()) for (const k of e.indexKeys) expect(s.search(k, 100, entries.length), k).toContain(i);
        expect(s.search(other.indexKeys[0], 100, entries.length)).toEqual([entries.length - 1]);
      };
      check();
      await s.flushIndex(entries.length);
      check();
    } finally {
      await s.close();
    }
    // Opening again finds the migration done: nothing more is dropped.
    openDb(path).close();
    expect(keyRows(dir)).toEqual([10, 11, entries.length - 1]);
  });
});
