/**
 * The storage driver contract's test suite (src/storage/contract.ts), parameterised by driver:
 * every MUST there is exercised here, through the contract's interface only and awaiting every
 * call, so a driver whose reads are async (PostgreSQL) runs it unchanged. A driver's test file
 * calls storageContract with a factory (sqlite-contract.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, HASH_SIZE, integrate, leafHash, rootHash, tileWidthAt, tilesForSize, type ReadNodes } from '../../src/merkle/index.js';
import { TileCache } from '../../src/log/index.js';
import type { BatchWrite, CheckpointRow, LogIdentity, LogSnapshot, LogStorage } from '../../src/storage/index.js';
import { admitEntry, type Admitted } from '../../src/kinds/index.js';
import { digestOf, hashedrekordEntry, keyPair, publicPem, signArtifact } from '../kinds/helpers.js';

/** DriverFactory is what a driver gives the suite. A "place" is where one log lives (a directory, a schema). */
export interface DriverFactory {
  place(): string;
  open(place: string): Promise<LogStorage>;
  /** crash leaves the log as a killed process would: no clean close, the lock freed. */
  crash(s: LogStorage): Promise<void>;
  /** breakWrites makes the storage refuse writes (a full or read-only disk); fixWrites undoes it. */
  breakWrites(s: LogStorage): Promise<void>;
  fixWrites(s: LogStorage): Promise<void>;
  snapshot(place: string): Promise<LogSnapshot>;
  /** restore makes a new place from a file written by LogSnapshot.backup. */
  restore(backup: string): Promise<string>;
  /** backupPath is where a backup of a place may be written. */
  backupPath(): string;
}

const ID: LogIdentity = { origin: 'contract.test/log', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', treeId: '42' };
const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** plain turns every byte array in x into hex, so rows compare by content whatever array type a driver returns. */
const plain = (x: unknown): unknown =>
  x instanceof Uint8Array ? hex(x) : Array.isArray(x) ? x.map(plain) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)])) : x;

function checkpoint(size: number, root: Uint8Array, signedAt = 1000 + size): CheckpointRow {
  return { size, rootHash: root, signedAt, c2sp: `c2sp ${size} ${hex(root)} ${signedAt}\n`, rekor: `rekor ${size} ${signedAt}\n` };
}

/** Tree builds consistent batches: real leaf hashes, tiles and roots, as the sequencer would. */
class Tree {
  readonly tiles = new Map<string, Uint8Array>();
  size = 0;
  readonly read: ReadNodes = (nodes) => new TileCache((l, i) => this.tiles.get(`${l}/${i}`)).readNodes(nodes);

  /** batch returns the next batch of n entries, or of these admitted ones (not yet applied: apply() once committed). */
  batch(n: number, salt = '', admitted?: Admitted[]): BatchWrite & { apply: () => void } {
    const entries = Array.from({ length: n }, (_, i) => {
      const body = admitted?.[i].body ?? enc(`entry ${this.size + i} ${salt}`);
      return { index: this.size + i, leafHash: leafHash(body), body, kind: admitted?.[i].kind ?? 'test', integratedTime: 1_700_000_000 + i };
    });
    const updates = integrate(this.size, entries.map((e) => e.leafHash), (l, i) => this.tiles.get(`${l}/${i}`));
    const after = new Map(this.tiles);
    for (const u of updates) after.set(`${u.level}/${u.index}`, u.data);
    const newSize = this.size + n;
    const root = rootHash(newSize, new TileCache((l, i) => after.get(`${l}/${i}`)).readNodes);
    const b = {
      oldSize: this.size,
      entries,
      keys: admitted ? admitted.map((a) => a.indexKeys) : entries.map((e) => [`k:${e.index % 3}`, `id:${e.index}`]),
      ...(admitted ? { derivedKeys: admitted.map((a) => a.derivedKeys === true) } : {}),
      tiles: updates.map((u) => ({ level: u.level, index: u.index, data: u.data })),
      checkpoint: checkpoint(newSize, root),
    };
    return {
      ...b,
      apply: () => {
        for (const [k, v] of after) this.tiles.set(k, v);
        this.size = newSize;
      },
    };
  }
}

