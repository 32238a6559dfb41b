import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { DB_FILE, Log, auditDatabase } from '../../src/log/index.js';
import { leafHash, verifyConsistency } from '../../src/merkle/index.js';
import { c2spVerifier, openCheckpoint, rekorVerifier } from '../../src/note/index.js';
import { referenceRoot } from '../helpers/reference-root.js';
import { TEST_ORIGIN, body, openTestLog, tempDir } from '../helpers/test-log.js';
import { replaceBody } from '../helpers/sqlite.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Ack {
  index: number;
  leafHex: string;
  size: number;
  rootHex: string;
}

/** writeUntilKilled runs test/helpers/log-writer.ts and SIGKILLs it after `acks` ACKs (or 20 s), returning them. */
function writeUntilKilled(dir: string, salt: string, acks: number, heartbeatMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/log-writer.ts', dir, TEST_ORIGIN, salt, String(heartbeatMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const seen: Ack[] = [];
    let buf = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [tag, a, b, c, r] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (tag === 'ACK') seen.push({ index: Number(a), leafHex: b, size: Number(c), rootHex: r });
      }
      if (seen.length >= acks) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${signal ?? code})`));
      else resolve(seen);
    });
  });
}

interface CpRow {
  size: number;
  root_hash: Buffer;
  c2sp: string;
  rekor: string;
}

function checkpointRows(dir: string): CpRow[] {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare<[], CpRow>('SELECT size, root_hash, c2sp, rekor FROM checkpoints ORDER BY size').all();
  } finally {
    db.close();
  }
}

describe('no equivocation', () => {
  it('signs one root per size across SIGKILLs, heartbeats and restarts, and every stored checkpoint verifies', async () => {
    const dir = tempDir();
    // Every (size → root) any client was ever shown: in receipts, in the DB after each crash, at reopen.
    const shown = new Map<number, string>();
    const see = (size: number, rootHex: string, where: string) => {
      const before = shown.get(size);
      if (before !== undefined && before !== rootHex) throw new Error(`equivocation at size ${size} (${where}): ${before} vs ${rootHex}`);
      shown.set(size, rootHex);
    };
    let rows = 0;
    for (let round = 0; round < 2; round++) {
      const acks = await writeUntilKilled(dir, `eq${round}`, 300 + round * 300, 50);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) see(a.size, a.rootHex, `receipt in round ${round}`);

      const stored = checkpointRows(dir);
      const sizes = stored.map((r) => r.size);
      expect(new Set(sizes).size).toBe(sizes.length);
      rows = stored.length;
      const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
      try {
        const pem = log.key.publicKeyPem;
        const c2sp = [c2spVerifier(TEST_ORIGIN, pem)];
        const rekor = [rekorVerifier(TEST_ORIGIN, pem)];
        for (const r of stored) {
          see(r.size, hex(r.root_hash), `stored after round ${round}`);
          // Both signed notes verify and commit to exactly the row's size and root.
          for (const [note, v] of [[r.c2sp, c2sp], [r.rekor, rekor]] as const) {
            const { checkpoint } = openCheckpoint(note, v);
            expect(checkpoint.origin).toBe(TEST_ORIGIN);
            expect(checkpoint.size).toBe(r.size);
            expect(hex(checkpoint.rootHash)).toBe(hex(r.root_hash));
          }
          // The tree as stored now has that root at that size.
          expect(hex(log.rootAt(r.size))).toBe(hex(r.root_hash));
        }
        const latest = log.latest();
        see(latest.size, hex(latest.rootHash), 'reopened');
        // The reopened tree extends every tree any receipt showed.
        for (const [size, rootHex] of shown) {
          verifyConsistency(size, latest.size, log.consistencyProof(size, latest.size), Buffer.from(rootHex, 'hex'), latest.rootHash);
        }
      } finally {
        await log.close(); // re-signs the latest size: must keep its root
      }
      expect(auditDatabase(dir).problem).toBeUndefined();
    }
    expect(rows).toBeGreaterThan(3);
    expect(shown.size).toBeGreaterThan(3);
  });

  it('refuses to start on a checkpoint row whose root differs from what its signature covers, even with matching tiles', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir });
    for (let i = 0; i < 10; i++) await log.append({ body: body(i), kind: 'test', indexKeys: [] });
    const leaves = Array.from({ length: 10 }, (_, i) => log.entryByIndex(i)!.leafHash);
    const signedRoot = hex(log.latest().rootHash);
    await log.close();

    // Forge a different, internally consistent tree of the same size: new last entry, tile and
    // checkpoint root, keeping the old signatures (the forger has no key). If the log accepted this
    // it would re-sign size 10 with a second root at its first heartbeat or shutdown.
    const forged = body(999, 'forged');
    leaves[9] = leafHash(forged);
    const db = new Database(join(dir, DB_FILE));
    replaceBody(db, 9, forged, leaves[9]);
    db.prepare('UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = 0').run(Buffer.concat(leaves));
    db.prepare('UPDATE checkpoints SET root_hash = ? WHERE size = 10').run(referenceRoot(leaves));
    db.close();

    let err: unknown;
    try {
      const reopened = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
      await reopened.close();
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err, 'CORRUPT')).toBe(true);
    expect((err as Error).message).toMatch(/checkpoint/);
    // Nothing was re-signed: the stored notes still carry the original root.
    const row = checkpointRows(dir).find((r) => r.size === 10)!;
    expect(row.c2sp).toContain(Buffer.from(signedRoot, 'hex').toString('base64'));
    expect(auditDatabase(dir).problem).toMatch(/size 10/);
  });

  it('refuses to start when the latest root does not match the tiles, and never signs over it', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir });
    for (let i = 0; i < 5; i++) await log.append({ body: body(i), kind: 'test', indexKeys: [] });
    await log.close();
    const db = new Database(join(dir, DB_FILE));
    db.prepare('UPDATE checkpoints SET root_hash = ? WHERE size = 5').run(Buffer.alloc(32, 7));
    db.close();
    expect(() => Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 })).toThrow(/checkpoint|root/);
    expect(checkpointRows(dir).filter((r) => r.size === 5)).toHaveLength(1);
  });

  it('cannot store a second root for a signed size, and the in-memory tree is unchanged by the refusal', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir });
    for (let i = 0; i < 4; i++) await log.append({ body: body(i), kind: 'test', indexKeys: [] });
    const before = log.latest();
    // A checkpoint for the next size is planted behind the sequencer's back; the batch that would
    // sign size 5 must fail as a whole rather than sign a second root for it.
    const plant = new Database(join(dir, DB_FILE));
    plant.prepare('INSERT INTO checkpoints (size, root_hash, signed_at, c2sp, rekor) VALUES (?, ?, ?, ?, ?)').run(5, new Uint8Array(32).fill(9), before.signedAt, before.c2sp, before.rekor);
    plant.close();
    await expect(log.append({ body: body(4), kind: 'test', indexKeys: [] })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(log.size).toBe(4);
    expect(hex(log.latest().rootHash)).toBe(hex(before.rootHash));
    expect(log.entryByIndex(4)).toBeUndefined();
    expect(log.entries(0, 10)).toHaveLength(4);
  });

  it('an older tampered checkpoint row is named by verify-db', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir });
    for (let i = 0; i < 6; i++) await log.append({ body: body(i), kind: 'test', indexKeys: [] });
    await log.close();
    const db = new Database(join(dir, DB_FILE));
    db.prepare('UPDATE checkpoints SET root_hash = ? WHERE size = 3').run(Buffer.alloc(32, 1));
    db.close();
    expect(auditDatabase(dir).problem).toBe('checkpoint at size 3: root does not match the tree');
  });

  it('a second writer on the same data is refused while the first runs, and may open once it is gone', async () => {
    const dir = tempDir();
    const a = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    for (let i = 0; i < 5; i++) await a.append({ body: body(i, 'a'), kind: 'test', indexKeys: [] });
    // A second writer would sequence from its own stale view: it could never integrate again and
    // would serve (and heartbeat) a stale tree. It must not start at all.
    expect(() => Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 })).toThrow(/another Cairn process .* open for writing/);
    expect(auditDatabase(dir).problem).toBeUndefined(); // readers are not blocked
    await a.append({ body: body(5, 'a'), kind: 'test', indexKeys: [] });
    await a.close();
    const b = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    expect(b.size).toBe(6);
    await b.close();
  });

  it('a writer killed with SIGKILL leaves no stale lock', async () => {
    const dir = tempDir();
    const acks = await writeUntilKilled(dir, 'lock', 20, 0);
    expect(acks.length).toBeGreaterThan(0);
    const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    expect(log.size).toBeGreaterThanOrEqual(acks.length);
    await log.close();
  });
});
