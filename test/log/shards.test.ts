// The shard set at the Log level: an existing data directory becomes the first shard in place,
// and a rotation that fails before its commit point (the manifest) leaves the old shard active.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Log, SHARDS_FILE, Shards, readManifest } from '../../src/log/index.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';

const sets: Shards[] = [];
afterEach(async () => {
  for (const s of sets.splice(0)) await s.close();
});

const openSet = (dataDir: string) => {
  const s = Shards.open({ dataDir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'NORMAL' });
  sets.push(s);
  return s;
};
const sub = (i: number, salt = '') => ({ kind: 'test/0.0.1', body: body(i, salt), indexKeys: [] as string[] });

describe('Shards', () => {
  it('migrates a data directory made before shards in place: its log becomes the first shard, nothing copied', async () => {
    const dataDir = tempDir();
    const log = Log.open({ dataDir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'NORMAL' });
    for (let i = 0; i < 5; i++) await log.append(sub(i));
    const { treeId } = log;
    await log.close();
    const files = () => readdirSync(dataDir).filter((f) => !/-(wal|shm|journal)$/.test(f)).sort();
    const before = files();
    const inode = statSync(join(dataDir, 'cairn.db')).ino;
    expect(before).not.toContain(SHARDS_FILE);

    const shards = openSet(dataDir);
    expect(files().filter((f) => !before.includes(f))).toEqual([SHARDS_FILE]);
    expect(statSync(join(dataDir, 'cairn.db')).ino).toBe(inode);
    expect(readManifest(dataDir)!.shards).toEqual([expect.objectContaining({ name: '1', treeId, origin: TEST_ORIGIN, dir: '', indexOffset: 0 })]);
    expect(shards.active.log.size).toBe(5);
    expect(shards.locate(4)).toMatchObject({ index: 4 });
    expect(shards.locate(5)).toMatchObject({ index: 5 }); // past the active shard's size: its reads say none
  });

  it('keeps the old shard active, taking entries, when a rotation fails before the manifest is replaced', async () => {
    const dataDir = tempDir();
    const shards = openSet(dataDir);
    await shards.append(sub(0));
    // A directory where the manifest's temporary file goes: writing it fails.
    const blocker = join(dataDir, `${SHARDS_FILE}.tmp-${process.pid}`);
    mkdirSync(blocker);
    await expect(shards.rotate()).rejects.toThrow();
    expect(shards.list).toHaveLength(1);
    expect(shards.active.log.frozen).toBe(false);
    expect((await shards.append(sub(1))).receipt.entry.index).toBe(1);
    rmSync(blocker, { recursive: true });

    const rotated = await shards.rotate();
    expect(rotated.record.indexOffset).toBe(2);
    expect((await shards.append(sub(2))).receipt.entry.index).toBe(0);
    expect(shards.size).toBe(3);
    // The failed attempt's directory is unused and not in the manifest; the successful one is.
    const dirs = readdirSync(join(dataDir, 'shards'));
    expect(dirs).toHaveLength(2);
    expect(readManifest(dataDir)!.shards.map((s) => s.dir)).toEqual(['', rotated.record.dir]);
    expect(existsSync(join(dataDir, rotated.record.dir, 'log-key.pem'))).toBe(true);
    await expect(shards.list[0].log.append(sub(3))).rejects.toMatchObject({ code: 'FROZEN' });
    await expect(shards.rotate({ name: '2' })).rejects.toThrow(/already named "2"/);
  });
});
