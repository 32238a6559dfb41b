/**
 * The WAL checkpointer's thread (checkpointer.ts starts it): a PASSIVE checkpoint of cairn.db every
 * intervalMs on a connection of its own; SQLite's WAL locking keeps it safe beside the writer.
 */
import Database from 'better-sqlite3';
import { threadData, threadPort } from '../threads/index.js';
const w = threadData();
const port = threadPort();
const db = new Database(w.path);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = FULL');
function checkpoint() {
    try {
        db.pragma('wal_checkpoint(PASSIVE)');
    }
    catch {
        // Busy or I/O: retry next tick; the writer's inline limit bounds the WAL.
    }
}
let timer = setTimeout(function tick() {
    checkpoint();
    timer = setTimeout(tick, w.intervalMs);
}, 0);
port.on(() => {
    clearTimeout(timer);
    checkpoint();
    db.close();
    process.exit(0);
});
