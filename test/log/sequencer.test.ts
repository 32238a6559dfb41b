/**
 * The sequencer builds a batch while the previous one commits. With a writer whose commits the
 * test settles by hand: batches are built on uncommitted ones, answered strictly in order, and a
 * failed batch takes every batch built on it down with it, after which the log continues from
 * what is committed.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { CheckpointSigner, Sequencer, TileCache, loadOrCreateKey, type Receipt } from '../../src/log/index.js';
import { EMPTY_ROOT, leafHash, verifyInclusion } from '../../src/merkle/index.js';
import { openDb } from '../../src/storage/db.js';
import { KeyIndex } from '../../src/storage/key-index.js';
import type { BatchWrite, SyncLogStorage } from '../../src/storage/index.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';

/** A storage driver stand-in: a real key index, but each commit is recorded and the test commits or fails it. */
class HandWriter {
  calls: { b: BatchWrite; commit: () => void; fail: (code: string) => void }[] = [];
  constructor(private readonly keys: KeyIndex) {}
  leafIndex = (h: Uint8Array) => this.keys.indexOf(h);
  stage = (i: number, h: Uint8Array, k: readonly string[]) => this.keys.add(i, h, k);
  unstage = (size: number) => this.keys.truncate(size);
  backpressure = () => undefined;
  commit(b: BatchWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ b, commit: resolve, fail: (code) => reject(Object.assign(new Error(`injected ${code}`), { code })) });
    });
  }
}

const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const indexes: KeyIndex[] = [];
afterEach(async () => {
  for (const k of indexes.splice(0)) await k.close();
});

function setup() {
  const dir = tempDir();
  const logPath = join(dir, 'cairn.db');
  const db = openDb(logPath);
  const keys = KeyIndex.open({ logDb: db, logPath, indexPath: join(dir, 'index.db'), minRun: 1e9 }, 0);
  indexes.push(keys);
  const signer = new CheckpointSigner(TEST_ORIGIN, loadOrCreateKey(dir, undefined, 'ed25519').key);
  const writer = new HandWriter(keys);
  const seq = new Sequencer({
    storage: writer as unknown as SyncLogStorage,
    // Nothing reaches storage here: every tile the sequencer reads is one of its batches'.
    tiles: new TileCache(() => undefined),
    signer,
    entryTimestamp: () => new Uint8Array(0),
    now: () => 1_700_000_000_000,
    maxBatch: 1,
    maxQueue: 100,
    latest: signer.sign(0, EMPTY_ROOT, 0),
  });
  const submit = (i: number) => seq.submit({ body: body(i), kind: 'test', indexKeys: [`k:${i}`] });
  return { seq, writer, submit };
}

/** settled reports which of the promises have settled so far. */
function tracker<T>(ps: Promise<T>[]) {
  const done = ps.map(() => false);
  ps.forEach((p, i) => p.then(() => (done[i] = true), () => (done[i] = true)));
  return done;
}

function expectValid(r: Receipt, i: number, index: number): void {
  expect(r.entry.index).toBe(index);
  verifyInclusion(leafHash(body(i)), index, r.checkpoint.size, r.proof, r.checkpoint.rootHash);
}

describe('Sequencer pipeline', () => {
  it('builds the next batch on one still committing, and answers both in order', async () => {
    const { seq, writer, submit } = setup();
    const ps = [submit(0), submit(1), submit(2)];
    const done = tracker(ps);
    await turns();
    // Two batches in flight (the second built on the first's uncommitted tree), the third waits.
    expect(writer.calls.map((c) => [c.b.oldSize, c.b.checkpoint.size])).toEqual([[0, 1], [1, 2]]);
    // The second commits first: nothing is answered before the first has committed too.
    writer.calls[1].commit();
    await turns();
    expect(done).toEqual([false, false, false]);
    expect(seq.latest.size).toBe(0);
    writer.calls[0].commit();
    const [r0, r1] = await Promise.all([ps[0], ps[1]]);
    expectValid(r0, 0, 0);
    expectValid(r1, 1, 1);
    expect(seq.latest.size).toBe(2);
    await turns();
    expect(writer.calls[2].b.oldSize).toBe(2);
    writer.calls[2].commit();
    expectValid(await ps[2], 2, 2);
  });

  it('fails every batch built on a failed one, forgets them, and continues from what is committed', async () => {
    const { seq, writer, submit } = setup();
    const ps = [submit(0), submit(1), submit(2)];
    await turns();
    expect(writer.calls).toHaveLength(2);
    writer.calls[0].fail('SQLITE_FULL');
    for (const p of ps.slice(0, 2)) {
      const e = await p.catch((x: unknown) => x);
      expect(isCairnError(e, 'UNAVAILABLE')).toBe(true);
      expect((e as Error).message).toMatch(/storage is not writable: injected SQLITE_FULL/);
    }
    // The writer's late answer for the batch built on the failed one changes nothing.
    writer.calls[1].fail('CAIRN_STALE_BATCH');
    await turns();
    expect(seq.latest.size).toBe(0);
    // The next batch builds on the committed size again.
    expect(writer.calls[2].b.oldSize).toBe(0);
    writer.calls[2].commit();
    expectValid(await ps[2], 2, 0);
    // The failed entries were forgotten by the key index: resubmitted, they are new, not duplicates.
    const again = [submit(0), submit(1)];
    await turns();
    expect(writer.calls.slice(3).map((c) => c.b.oldSize)).toEqual([1, 2]);
    writer.calls[3].commit();
    writer.calls[4].commit();
    const [a0, a1] = await Promise.all(again);
    expectValid(a0, 0, 1);
    expectValid(a1, 1, 2);
    expect(seq.latest.size).toBe(3);
  });

  it('answers a duplicate of an entry in flight only once that entry has committed, and not as a duplicate if it failed', async () => {
    const { writer, submit } = setup();
    const first = submit(7);
    const dup = submit(7);
    const done = tracker([first, dup]);
    await turns();
    expect(writer.calls).toHaveLength(1); // the duplicate's batch has nothing to write
    expect(done).toEqual([false, false]);
    writer.calls[0].fail('SQLITE_IOERR');
    const e = await dup.catch((x: unknown) => x);
    expect(isCairnError(e, 'UNAVAILABLE')).toBe(true);
    await first.catch(() => {});

    const second = submit(7);
    const dup2 = submit(7);
    await turns();
    writer.calls[1].commit();
    expectValid(await second, 7, 0);
    const d = await dup2.catch((x: unknown) => x);
    expect(isCairnError(d, 'DUPLICATE')).toBe(true);
    expect((d as { details?: { index?: number } }).details?.index).toBe(0);
  });
});
