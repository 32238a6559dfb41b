import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
/** LOCK_FILE is the file whose exclusive lock marks the one process writing a data directory. */
export const LOCK_FILE = 'cairn.lock';
/**
 * lockDataDir takes the data directory's writer lock or throws CONFIG naming the problem. Two
 * writers on one database would each sequence from their own view of the tree: the second can never
 * integrate again and serves a stale tree. The lock is SQLite's own exclusive lock on a small
 * separate file (so readers of the log database, like verify-db and backups, are not blocked); the
 * operating system drops it when the holder exits, SIGKILL included, so it never goes stale.
 */
export function lockDataDir(dataDir) {
    const db = new Database(join(dataDir, LOCK_FILE));
    try {
        db.pragma('busy_timeout = 0');
        db.exec('BEGIN EXCLUSIVE');
    }
    catch (e) {
        db.close();
        if (e.code === 'SQLITE_BUSY') {
            throw new CairnError('CONFIG', `another Cairn process has the log in ${dataDir} open for writing; stop it first (a log has exactly one writer)`);
        }
        throw e;
    }
    return {
        release: () => {
            if (!db.open)
                return;
            if (db.inTransaction)
                db.exec('ROLLBACK');
            db.close();
        },
    };
}
