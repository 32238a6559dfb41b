/**
 * Opening a log: the data directory, the signing key, the storage driver (which applies its
 * migrations), the identity binding and the start-up check. What passes is handed to Log, the
 * running service; what fails is closed again and reported.
 */
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors.js';
import { EMPTY_ROOT, bytesEqual, leafHash, rootHash } from '../merkle/index.js';
import { c2spVerifier, openCheckpoint, rekorVerifier } from '../note/index.js';
import { SqliteStorage, sqliteDamage } from '../storage/index.js';
import { loadOrCreateKey } from './keyfile.js';
import { CheckpointSigner } from './signer.js';
import { TileCache } from './tile-cache.js';
/**
 * openChecked opens (or creates) the log in cfg.dataDir up to the point where it may serve: the
 * storage open, the identity bound, the start-up check passed. Log.open runs the service on it.
 */
export function openChecked(cfg) {
    mkdirSync(cfg.dataDir, { recursive: true });
    const { key } = loadOrCreateKey(cfg.dataDir, cfg.keyFile, cfg.keyType ?? 'ed25519');
    let storage;
    try {
        storage = SqliteStorage.open(cfg.dataDir, { synchronous: cfg.synchronous, index: cfg.index, walCheckpointer: cfg.walCheckpointer, onError: cfg.onError });
        const signer = new CheckpointSigner(cfg.origin, key);
        const treeId = bindIdentity(storage, signer, key, cfg.now ?? Date.now, cfg.treeId);
        const tiles = new TileCache((l, i) => storage.tile(l, i), cfg.tileCacheSize);
        quickCheck(storage, tiles, cfg.origin, key);
        return { key, treeId, storage, tiles, signer };
    }
    catch (e) {
        storage?.abandon();
        const damage = sqliteDamage(e);
        if (damage)
            throw new CairnError('CORRUPT', `${damage}; run cairn verify-db`);
        throw e;
    }
}
/** bindIdentity records origin, key and tree ID in a new log, or checks them against an existing one; returns the tree ID. */
function bindIdentity(storage, signer, key, now, newTreeId) {
    const pem = key.publicKeyPem.trim();
    const id = storage.identity();
    if (id === undefined) {
        const treeId = newTreeId ?? randomTreeId();
        storage.create({ origin: signer.origin, publicKeyPem: pem, treeId }, signer.sign(0, EMPTY_ROOT, now()));
        return treeId;
    }
    if (id.origin !== signer.origin) {
        throw new CairnError('CONFIG', `this log was created with origin "${id.origin}", not "${signer.origin}"; start with --origin ${id.origin}`);
    }
    if (id.publicKeyPem !== pem) {
        throw new CairnError('CONFIG', 'this log was created with a different signing key; start it with its original key (--key)');
    }
    return id.treeId;
}
/** randomTreeId returns a random positive int64 as a decimal string (Rekor's tree IDs). */
export function randomTreeId() {
    let id = 0n;
    while (id === 0n)
        id = randomBytes(8).readBigUInt64BE() >> 1n;
    return id.toString();
}
/**
 * quickCheck refuses to sign on top of a damaged database: the latest checkpoint's signatures
 * must cover its stored root, the entry count must match it and the stored tiles must hash to it.
 */
function quickCheck(storage, tiles, origin, key) {
    const cp = storage.latest();
    // The latest row's root must be the one its own signatures cover: a log that trusted a
    // rewritten root_hash (with tiles to match) would re-sign this size with a second root.
    const pem = key.publicKeyPem;
    for (const [name, note, verifier] of [['C2SP', cp.c2sp, c2spVerifier(origin, pem)], ['Rekor', cp.rekor, rekorVerifier(origin, pem)]]) {
        let signed;
        try {
            signed = openCheckpoint(note, [verifier]).checkpoint;
        }
        catch (e) {
            throw new CairnError('CORRUPT', `the latest checkpoint's ${name} note does not verify with the log's key (${e.message}); run cairn verify-db`);
        }
        if (signed.size !== cp.size || !bytesEqual(signed.rootHash, cp.rootHash)) {
            throw new CairnError('CORRUPT', `the latest checkpoint (size ${cp.size}) holds a root its ${name} signature does not cover; run cairn verify-db`);
        }
    }
    const count = storage.count();
    if (count !== cp.size) {
        throw new CairnError('CORRUPT', `database holds ${count} entries but the latest checkpoint is for ${cp.size}; run cairn verify-db`);
    }
    if (cp.size > 0) {
        // Probe the newest entry both ways (by index, then by leaf hash through the key index): cheap,
        // and it catches a key index that lost the log's newest entries.
        const [last] = storage.entries(cp.size - 1, cp.size);
        if (!last || !bytesEqual(leafHash(last.body), last.leafHash) || storage.leafIndex(last.leafHash) !== cp.size - 1) {
            throw new CairnError('CORRUPT', `entry ${cp.size - 1} is missing, does not hash to its leaf hash or is not found by it; run cairn verify-db`);
        }
    }
    let root;
    try {
        root = rootHash(cp.size, tiles.readNodes);
    }
    catch (e) {
        throw new CairnError('CORRUPT', `cannot rebuild the tree from stored tiles (${e.message}); run cairn verify-db`);
    }
    if (!bytesEqual(root, cp.rootHash)) {
        throw new CairnError('CORRUPT', `stored tiles do not hash to the latest checkpoint's root at size ${cp.size}; run cairn verify-db`);
    }
}
