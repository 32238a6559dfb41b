/**
 * TileClient reads a tlog-tiles log (shared/specs/tlog-tiles.md): it verifies the checkpoint's
 * signature, fetches tiles and bundles, and computes roots and proofs from them with the same
 * merkle code the server uses. Tiles are untrusted input: every result is checked against a signed
 * root before it means anything (verifyTiles, or verifyInclusion/verifyConsistency by the caller).
 */
import { CairnError } from '../errors.js';
import { ExpandedTile, HASH_SIZE, TILE_WIDTH, bytesEqual, consistencyProof, consistencyProofNodes, entriesPath, inclusionProof, inclusionProofNodes, nodeInTile, rootHash, rootNodes, tilePath, tileRoot, tilesBetween, tileWidthAt, } from '../merkle/index.js';
import { openCheckpoint, parseCheckpoint, splitNote } from '../note/index.js';
import { parseBundle } from './bundle.js';
/** CONCURRENCY bounds parallel tile requests: enough to hide latency, few enough for one origin. */
const CONCURRENCY = 16;
/** FULL_CACHE bounds the immutable full tiles kept in memory (8 KiB each). */
const FULL_CACHE = 4096;
export class TileClient {
    fetcher;
    full = new Map();
    /** Tile and bundle requests made (for tests and progress). */
    requests = 0;
    constructor(fetcher) {
        this.fetcher = fetcher;
    }
    /**
     * checkpoint fetches /checkpoint and verifies it with verifiers, or with verifiers(origin) for
     * keys the origin line names (a PEM key); BAD_SIGNATURE or MALFORMED_NOTE if it does not verify.
     */
    async checkpoint(verifiers) {
        const raw = await this.fetcher('checkpoint');
        if (!raw)
            throw new CairnError('NOT_FOUND', 'the log serves no checkpoint');
        const vs = typeof verifiers === 'function' ? verifiers(parseCheckpoint(splitNote(raw).text).origin) : verifiers;
        const opened = openCheckpoint(raw, vs);
        return { checkpoint: opened.checkpoint, note: Buffer.from(raw).toString('utf8') };
    }
    /** tile fetches tile (level, index) as a tree of `size` leaves has it; NOT_FOUND if the log lacks it. */
    tile(level, index, size) {
        const width = tileWidthAt(size, level, index);
        if (width === 0)
            throw new Error(`client: a tree of size ${size} has no tile ${level}/${index}`);
        const t = { level, index, width };
        if (width < TILE_WIDTH)
            return this.fetchTile(t);
        const k = `${level}/${index}`;
        let p = this.full.get(k);
        if (!p) {
            if (this.full.size >= FULL_CACHE)
                this.full.clear();
            p = this.fetchTile(t);
            p.catch(() => this.full.delete(k));
            this.full.set(k, p);
        }
        return p;
    }
    async fetchTile(t) {
        const path = tilePath(t);
        this.requests++;
        const data = await this.fetcher(path);
        if (!data)
            throw new CairnError('NOT_FOUND', `the log does not serve ${path}`);
        if (data.length !== t.width * HASH_SIZE) {
            throw new CairnError('CORRUPT', `${path} is ${data.length} bytes, want ${t.width * HASH_SIZE}`);
        }
        return data;
    }
    /** bundle fetches entry bundle `index` as a tree of `size` leaves has it, split into entries. */
    async bundle(index, size) {
        const width = tileWidthAt(size, 0, index);
        if (width === 0)
            throw new Error(`client: a tree of size ${size} has no entry bundle ${index}`);
        const path = entriesPath(index, width);
        this.requests++;
        const data = await this.fetcher(path);
        if (!data)
            throw new CairnError('NOT_FOUND', `the log does not serve ${path}`);
        try {
            return parseBundle(data, width);
        }
        catch (e) {
            throw new CairnError('CORRUPT', `${path}: ${e.message}`);
        }
    }
    /** nodes returns the hashes of perfect nodes of the size-`size` tree, fetching the tiles they live in. */
    async nodes(size, nodes) {
        const where = nodes.map((n) => ({ n, ...nodeInTile(n) }));
        const keys = [...new Set(where.map((w) => `${w.tile.level}/${w.tile.index}`))];
        const tiles = new Map();
        await pool(keys, async (k) => {
            const [level, index] = k.split('/').map(Number);
            tiles.set(k, new ExpandedTile(await this.tile(level, index, size)));
        });
        return where.map((w) => {
            const t = tiles.get(`${w.tile.level}/${w.tile.index}`);
            if (t.width < w.start + w.count)
                throw new Error(`client: node ${w.n.level}/${w.n.index} is not complete in tree ${size}`);
            return t.node(w.n.level % 8, w.start / w.count);
        });
    }
    /** rootAt computes MTH of the size-`size` tree from tiles (unverified until compared with a signed root). */
    async rootAt(size) {
        return rootHash(size, await this.prefetch(size, rootNodes(size)));
    }
    /** inclusionProof computes PATH(index, D[0:size]) from the tiles of the size-`size` tree. */
    async inclusionProof(index, size) {
        return inclusionProof(index, size, await this.prefetch(size, inclusionProofNodes(index, size).flat()));
    }
    /** consistencyProof computes PROOF(m, D[0:n]) from the tiles of the size-n tree. */
    async consistencyProof(m, n) {
        return consistencyProof(m, n, await this.prefetch(n, consistencyProofNodes(m, n).flat()));
    }
    /**
     * prefetch fetches the tiles holding the given nodes (the plan of one merkle operation) and
     * returns the ReadNodes that operation makes, so the folding is merkle's own, not a copy.
     */
    async prefetch(size, planned) {
        const hashes = await this.nodes(size, planned);
        return (asked) => {
            if (asked.length !== planned.length)
                throw new Error('client: merkle asked for other nodes than it planned');
            return hashes;
        };
    }
    /**
     * verifyTiles checks every tile the size-`newSize` tree has and the size-`oldSize` tree had
     * differently (tilesBetween), against the signed root of the new tree: each full tile must hash
     * to its entry in the tile above, and the tiles must rebuild to `root`. Together that
     * authenticates every hash in them. Returns the level-0 tiles checked, by index. CORRUPT on a
     * mismatch, naming the tile.
     */
    async verifyTiles(oldSize, newSize, root) {
        const changed = tilesBetween(oldSize, newSize);
        const got = new Map();
        await pool(changed, async (t) => got.set(`${t.level}/${t.index}`, await this.tile(t.level, t.index, newSize)));
        for (const t of changed) {
            if (t.width !== TILE_WIDTH)
                continue;
            const k = `${t.level + 1}/${Math.floor(t.index / TILE_WIDTH)}`;
            // The parent changed too (it gained this tile's hash), so it is among the fetched tiles.
            const parent = got.get(k) ?? (await this.tile(t.level + 1, Math.floor(t.index / TILE_WIDTH), newSize));
            const at = (t.index % TILE_WIDTH) * HASH_SIZE;
            if (!bytesEqual(tileRoot(got.get(`${t.level}/${t.index}`)), parent.subarray(at, at + HASH_SIZE))) {
                throw new CairnError('CORRUPT', `tile ${tilePath(t)} does not hash to its entry in tile ${t.level + 1}/${Math.floor(t.index / TILE_WIDTH)}`);
            }
        }
        if (!bytesEqual(await this.rootAt(newSize), root)) {
            throw new CairnError('CORRUPT', `the tiles of tree size ${newSize} do not rebuild to its signed root hash`);
        }
        const level0 = new Map();
        for (const t of changed)
            if (t.level === 0)
                level0.set(t.index, got.get(`0/${t.index}`));
        return level0;
    }
}
/** pool runs fn over items with at most CONCURRENCY in flight; the first failure rejects. */
async function pool(items, fn) {
    let next = 0;
    const worker = async () => {
        while (next < items.length)
            await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
