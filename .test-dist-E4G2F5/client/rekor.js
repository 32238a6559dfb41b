/**
 * RekorClient reads the parts of Rekor's v1 REST API (shared/specs/rekor-openapi.yaml) a monitor
 * and a verifier need: the signed tree head (GET /api/v1/log), consistency proofs (GET
 * /api/v1/log/proof) and an entry with its inclusion proof (GET /api/v1/log/entries/{uuid}).
 * Responses are checked for shape here; their meaning is checked by the caller against signed roots.
 */
import { CairnError } from '../errors.js';
import { openCheckpoint, splitNote, parseCheckpoint } from '../note/index.js';
function bad(what) {
    return new CairnError('BAD_PROOF', `Rekor API: ${what}`);
}
/** hexHash decodes a 64-hex-digit hash or fails naming the field. */
export function hexHash(s, field) {
    if (typeof s !== 'string' || !/^[0-9a-fA-F]{64}$/.test(s))
        throw bad(`${field} is not a 64-digit hex hash`);
    return new Uint8Array(Buffer.from(s, 'hex'));
}
function count(n, field) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
        throw bad(`${field} is not a non-negative integer`);
    return n;
}
export class RekorClient {
    opts;
    base;
    constructor(base, opts = {}) {
        this.opts = opts;
        this.base = base.replace(/\/+$/, '');
    }
    async json(path) {
        const url = this.base + path;
        let res;
        try {
            res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000), headers: { accept: 'application/json' } });
        }
        catch (e) {
            throw new CairnError('UNAVAILABLE', `GET ${url}: ${e.message}`);
        }
        const text = await res.text();
        if (res.status === 404)
            return undefined;
        if (res.status !== 200)
            throw new CairnError('UNAVAILABLE', `GET ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
        try {
            const v = JSON.parse(text);
            if (typeof v !== 'object' || v === null || Array.isArray(v))
                throw new Error('not an object');
            return v;
        }
        catch (e) {
            throw bad(`GET ${url}: response is not a JSON object (${e.message})`);
        }
    }
    /**
     * logInfo fetches GET /api/v1/log and verifies its signedTreeHead with verifiers(origin), the
     * origin being the note's own first line; the JSON treeSize and rootHash must match the signed ones.
     */
    async logInfo(verifiers) {
        const info = await this.json('/api/v1/log');
        if (!info)
            throw new CairnError('NOT_FOUND', 'GET /api/v1/log: 404');
        const sth = info.signedTreeHead;
        if (typeof sth !== 'string')
            throw bad('signedTreeHead is missing');
        const origin = parseCheckpoint(splitNote(sth).text).origin;
        const { checkpoint } = openCheckpoint(sth, verifiers(origin));
        if (count(info.treeSize, 'treeSize') !== checkpoint.size || Buffer.compare(hexHash(info.rootHash, 'rootHash'), checkpoint.rootHash) !== 0) {
            throw new CairnError('BAD_SIGNATURE', 'GET /api/v1/log: treeSize/rootHash differ from the signed tree head');
        }
        return { checkpoint, note: sth, treeId: String(info.treeID ?? '') };
    }
    /** consistencyProof fetches GET /api/v1/log/proof for firstSize ≥ 1 and lastSize. */
    async consistencyProof(firstSize, lastSize) {
        const p = await this.json(`/api/v1/log/proof?firstSize=${firstSize}&lastSize=${lastSize}`);
        if (!p)
            throw new CairnError('NOT_FOUND', `no consistency proof from ${firstSize} to ${lastSize}`);
        if (!Array.isArray(p.hashes))
            throw bad('hashes is not an array');
        return { rootHash: hexHash(p.rootHash, 'rootHash'), hashes: p.hashes.map((h, i) => hexHash(h, `hashes[${i}]`)) };
    }
    /** entry fetches GET /api/v1/log/entries/{uuid}; undefined if the log has no such entry. */
    async entry(uuid) {
        if (!/^([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$/.test(uuid))
            throw new CairnError('BAD_REQUEST', 'a UUID is 64 or 80 hex digits');
        const r = await this.json(`/api/v1/log/entries/${uuid}`);
        if (!r)
            return undefined;
        const keys = Object.keys(r);
        if (keys.length !== 1)
            throw bad('entry response must hold exactly one entry');
        const e = r[keys[0]];
        if (typeof e?.body !== 'string')
            throw bad('entry body is not a base64 string');
        const ip = e.verification?.inclusionProof;
        return {
            uuid: keys[0],
            logIndex: count(e.logIndex, 'logIndex'),
            body: new Uint8Array(Buffer.from(e.body, 'base64')),
            inclusionProof: ip && {
                logIndex: count(ip.logIndex, 'inclusionProof.logIndex'),
                treeSize: count(ip.treeSize, 'inclusionProof.treeSize'),
                rootHash: hexHash(ip.rootHash, 'inclusionProof.rootHash'),
                hashes: Array.isArray(ip.hashes) ? ip.hashes.map((h, i) => hexHash(h, `inclusionProof.hashes[${i}]`)) : [],
                checkpoint: typeof ip.checkpoint === 'string' ? ip.checkpoint : undefined,
            },
        };
    }
}
