import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));
/** migrations returns the numbered schema files in order: [[version, sql], ...]. */
export function migrations() {
    return readdirSync(SCHEMA_DIR)
        .filter((f) => /^\d{3}-.*\.sql$/.test(f))
        .sort()
        .map((f) => [Number(f.slice(0, 3)), readFileSync(SCHEMA_DIR + f, 'utf8')]);
}
/**
 * openDb opens (creating if needed) the SQLite database at path in WAL mode and applies any
 * schema migrations newer than PRAGMA user_version, each in its own transaction.
 */
export function openDb(path, opts = {}) {
    const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    }
    db.pragma('busy_timeout = 5000');
    // Bigger page cache than the 2 MB default: tiles and the leaf-hash index stay hot.
    db.pragma('cache_size = -65536');
    if (!opts.readonly)
        migrate(db);
    return db;
}
function migrate(db) {
    const current = db.pragma('user_version', { simple: true });
    const all = migrations();
    const latest = all.length ? all[all.length - 1][0] : 0;
    if (current > latest) {
        throw new CairnError('CONFIG', `database schema version ${current} is newer than this Cairn (${latest}); upgrade Cairn`);
    }
    for (const [version, sql] of all) {
        if (version <= current)
            continue;
        db.transaction(() => {
            db.exec(sql);
            db.pragma(`user_version = ${version}`);
        })();
    }
}
/** sqliteDamage describes an SQLite error that means the file itself is damaged, else undefined. */
export function sqliteDamage(e) {
    const code = e.code;
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB')
        return `database file is damaged (${code}: ${e.message})`;
    return undefined;
}