/** stageAll stages a batch's leaves, as the sequencer does before committing. */
function stageAll(s: LogStorage, b: BatchWrite): void {
  b.entries.forEach((e, i) => s.stage(e.index, e.leafHash, b.keys[i]));
}

async function commit(s: LogStorage, t: Tree, n: number, salt = '', admitted?: Admitted[]): Promise<BatchWrite> {
  const b = t.batch(n, salt, admitted);
  stageAll(s, b);
  await s.commit(b);
  b.apply();
  return b;
}

/** expectComplete checks that everything a reader needs for the checkpoint of `size` is readable. */
async function expectComplete(s: LogStorage | LogSnapshot, size: number): Promise<void> {
  expect(await s.count()).toBeGreaterThanOrEqual(size);
  for (const t of tilesForSize(size)) {
    const data = await s.tile(t.level, t.index);
    expect(data, `tile ${t.level}/${t.index} at size ${size}`).toBeDefined();
    expect(data!.length).toBeGreaterThanOrEqual(tileWidthAt(size, t.level, t.index) * HASH_SIZE);
  }
  const entries = await s.entries(0, size);
  expect(entries.map((e) => e.index)).toEqual(Array.from({ length: size }, (_, i) => i));
}

async function fresh(d: DriverFactory): Promise<{ s: LogStorage; place: string; tree: Tree }> {
  const place = d.place();
  const s = await d.open(place);
  await s.create(ID, checkpoint(0, EMPTY_ROOT));
  return { s, place, tree: new Tree() };
}

