import { join } from 'node:path';
import { auditDatabase, auditPostgres, openSnapshot, readManifest, type ShardRecord } from '../log/index.js';
import { describePlace, postgresPlace } from '../storage/index.js';
import type { Command } from './command.js';
import { dataOption } from './config.js';
import { Progress } from './progress.js';

/** frozenProblem names how a frozen shard's stored tree differs from the one it was frozen with, or undefined. */
function frozenProblem(dir: string, r: ShardRecord): string | undefined {
  const snap = openSnapshot(dir);
  try {
    const id = snap.identity();
    if (id?.treeId !== r.treeId) return `its database has tree ID ${id?.treeId}, the manifest says ${r.treeId}`;
    const cp = snap.latest();
    if (r.frozen && (cp?.size !== r.frozen.size || Buffer.from(cp.rootHash).toString('hex') !== r.frozen.rootHash)) {
      return `its tree (size ${cp?.size}) is not the one it was frozen with (size ${r.frozen.size}, root ${r.frozen.rootHash})`;
    }
    return undefined;
  } finally {
    snap.close();
  }
}

export const verifyDbCommand: Command = {
  name: 'verify-db',
  summary: 'Recompute every leaf, tile and checkpoint of every shard from the stored bodies; exit 1 at the first mismatch.',
  usage: 'cairn verify-db --data DIR | --database postgres://USER@HOST:PORT/DB[?schema=NAME]',
  options: [
    dataOption('Data directory of the log.'),
    { name: 'database', env: 'CAIRN_DATABASE_URL', type: 'string', help: 'A PostgreSQL log to check instead of --data (schema public unless ?schema=NAME).' },
  ],
  run: async (v) => {
    if (v.database) return verifyPostgres(v.database as string);
    const dataDir = v.data as string;
    const records = readManifest(dataDir)?.shards ?? [undefined];
    let total = 0;
    for (const r of records) {
      const t0 = performance.now();
      const dir = join(dataDir, r?.dir ?? '');
      const name = r ? `shard ${r.name}${r.frozen ? ' (frozen)' : ''}: ` : '';
      const progress = new Progress(`verify-db: ${name}`.replace(/: $/, ''), 'entries');
      const rep = auditDatabase(dir, (done, all) => progress.update(done, all));
      progress.end();
      const problem = rep.problem ?? (r && frozenProblem(dir, r));
      if (problem) {
        console.error(`verify-db: FAILED: ${name}at tree size ${rep.size}: ${problem}`);
        return 1;
      }
      total += rep.size;
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`verify-db: OK: ${name}${rep.size} entries, all tiles and ${rep.checkpointsChecked} checkpoints match (${secs} s)`);
    }
    if (records.length > 1) console.log(`verify-db: OK: ${records.length} shards, ${total} entries`);
    return 0;
  },
};

/** verifyPostgres audits a PostgreSQL log (one snapshot, read at one commit). */
async function verifyPostgres(address: string): Promise<number> {
  const place = postgresPlace(address);
  const t0 = performance.now();
  const progress = new Progress('verify-db', 'entries');
  const rep = await auditPostgres(place, (done, all) => progress.update(done, all)).finally(() => progress.end());
  if (rep.problem) {
    console.error(`verify-db: FAILED: ${describePlace(place)} at tree size ${rep.size}: ${rep.problem}`);
    return 1;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`verify-db: OK: ${describePlace(place)}: ${rep.size} entries, all tiles and ${rep.checkpointsChecked} checkpoints match (${secs} s)`);
  return 0;
}
