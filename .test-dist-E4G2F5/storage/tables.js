import { CHECKPOINT_INSERT_SQL } from './statements.js';
function entryOf(r) {
    const e = { index: r.idx, leafHash: r.leaf_hash, body: r.body, kind: r.kind, integratedTime: r.integrated_time };
    if (r.entry_ts)
        e.entryTimestamp = r.entry_ts;
    return e;
}
function checkpointOf(r) {
    return { size: r.size, rootHash: r.root_hash, signedAt: r.signed_at, c2sp: r.c2sp, rekor: r.rekor };
}
/** Tables reads cairn.db's rows through statements prepared once on one connection. */
export class Tables {
    db;
    s;
    constructor(db) {
        this.db = db;
        this.s = {
            meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
            entry: db.prepare('SELECT * FROM entries WHERE idx = ?'),
            entries: db.prepare('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
            count: db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) FROM entries').pluck(),
            latest: db.prepare('SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1'),
            checkpointAt: db.prepare('SELECT * FROM checkpoints WHERE size = ?'),
            checkpoints: db.prepare('SELECT * FROM checkpoints ORDER BY size'),
            tile: db.prepare('SELECT hashes FROM tiles WHERE level = ? AND idx = ?').pluck(),
            cosignatures: db.prepare('SELECT witness, size, checkpoint, lines FROM witness_cosignatures'),
        };
    }
    identity() {
        const origin = this.s.meta.get('origin');
        if (origin === undefined)
            return undefined;
        return { origin, publicKeyPem: this.s.meta.get('public_key'), treeId: this.s.meta.get('tree_id') };
    }
    /** create stores a new log's identity and first checkpoint in one transaction; fails if it has an identity. */
    create(id, first) {
        const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        const checkpoint = this.db.prepare(CHECKPOINT_INSERT_SQL);
        this.db.transaction(() => {
            put.run('origin', id.origin);
            put.run('public_key', id.publicKeyPem);
            put.run('tree_id', id.treeId);
            checkpoint.run(first.size, first.rootHash, first.signedAt, first.c2sp, first.rekor);
        })();
    }
    entry(index) {
        const r = this.s.entry.get(index);
        return r && entryOf(r);
    }
    entries(start, end) {
        return this.s.entries.all(start, end).map(entryOf);
    }
    count() {
        return this.s.count.get();
    }
    latest() {
        const r = this.s.latest.get();
        return r && checkpointOf(r);
    }
    checkpointAt(size) {
        const r = this.s.checkpointAt.get(size);
        return r && checkpointOf(r);
    }
    *checkpoints() {
        for (const r of this.s.checkpoints.iterate())
            yield checkpointOf(r);
    }
    tile(level, index) {
        return this.s.tile.get(level, index);
    }
    cosignatures() {
        return this.s.cosignatures.all();
    }
}
