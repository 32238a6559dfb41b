/**
 * One monitoring step: fetch the log's newest signed checkpoint and prove it extends the last one
 * this monitor trusted. Any failure that is evidence of misbehaviour is a MonitorAlarm (split view,
 * rollback, fork, bad signature, tampered tile or entry); network trouble stays a plain CairnError
 * (UNAVAILABLE), since retrying may fix it.
 */
import { CairnError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, TILE_WIDTH, bytesEqual, leafHash, verifyConsistency } from '../merkle/index.js';
import { TileClient } from './tiles.js';
/** MonitorAlarm is proof (or strong evidence) that the log misbehaved. */
export class MonitorAlarm extends CairnError {
    kind;
    evidence;
    constructor(kind, message, evidence = {}) {
        super(kind === 'tampered' ? 'CORRUPT' : kind === 'bad-signature' ? 'BAD_SIGNATURE' : 'INCONSISTENT', message);
        this.kind = kind;
        this.evidence = evidence;
        this.name = 'MonitorAlarm';
    }
}
const b64 = (b) => Buffer.from(b).toString('base64');
/** monitorStep checks the log once against `trusted` (undefined: first contact) and returns the new state. */
export async function monitorStep(source, key, trusted, opts = {}) {
    const tiles = source.api === 'tiles' ? new TileClient(source.fetcher) : undefined;
    if (source.api === 'rekor' && opts.checkEntries)
        throw new CairnError('CONFIG', '--check-entries needs the tiles API (entry bundles)');
    let sth;
    try {
        sth = tiles ? await tiles.checkpoint((o) => key.c2sp(o)) : await source.rekor.logInfo((o) => key.rekor(o));
    }
    catch (e) {
        if (e instanceof CairnError && (e.code === 'BAD_SIGNATURE' || e.code === 'MALFORMED_NOTE')) {
            throw new MonitorAlarm('bad-signature', `BAD SIGNATURE: the log's checkpoint does not verify with the given key: ${e.message}`);
        }
        throw e;
    }
    const cp = sth.checkpoint;
    const wantOrigin = opts.origin ?? trusted?.origin;
    if (wantOrigin !== undefined && cp.origin !== wantOrigin) {
        throw new MonitorAlarm('origin', `ORIGIN CHANGED: checkpoint is for "${cp.origin}", expected "${wantOrigin}"`, { trusted: trusted?.note, received: sth.note });
    }
    const evidence = { trusted: trusted?.note, received: sth.note };
    const oldSize = trusted?.size ?? 0;
    const oldRoot = trusted ? new Uint8Array(Buffer.from(trusted.rootHash, 'base64')) : EMPTY_ROOT;
    if (cp.size < oldSize) {
        throw new MonitorAlarm('rollback', `ROLLBACK: the log's checkpoint is for size ${cp.size}, smaller than the trusted size ${oldSize}`, evidence);
    }
    if (cp.size === oldSize && !bytesEqual(cp.rootHash, oldRoot)) {
        throw new MonitorAlarm('split-view', `SPLIT VIEW: two signed checkpoints for size ${cp.size} with different root hashes (trusted ${b64(oldRoot)}, now ${b64(cp.rootHash)})`, evidence);
    }
    // Tiles first: once the new tiles are authenticated against the new signed root, a consistency
    // proof built from them that fails is a fork, not a served-data problem.
    let entriesChecked = trusted?.entriesChecked ?? 0;
    const from = opts.checkEntries ? Math.min(entriesChecked, oldSize) : oldSize;
    const level0 = tiles ? await tamperChecked(() => tiles.verifyTiles(from, cp.size, cp.rootHash)) : undefined;
    if (cp.size > oldSize && oldSize > 0) {
        let proof;
        if (tiles) {
            proof = await tamperChecked(() => tiles.consistencyProof(oldSize, cp.size));
        }
        else {
            const p = await source.rekor.consistencyProof(oldSize, cp.size);
            if (!bytesEqual(p.rootHash, cp.rootHash))
                throw new MonitorAlarm('fork', `FORK: /api/v1/log/proof answered for a root other than the signed one at size ${cp.size}`, evidence);
            proof = p.hashes;
        }
        try {
            verifyConsistency(oldSize, cp.size, proof, oldRoot, cp.rootHash);
        }
        catch (e) {
            throw new MonitorAlarm('fork', `FORK: size ${cp.size} is not an append-only extension of the trusted size ${oldSize}: ${e.message}`, evidence);
        }
    }
    let checked = 0;
    if (tiles && opts.checkEntries) {
        checked = await checkEntries(tiles, from, cp, level0);
        entriesChecked = cp.size;
    }
    const state = { origin: cp.origin, size: cp.size, rootHash: b64(cp.rootHash), note: sth.note };
    if (opts.checkEntries || trusted?.entriesChecked !== undefined)
        state.entriesChecked = opts.checkEntries ? entriesChecked : Math.min(entriesChecked, cp.size);
    return { state, grew: cp.size - oldSize, entriesChecked: checked, tilesFetched: tiles?.requests ?? 0 };
}
/** checkEntries re-derives leaves [from, size) from bundles and compares them with the verified level-0 tiles. */
async function checkEntries(tiles, from, cp, level0) {
    let n = 0;
    if (from >= cp.size)
        return 0; // nothing new: tilesBetween gave no level-0 tiles either
    for (let index = Math.floor(from / TILE_WIDTH); index * TILE_WIDTH < cp.size; index++) {
        const tile = level0.get(index);
        if (!tile)
            throw new Error(`monitor: level-0 tile ${index} was not verified`);
        const entries = await tamperChecked(() => tiles.bundle(index, cp.size));
        for (let i = 0; i < entries.length; i++) {
            if (!bytesEqual(leafHash(entries[i]), tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE))) {
                throw new MonitorAlarm('tampered', `TAMPERED: entry ${index * TILE_WIDTH + i} in bundle ${index} does not hash to its leaf in the signed tree`);
            }
            n++;
        }
    }
    return n;
}
/** tamperChecked turns "served data does not add up" (CORRUPT) into an alarm; a missing tile stays NOT_FOUND. */
async function tamperChecked(f) {
    try {
        return await f();
    }
    catch (e) {
        if (e instanceof CairnError && e.code === 'CORRUPT')
            throw new MonitorAlarm('tampered', `TAMPERED: ${e.message}`);
        throw e;
    }
}