export function storageContract(name: string, d: DriverFactory): void {
  describe(`storage contract: ${name}`, () => {
    it('binds an identity once, with the first checkpoint, atomically', async () => {
      const place = d.place();
      const s = await d.open(place);
      expect(await s.identity()).toBeUndefined();
      expect(await s.latest()).toBeUndefined();
      await s.create(ID, checkpoint(0, EMPTY_ROOT));
      await expect(Promise.resolve().then(() => s.create(ID, checkpoint(0, EMPTY_ROOT)))).rejects.toThrow();
      await s.close();
      const again = await d.open(place);
      expect(await again.identity()).toEqual(ID);
      expect(await again.latest()).toMatchObject({ size: 0, c2sp: checkpoint(0, EMPTY_ROOT).c2sp });
      await again.close();
    });

    it('refuses a second open of a log that is open (exactly one writer)', async () => {
      const { s, place } = await fresh(d);
      await expect(Promise.resolve().then(() => d.open(place))).rejects.toThrow();
      await s.close();
      await (await d.open(place)).close(); // free again once closed
    });

    it('makes a batch readable and durable when commit resolves: it survives a crash right after', async () => {
      const { s, place, tree } = await fresh(d);
      const batches = [await commit(s, tree, 300), await commit(s, tree, 1), await commit(s, tree, 255)];
      const last = batches[2].checkpoint;
      await d.crash(s);
      const r = await d.open(place);
      expect(plain(await r.latest())).toEqual(plain(last));
      await expectComplete(r, 556);
      expect(hex(rootHash(556, tree.read))).toBe(hex(last.rootHash));
      for (const b of batches) for (const e of b.entries) expect(plain(await r.entry(e.index))).toEqual(plain(e));
      expect(plain(await r.checkpointAt(301))).toEqual(plain(batches[1].checkpoint));
      await r.close();
    });

    it('after a crash with a commit in flight, the batch is wholly present or wholly absent', async () => {
      const { s, place, tree } = await fresh(d);
      await commit(s, tree, 10);
      const b = tree.batch(500);
      stageAll(s, b);
      const pending = s.commit(b).then(() => 'committed', () => 'failed');
      await d.crash(s);
      await pending;
      const r = await d.open(place);
      const latest = (await r.latest())!;
      expect([10, 510]).toContain(latest.size);
      expect(await r.count()).toBe(latest.size);
      await expectComplete(r, latest.size);
      if (latest.size === 510) expect(plain(latest)).toEqual(plain(b.checkpoint));
      await r.close();
    });

    it('refuses, storing nothing, a batch that does not continue the committed size, and takes the next that does', async () => {
      const { s, tree } = await fresh(d);
      await commit(s, tree, 5);
      const gap = { ...tree.batch(3), oldSize: 6 };
      await expect(s.commit(gap)).rejects.toThrow();
      expect((await s.latest())!.size).toBe(5);
      expect(await s.count()).toBe(5);
      await commit(s, tree, 3);
      expect((await s.latest())!.size).toBe(8);
      await s.close();
    });

    it('refuses a second checkpoint for a signed size, and a different root on resign', async () => {
      const { s, tree } = await fresh(d);
      const b = await commit(s, tree, 4);
      const other = checkpoint(4, new Uint8Array(32).fill(7));
      await expect(s.commit({ oldSize: 4, entries: [], keys: [], tiles: [], checkpoint: other })).rejects.toThrow();
      expect(await s.resign(other)).toBe(false);
      expect(plain(await s.latest())).toEqual(plain(b.checkpoint));
      const fresher = checkpoint(4, b.checkpoint.rootHash, 99_999);
      expect(await s.resign(fresher)).toBe(true);
      expect(plain(await s.latest())).toEqual(plain(fresher));
      expect(plain(await s.checkpointAt(4))).toEqual(plain(fresher));
      await s.close();
    });

    it('a failed commit stores nothing of its batch, and the log continues from what is committed', async () => {
      const { s, tree } = await fresh(d);
      await commit(s, tree, 7);
      const tile = await s.tile(0, 0);
      const b = tree.batch(20);
      stageAll(s, b);
      await d.breakWrites(s);
      await expect(s.commit(b)).rejects.toThrow();
      s.unstage(7);
      await d.fixWrites(s);
      expect((await s.latest())!.size).toBe(7);
      expect(await s.count()).toBe(7);
      expect(hex((await s.tile(0, 0))!)).toBe(hex(tile!));
      expect(await s.leafIndex(b.entries[0].leafHash)).toBeUndefined();
      await commit(s, tree, 20, 'again');
      await expectComplete(s, 27);
      await s.close();
    });

    it('finds every committed leaf by its hash (dedup), staged leaves until unstaged, and after a restart', async () => {
      const { s, place, tree } = await fresh(d);
      const b = await commit(s, tree, 50);
      for (const e of b.entries) expect(await s.leafIndex(e.leafHash)).toBe(e.index);
      const staged = tree.batch(2, 'staged');
      stageAll(s, staged);
      expect(await s.leafIndex(staged.entries[1].leafHash)).toBe(51);
      s.unstage(50);
      expect(await s.leafIndex(staged.entries[1].leafHash)).toBeUndefined();
      expect(await s.leafIndex(leafHash(enc('never')))).toBeUndefined();
      await s.flushIndex(50);
      await s.close();
      const r = await d.open(place);
      for (const e of b.entries) expect(await r.leafIndex(e.leafHash)).toBe(e.index);
      await r.close();
    });

    it('reads entries at many indexes together: each committed one once, missing ones left out', async () => {
      const { s, tree } = await fresh(d);
      const b = await commit(s, tree, 100);
      // More than one statement's worth on SQLite (32 a statement), out of order, with indexes past the end.
      const asked = [99, 0, 150, 7, ...Array.from({ length: 40 }, (_, i) => 10 + 2 * i), 100, 91, 93, 95];
      const got = await s.entriesAt(asked);
      const want = asked.filter((i) => i < 100);
      expect(got.map((e) => e.index).sort((x, y) => x - y)).toEqual([...want].sort((x, y) => x - y));
      for (const e of got) expect(plain(e)).toEqual(plain(b.entries[e.index]));
      expect(await s.entriesAt([])).toEqual([]);
      expect(await s.entriesAt([100, 5000])).toEqual([]);
      await s.close();
    });

    it('searches committed entries by key: ascending, at most limit, below the size asked', async () => {
      const { s, tree } = await fresh(d);
      await commit(s, tree, 30);
      expect(await s.search('k:1', 100, 30)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
      expect(await s.search('k:1', 3, 30)).toEqual([1, 4, 7]);
      expect(await s.search('k:1', 100, 8)).toEqual([1, 4, 7]);
      expect(await s.search('id:29', 10, 30)).toEqual([29]);
      expect(await s.search('nothing', 10, 30)).toEqual([]);
      await s.flushIndex(30);
      expect(await s.search('k:2', 100, 30)).toEqual([2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
      await s.close();
    });

    it('finds entries whose keys their bodies give back (derivedKeys, a driver may store none) as any other, and snapshots read their keys', async () => {
      const { s, place, tree } = await fresh(d);
      const { publicKey, privateKey } = keyPair('p256');
      const admitted = Array.from({ length: 6 }, (_, i): Admitted => {
        const artifact = enc(`contract derived ${i}`);
        const hex = digestOf('sha256', artifact).toString('hex');
        if (i % 3 === 2) return { kind: 'dsse/0.0.1', body: enc(`{"dsse":${i}}`), indexKeys: [`sha256:${hex}`] }; // stored
        return admitEntry(hashedrekordEntry(signArtifact(privateKey, 'sha256', artifact), publicPem(publicKey), 'sha256', hex));
      });
      await commit(s, tree, 3, '', admitted.slice(0, 3));
      await commit(s, tree, 3, '', admitted.slice(3));
      const key = admitted[0].indexKeys[1];
      expect(key).toMatch(/^key:/);
      const check = async () => {
        for (const [i, a] of admitted.entries()) expect(await s.search(a.indexKeys[0], 10, 6), `entry ${i}`).toEqual([i]);
        expect(await s.search(key, 10, 6)).toEqual([0, 1, 3, 4]);
      };
      await check();
      await s.flushIndex(6);
      await check();
      const snap = await d.snapshot(place);
      expect(snap.keys(0, 6)).toEqual(admitted.map((a) => a.indexKeys));
      snap.close();
      await s.close();
    });

    it('never shows a reader a checkpoint whose tiles or entries are missing, while batches commit', async () => {
      const { s, tree } = await fresh(d);
      let done = false;
      const seen = new Set<number>();
      const reader = (async () => {
        while (!done) {
          const cp = (await s.latest())!;
          seen.add(cp.size);
          await expectComplete(s, cp.size);
          await new Promise((r) => setImmediate(r));
        }
      })();
      for (let i = 0; i < 30; i++) await commit(s, tree, 1 + ((i * 37) % 90));
      done = true;
      await reader;
      expect(seen.size).toBeGreaterThan(1);
      await s.close();
    });

    it('keeps witness cosignatures, one per witness, durably', async () => {
      const { s, place } = await fresh(d);
      await s.saveCosignature({ witness: 'w1', size: 3, checkpoint: 'body 3', lines: '— w1 x\n' });
      await s.saveCosignature({ witness: 'w2', size: 2, checkpoint: 'body 2', lines: '— w2 y\n' });
      await s.saveCosignature({ witness: 'w1', size: 5, checkpoint: 'body 5', lines: '— w1 z\n' });
      await d.crash(s);
      const r = await d.open(place);
      const got = (await r.cosignatures()).sort((a, b) => a.witness.localeCompare(b.witness));
      expect(got).toEqual([
        { witness: 'w1', size: 5, checkpoint: 'body 5', lines: '— w1 z\n' },
        { witness: 'w2', size: 2, checkpoint: 'body 2', lines: '— w2 y\n' },
      ]);
      await r.close();
    });

    it('snapshots read one commit while the log keeps committing, and back up a restorable copy', async () => {
      const { s, place, tree } = await fresh(d);
      const first = await commit(s, tree, 40);
      const snap = await d.snapshot(place);
      await commit(s, tree, 300);
      expect(plain(snap.latest())).toEqual(plain(first.checkpoint));
      expect(snap.count()).toBe(40);
      expect(snap.identity()).toEqual(ID);
      expect([...snap.checkpoints()].map((c) => c.size)).toEqual([0, 40]);
      await expectComplete(snap, 40);
      expect(snap.damage()).toBeUndefined();
      const to = d.backupPath();
      await snap.backup(to);
      snap.close();
      const restored = await d.open(await d.restore(to));
      expect((await restored.latest())!.size).toBeGreaterThanOrEqual(40);
      await expectComplete(restored, (await restored.latest())!.size);
      await restored.close();
      await s.close();
    });

    it('reports no problem and its gauges while healthy, and a problem while writes are refused', async () => {
      const { s, tree } = await fresh(d);
      await commit(s, tree, 3);
      expect(await s.problem()).toBeUndefined();
      expect((await s.stats()).bytes).toBeGreaterThan(0);
      await d.breakWrites(s);
      expect(await s.problem()).toMatch(/not writable/);
      await d.fixWrites(s);
      await s.close();
    });
  });
}
