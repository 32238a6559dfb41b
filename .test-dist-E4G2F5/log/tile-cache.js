import { CairnError } from '../errors.js';
import { ExpandedTile, TILE_HEIGHT, TILE_WIDTH, bytesEqual, nodeInTile } from '../merkle/index.js';
/**
 * TileCache answers the merkle layer's batched node reads from the tree's C2SP tiles (height 8),
 * which the storage driver keeps. Each tile read is expanded once into all its internal nodes and
 * kept in a bounded LRU, so a warm proof is only map lookups.
 *
 * The sequencer install()s a batch's tiles once the storage has committed them, so readers never
 * see tiles of an uncommitted batch.
 */
export class TileCache {
    load;
    cacheSize;
    lru = new Map();
    /** Tile reads that missed the cache (for metrics and tests). */
    misses = 0;
    /** @param load reads a tile's stored bytes (the storage driver's tile()). */
    constructor(load, cacheSize = 8192) {
        this.load = load;
        this.cacheSize = cacheSize;
    }
    /** get returns the stored bytes of tile (level, index): full or the current partial, or undefined. */
    get(level, index) {
        const cached = this.lru.get(tileKey(level, index));
        if (cached)
            return cached.data;
        return this.load(level, index);
    }
    /**
     * read returns what get does, but a full tile read from disk is first checked against its
     * parent (CORRUPT on a mismatch), as node reads are: for everything served to clients.
     * get stays raw for the sequencer and for verify-db, which reports mismatches itself.
     */
    read(level, index) {
        return this.expanded(level, index)?.data;
    }
    /**
     * readNodesOver returns a node reader that sees `pending` tiles (keyed by tileKey) over the
     * stored ones: the sequencer's view, which includes batches still being committed. Since
     * tiles only grow, a node complete in an older version of a tile has the same hash in every
     * newer one, so one map of each tile's newest version serves proofs at every size.
     */
    readNodesOver(pending) {
        return (nodes) => nodes.map((n) => this.node(n, pending));
    }
    /** install puts tiles whose transaction has committed into the cache, replacing older versions. */
    install(tiles) {
        for (const [k, t] of tiles) {
            this.lru.delete(k);
            this.remember(k, t);
        }
    }
    /** readNodes is the merkle.ReadNodes of this store: every node must be complete in the stored tree. */
    readNodes = (nodes) => nodes.map((n) => this.node(n));
    node(n, overlay) {
        const { tile, start, count } = nodeInTile(n);
        const t = overlay?.get(tileKey(tile.level, tile.index)) ?? this.expanded(tile.level, tile.index);
        if (!t || t.width < start + count) {
            throw new Error(`log: tile ${tile.level}/${tile.index} missing or too short for node ${n.level}/${n.index}`);
        }
        return t.node(n.level % 8, start / count);
    }
    expanded(level, index) {
        const k = tileKey(level, index);
        const hit = this.lru.get(k);
        if (hit) {
            // Re-insert to mark as most recently used.
            this.lru.delete(k);
            this.lru.set(k, hit);
            return hit;
        }
        this.misses++;
        const stored = this.load(level, index);
        if (!stored)
            return undefined;
        const t = new ExpandedTile(new Uint8Array(stored));
        if (t.width === TILE_WIDTH)
            this.checkParent(level, index, t);
        this.remember(k, t);
        return t;
    }
    /**
     * checkParent compares a full tile read from disk with the hash its parent tile holds for it.
     * Why: the start-up check covers only the right edge, so a damaged full tile deep in the tree
     * would otherwise be served as wrong tiles and proofs until verify-db ran. Parents are checked
     * the same way when they load, so a full tile is tied through its ancestors to the right edge.
     * (A partial right-edge tile re-read after eviction is not checked; start-up checks it.)
     */
    checkParent(level, index, t) {
        const parent = this.expanded(level + 1, Math.floor(index / TILE_WIDTH));
        const at = index % TILE_WIDTH;
        // The sequencer writes a tile's hash into its parent in the transaction that fills the tile,
        // so a missing or short parent is damage too.
        if (!parent || parent.width <= at || !bytesEqual(t.node(TILE_HEIGHT, 0), parent.node(0, at))) {
            throw new CairnError('CORRUPT', `stored tile ${level}/${index} does not hash to the value its parent tile ${level + 1}/${Math.floor(index / TILE_WIDTH)} holds for it; run cairn verify-db`);
        }
    }
    remember(k, t) {
        this.lru.set(k, t);
        if (this.lru.size > this.cacheSize) {
            const oldest = this.lru.keys().next().value;
            this.lru.delete(oldest);
        }
    }
}
export function tileKey(level, index) {
    return index * 64 + level;
}
