/**
 * Witness is the state machine behind tlog-witness add-checkpoint (shared/specs/tlog-witness.md):
 * for each trusted log origin it keeps the latest checkpoint it cosigned, and cosigns a new one only
 * if it is signed by a trusted log key and provably extends that one. Check and update happen in
 * one IMMEDIATE SQLite transaction with a compare-and-swap on the old size, so two racing requests
 * (even from two processes on one database) can never roll the recorded tree back.
 */
import { createHash } from 'node:crypto';
import { CairnError, isCairnError } from '../errors.js';
import { EMPTY_ROOT, bytesEqual, verifyConsistency } from '../merkle/index.js';
import { cosign, cosignerKeyString, parseCheckpoint, splitNote, verifyNote, } from '../note/index.js';
import { parseAddCheckpoint } from './protocol.js';
const fromRow = (r) => ({
    origin: r.origin,
    size: r.size,
    rootHash: new Uint8Array(r.root_hash),
    note: r.note,
    updatedAt: r.updated_at,
});
/** originHash returns the lowercase hex SHA-256 of an origin, the monitoring path segment. */
export function originHash(origin) {
    return createHash('sha256').update(origin, 'utf8').digest('hex');
}
export class Witness {
    name;
    /** vkey is the witness's verifier key, "<name>+<key ID>+base64(0x04 || key)". */
    vkey;
    key;
    db;
    logs = new Map();
    byHash = new Map();
    now;
    onEvent;
    getStmt;
    insertStmt;
    casStmt;
    constructor(cfg) {
        if (cfg.key.type !== 'ed25519')
            throw new CairnError('CONFIG', 'a witness key must be Ed25519 (cosignature/v1)');
        this.name = cfg.name;
        this.key = cfg.key;
        this.vkey = cosignerKeyString(cfg.name, cfg.key); // also validates the name
        this.db = cfg.db;
        this.now = cfg.now ?? (() => Math.floor(Date.now() / 1000));
        this.onEvent = cfg.onEvent ?? (() => { });
        for (const l of cfg.logs) {
            this.logs.set(l.origin, [...(this.logs.get(l.origin) ?? []), l.verifier]);
            this.byHash.set(originHash(l.origin), l.origin);
        }
        this.getStmt = this.db.prepare('SELECT * FROM witness_checkpoints WHERE origin = ?');
        this.insertStmt = this.db.prepare('INSERT INTO witness_checkpoints (origin, size, root_hash, note, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO NOTHING');
        this.casStmt = this.db.prepare('UPDATE witness_checkpoints SET size = ?, root_hash = ?, note = ?, updated_at = ? WHERE origin = ? AND size = ?');
    }
    /** origins lists the logs this witness trusts. */
    get origins() {
        return [...this.logs.keys()];
    }
    /** latest returns the latest checkpoint cosigned for origin, if any. */
    latest(origin) {
        const r = this.getStmt.get(origin);
        return r && fromRow(r);
    }
    /** latestByOriginHash is latest for the origin whose hex SHA-256 is hash (monitoring endpoint). */
    latestByOriginHash(hash) {
        const origin = this.byHash.get(hash);
        return origin === undefined ? undefined : this.latest(origin);
    }
    /**
     * addCheckpoint answers an add-checkpoint request body. The checks run in the order the spec
     * lists them, so each failure gets the status the spec gives it: malformed 400, unknown origin
     * 404, no valid trusted signature 403, old size above the checkpoint's 400, old size not the
     * recorded one 409 (with the recorded size), then 422 for an empty tree with the wrong root, a
     * proof from size 0, equal sizes with different roots or a proof that does not verify.
     */
    addCheckpoint(body) {
        let opened;
        let oldSize;
        let proof;
        try {
            const req = parseAddCheckpoint(body);
            ({ oldSize, proof } = req);
            const split = splitNote(req.note);
            const checkpoint = parseCheckpoint(split.text);
            const verifiers = this.logs.get(checkpoint.origin);
            if (!verifiers)
                return { status: 404, message: `unknown log origin ${JSON.stringify(checkpoint.origin)}` };
            try {
                opened = { ...verifyNote(split, verifiers), checkpoint };
            }
            catch (e) {
                if (isCairnError(e, 'BAD_SIGNATURE'))
                    return { status: 403, message: e.message };
                throw e;
            }
        }
        catch (e) {
            if (isCairnError(e, 'BAD_REQUEST') || isCairnError(e, 'MALFORMED_NOTE'))
                return { status: 400, message: e.message };
            throw e;
        }
        const cp = opened.checkpoint;
        if (oldSize > cp.size)
            return { status: 400, message: `old size ${oldSize} exceeds the checkpoint size ${cp.size}` };
        return this.db
            .transaction(() => {
            const row = this.getStmt.get(cp.origin);
            const have = row ? { size: row.size, root: new Uint8Array(row.root_hash) } : { size: 0, root: EMPTY_ROOT };
            if (oldSize !== have.size)
                return { status: 409, size: have.size };
            const inconsistent = (why) => {
                this.onEvent(`witness: refused a validly signed but inconsistent checkpoint for ${cp.origin} (${why}):\n${opened.text}`);
                return { status: 422, message: why };
            };
            if (cp.size === 0 && !bytesEqual(cp.rootHash, EMPTY_ROOT))
                return inconsistent('a size-0 checkpoint must have the empty tree root');
            if (oldSize === 0 && proof.length > 0)
                return inconsistent('the consistency proof from size 0 must be empty');
            try {
                // Covers old == size too: it demands an empty proof and the recorded root.
                verifyConsistency(oldSize, cp.size, proof, have.root, cp.rootHash);
            }
            catch (e) {
                if (isCairnError(e, 'BAD_PROOF'))
                    return inconsistent(e.message);
                throw e;
            }
            // Never zero (the spec forbids it), and never before the previous cosignature: a larger tree
            // stamped earlier would contradict what this witness already said was the latest.
            const time = Math.max(1, this.now(), row?.updated_at ?? 0);
            const line = cosign(opened.text, this.key, this.name, time);
            const note = `${opened.text}\n${opened.verified.map((s) => s.line + '\n').join('')}${line}`;
            const root = Buffer.from(cp.rootHash);
            const changed = row
                ? this.casStmt.run(cp.size, root, note, time, cp.origin, oldSize).changes
                : this.insertStmt.run(cp.origin, cp.size, root, note, time).changes;
            // Unreachable while the transaction holds the write lock; kept so a refactor cannot lose the CAS.
            if (changed !== 1)
                return { status: 409, size: this.getStmt.get(cp.origin)?.size ?? 0 };
            return { status: 200, cosignatures: line };
        })
            .immediate();
    }
}
