import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { DB_FILE, KEY_FILE, SHARDS_FILE, openSnapshot, readManifest, type LogSnapshot } from '../log/index.js';
import { loadPrivateKey } from '../note/index.js';
import type { Command } from './command.js';
import { dataOption } from './config.js';

export interface BackupResult {
  /** Bytes in the backup database. */
  bytes: number;
  /** Where the key was copied, if it was. */
  keyCopy?: string;
}

/**
 * backup writes a consistent copy of a log's database to `to` while a server may be writing:
 * the storage's snapshot backup copies the database as of one commit (SQLite: its online backup
 * in one step, inside one read transaction; WAL readers never block the writer). It is written to a
 * temporary name and renamed into place, so `to` never holds a partial backup.
 *
 * The signing key is copied too, as `to`.key with mode 0600: a backup without its key restores a
 * log that can never sign again (Log.open refuses any other key), which is the failure a backup
 * exists to prevent. withoutKey skips it for operators who escrow keys elsewhere; then there must
 * be a reason, not an accident, so it is an explicit flag.
 */
export async function backup(dataDir: string, to: string, opts: { keyFile?: string; withoutKey?: boolean } = {}): Promise<BackupResult> {
  const snap = openSnapshot(dataDir);
  try {
    return await backupFrom(snap, dataDir, to, opts);
  } finally {
    snap.close();
  }
}

async function backupFrom(snap: LogSnapshot, dataDir: string, to: string, opts: { keyFile?: string; withoutKey?: boolean }): Promise<BackupResult> {
  if (existsSync(to)) throw new CairnError('CONFIG', `${to} already exists; refusing to overwrite it`);
  const keyFrom = opts.keyFile ?? join(dataDir, KEY_FILE);
  const keyTo = to + '.key';
  if (!opts.withoutKey) {
    if (!existsSync(keyFrom)) {
      throw new CairnError('CONFIG', `no signing key at ${keyFrom}: pass the server's key with --key FILE, or --without-key if you keep the key elsewhere`);
    }
    if (existsSync(keyTo)) throw new CairnError('CONFIG', `${keyTo} already exists; refusing to overwrite it`);
  }
  const keyPem = opts.withoutKey ? undefined : readFileSync(keyFrom, 'utf8');

  const tmp = `${to}.partial-${process.pid}`;
  try {
    if (keyPem !== undefined && loadPrivateKey(keyPem).publicKeyPem.trim() !== snap.identity()?.publicKeyPem) {
      throw new CairnError('CONFIG', `${keyFrom} is not this log's signing key (its public key differs from the one the log was created with)`);
    }
    await snap.backup(tmp);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof CairnError) throw e;
    throw new CairnError('UNAVAILABLE', `backup failed: ${(e as Error).message}`);
  }
  renameSync(tmp, to);

  let keyCopy: string | undefined;
  if (!opts.withoutKey) {
    writeFileSync(keyTo, keyPem!, { mode: 0o600, flag: 'wx' });
    keyCopy = keyTo;
  }
  return { bytes: statSync(to).size, keyCopy };
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write a consistent copy of a running (or stopped) log\'s database, and its key beside it.',
  usage: 'cairn backup --data DIR --to FILE [--key FILE | --without-key]',
  options: [
    dataOption('Data directory of the log.'),
    { name: 'to', type: 'string', env: 'CAIRN_BACKUP_TO', help: 'Backup database file to create (must not exist). The key is copied to FILE.key, mode 0600.' },
    { name: 'key', type: 'string', help: 'The log\'s private key, if it is not in the data directory. Default: DIR/log-key.pem.' },
    { name: 'without-key', type: 'bool', default: false, env: 'CAIRN_BACKUP_WITHOUT_KEY', help: 'Do not copy the key (you keep it elsewhere; the backup alone cannot sign).' },
  ],
  run: async (v) => {
    const to = v.to as string | undefined;
    if (!to) throw new CairnError('CONFIG', '--to FILE is required: where to write the backup');
    const t0 = performance.now();
    const dataDir = v.data as string;
    const withoutKey = v['without-key'] as boolean;
    // The shard list as it was when the backup began (a rotation meanwhile adds a shard this backup does not hold).
    const manifest = readManifest(dataDir);
    const r = await backup(dataDir, to, { keyFile: v.key as string | undefined, withoutKey });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`backup: wrote ${to} (${r.bytes} bytes) in ${secs} s`);
    // Every later shard beside it (database and key), and the manifest that lists them.
    for (const rec of manifest?.shards.slice(1) ?? []) {
      const file = `${to}.${rec.dir.replaceAll('/', '-')}`;
      const s = await backup(join(dataDir, rec.dir), file, { keyFile: rec.keyFile, withoutKey });
      console.log(`backup: shard ${rec.name}: wrote ${file} (${s.bytes} bytes)${s.keyCopy ? ` and its key ${s.keyCopy}` : ''}; restore it to NEWDIR/${rec.dir}/${DB_FILE}${s.keyCopy ? ` and ${KEY_FILE}` : ''}`);
    }
    if (manifest) {
      writeFileSync(`${to}.${SHARDS_FILE}`, JSON.stringify(manifest, null, 2) + '\n', { flag: 'wx' });
      console.log(`backup: copied the shard list to ${to}.${SHARDS_FILE}; restore it to NEWDIR/${SHARDS_FILE}`);
    }
    if (r.keyCopy) console.log(`backup: copied the signing key to ${r.keyCopy} (mode 0600): store it as carefully as the original`);
    else console.log('backup: the signing key is NOT included (--without-key); the log cannot be restored without it');
    console.log(`restore: mkdir NEWDIR && cp ${to} NEWDIR/${DB_FILE}${r.keyCopy ? ` && cp -p ${r.keyCopy} NEWDIR/${KEY_FILE}` : ''} && cairn verify-db --data NEWDIR`);
    return 0;
  },
};
