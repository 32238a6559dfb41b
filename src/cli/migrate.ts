/**
 * `cairn migrate --from DIR --to postgres://…` copies a SQLite log into an empty PostgreSQL schema
 * (storage/postgres-import.ts: one transaction), then audits the copy and checks that it ends at
 * the source's root. A data directory with shards: the active shard by default, or the one named
 * by --shard; a PostgreSQL log has no shards, so each shard goes to its own schema (?schema=NAME)
 * and frozen shards not migrated stay where they are (the summary names them).
 */
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { auditPostgres, openSnapshot, readManifest } from '../log/index.js';
import { describePlace, importPostgres, postgresPlace } from '../storage/index.js';
import type { Command } from './command.js';
import { Progress } from './progress.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Copy a SQLite log (the active shard, or --shard) into an empty PostgreSQL schema, then verify the copy.',
  usage: 'cairn migrate --from DIR --to postgres://USER@HOST:PORT/DB[?schema=NAME] [--shard NAME]',
  options: [
    { name: 'from', env: 'CAIRN_DATA_DIR', type: 'string', default: './data', help: 'Data directory of the SQLite log (stop its server first: the copy is the log as of one commit).' },
    { name: 'to', env: 'CAIRN_DATABASE_URL', type: 'string', help: 'The PostgreSQL log to create (schema public unless ?schema=NAME); it must be empty.' },
    { name: 'shard', type: 'string', help: 'With shards: the shard to copy. Default: the active one.' },
  ],
  run: async (v) => {
    if (!v.to) throw new CairnError('CONFIG', 'migrate needs --to postgres://USER@HOST:PORT/DB[?schema=NAME]');
    const place = postgresPlace(v.to as string);
    const dataDir = v.from as string;
    const shards = readManifest(dataDir)?.shards;
    const record = shards && (v.shard ? shards.find((s) => s.name === v.shard) : shards[shards.length - 1]);
    if (v.shard && !record) throw new CairnError('CONFIG', `no shard ${JSON.stringify(v.shard)} in ${dataDir} (shards: ${(shards ?? []).map((s) => s.name).join(', ') || 'none'})`);
    const dir = join(dataDir, record?.dir ?? '');
    const what = record ? `shard ${record.name}${record.frozen ? ' (frozen)' : ''} of ${dataDir}` : dataDir;

    const t0 = performance.now();
    const snap = openSnapshot(dir);
    let root: string;
    let size: number;
    let result;
    try {
      root = hex(snap.latest()?.rootHash ?? new Uint8Array());
      size = snap.latest()?.size ?? 0;
      const progress = new Progress(`migrate: copying ${what}`, 'entries');
      result = await importPostgres(snap, place, (done, all) => progress.update(done, all)).finally(() => progress.end());
    } finally {
      snap.close();
    }
    const check = new Progress('migrate: verifying the copy', 'entries');
    const audit = await auditPostgres(place, (done, all) => check.update(done, all)).finally(() => check.end());
    if (!audit.problem && audit.size !== size) audit.problem = `it ends at size ${audit.size}, the source at ${size}`;
    if (audit.problem) {
      console.error(`migrate: FAILED: the copy in ${describePlace(place)} does not verify: ${audit.problem}`);
      return 1;
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const r = result;
    console.log(`migrate: copied ${what} to ${describePlace(place)} in ${secs} s: ${r.entries} entries, ${r.keys} search keys, ${r.tiles} tiles, ${r.checkpoints} checkpoints, ${r.cosignatures} cosignatures`);
    console.log(`migrate: the copy verifies: size ${audit.size}, root ${root}, ${audit.checkpointsChecked} checkpoints`);
    const left = (shards ?? []).filter((s) => s !== record).map((s) => s.name);
    if (left.length) console.log(`migrate: not copied (a PostgreSQL log has no shards): ${left.join(', ')}; copy each into its own schema with --shard NAME and ?schema=NAME`);
    return 0;
  },
};
