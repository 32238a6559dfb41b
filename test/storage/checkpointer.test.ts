import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/storage/checkpointer.js';
import { openDb } from '../../src/storage/db.js';
import { tempDir } from '../helpers/test-log.js';

describe('WalCheckpointer', () => {
  it('copies committed WAL frames into the database file from its worker', async () => {
    const file = join(tempDir(), 'c.db');
    const db = openDb(file);
    const ck = new WalCheckpointer(db, file, 10);
    db.exec('CREATE TABLE t (x BLOB)');
    const put = db.prepare('INSERT INTO t VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) put.run(Buffer.alloc(500, i));
    })();
    const before = statSync(file).size;
    await ck.stop(); // runs a last checkpoint
    expect(statSync(file).size).toBeGreaterThan(before + 500_000);
    db.close();
  });

  it('stops promptly when its worker died early (here: its database cannot be opened)', async () => {
    const file = join(tempDir(), 'c.db');
    const db = openDb(file);
    const ck = new WalCheckpointer(db, join(tempDir(), 'missing', 'dir', 'x.db'));
    await new Promise((r) => setTimeout(r, 300)); // let the worker fail and exit first
    const t0 = performance.now();
    await ck.stop();
    expect(performance.now() - t0).toBeLessThan(1500);
    db.close();
  });
});
