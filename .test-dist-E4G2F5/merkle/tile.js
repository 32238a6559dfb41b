/**
 * C2SP tlog-tiles (c2sp.org/tlog-tiles) addressing: tile paths, which tiles a tree of a given
 * size has, and which tile holds the hashes a perfect node is built from.
 */
import { CairnError } from '../errors.js';
import { isPow2, isSafeIndex } from './bits.js';
import { HASH_SIZE, nodeHash, nodeHashOfPair } from './hash.js';
/** TILE_HEIGHT is the number of tree levels one tile spans (c2sp.org/tlog-tiles: height 8). */
export const TILE_HEIGHT = 8;
/** TILE_WIDTH is the number of hashes in a full tile, 2^TILE_HEIGHT (c2sp.org/tlog-tiles). */
export const TILE_WIDTH = 256;
/** MAX_TILE_LEVEL is the largest tile level a path may name (c2sp.org/tlog-tiles: L is 0..63). */
export const MAX_TILE_LEVEL = 63;
/** indexPath returns N as zero-padded 3-digit elements, all but the last prefixed "x" (1234067 → x001/x234/067). */
function indexPath(n) {
    let digits = String(n);
    digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
    const parts = [];
    for (let i = 0; i < digits.length; i += 3)
        parts.push(digits.slice(i, i + 3));
    return parts.map((p, i) => (i < parts.length - 1 ? 'x' + p : p)).join('/');
}
function checkTile(index, width) {
    if (!isSafeIndex(index))
        throw new CairnError('BAD_REQUEST', `tile index must be a non-negative safe integer, got ${index}`);
    if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH)
        throw new CairnError('BAD_REQUEST', `tile width must be 1..256, got ${width}`);
}
function widthSuffix(width) {
    return width === TILE_WIDTH ? '' : `.p/${width}`;
}
/** tilePath returns the tile's path below the log prefix, e.g. "tile/0/x001/x234/067" or "tile/1/005.p/17". */
export function tilePath(t) {
    checkTile(t.index, t.width);
    if (!Number.isInteger(t.level) || t.level < 0 || t.level > MAX_TILE_LEVEL) {
        throw new CairnError('BAD_REQUEST', `tile level must be 0..63, got ${t.level}`);
    }
    return `tile/${t.level}/${indexPath(t.index)}${widthSuffix(t.width)}`;
}
/** entriesPath returns the path of entry bundle `index` of `width` entries, e.g. "tile/entries/x001/234.p/5". */
export function entriesPath(index, width) {
    checkTile(index, width);
    return `tile/entries/${indexPath(index)}${widthSuffix(width)}`;
}
const LEVEL = /^(0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;
const INNER = /^x[0-9]{3}$/;
const LAST = /^[0-9]{3}$/;
const MAX_PATH = 64; // "tile/entries/" + 6 index elements + ".p/255" is well under this
/**
 * parseTilePath parses a path produced by tilePath or entriesPath (no leading slash). It is
 * strict: only the one canonical spelling of each tile is accepted. Entry bundles report level 0.
 * Throws CairnError BAD_REQUEST on anything else.
 */
export function parseTilePath(path) {
    const bad = () => {
        throw new CairnError('BAD_REQUEST', 'malformed tile path');
    };
    if (typeof path !== 'string' || path.length > MAX_PATH)
        bad();
    const parts = path.split('/');
    if (parts.length < 3 || parts[0] !== 'tile')
        bad();
    const entries = parts[1] === 'entries';
    if (!entries && !LEVEL.test(parts[1]))
        bad();
    const level = entries ? 0 : Number(parts[1]);
    if (level > MAX_TILE_LEVEL)
        bad();
    const elems = parts.slice(2);
    let width = TILE_WIDTH;
    if (elems.length >= 2 && elems[elems.length - 2].endsWith('.p')) {
        const w = elems.pop();
        if (!WIDTH.test(w) || Number(w) >= TILE_WIDTH)
            bad();
        width = Number(w);
        elems[elems.length - 1] = elems[elems.length - 1].slice(0, -2);
    }
    const last = elems.length - 1;
    if (!elems.every((e, i) => (i < last ? INNER : LAST).test(e)))
        bad();
    const index = Number(elems.map((e) => e.replace('x', '')).join(''));
    if (!Number.isSafeInteger(index))
        bad();
    // Reject non-canonical spellings such as x000/005 for 005.
    if (indexPath(index) !== elems.join('/'))
        bad();
    return { level, index, width, entries };
}
/**
 * tilesForSize returns every tile a tree of `size` leaves has, full and partial, level by level
 * and left to right. At level L there are floor(size / 256^(L+1)) full tiles and one partial tile
 * of width floor(size / 256^L) mod 256 if that is non-zero (c2sp.org/tlog-tiles). The list has
 * about size/255 entries: use tilesBetween for the tiles a batch changed.
 */
export function tilesForSize(size) {
    return tilesBetween(0, size);
}
/**
 * tilesBetween returns the tiles of a tree of newSize leaves that a tree of oldSize leaves does
 * not have with the same contents: every tile that is new or grew, full ones included.
 */
export function tilesBetween(oldSize, newSize) {
    if (!isSafeIndex(oldSize) || !isSafeIndex(newSize) || oldSize > newSize) {
        throw new CairnError('BAD_REQUEST', `bad tile range ${oldSize}..${newSize}`);
    }
    const tiles = [];
    let oldCount = oldSize; // hashes at this level in the old tree
    let newCount = newSize;
    for (let level = 0; newCount > 0; level++) {
        // The tile containing old hash oldCount changed (if partial), and every tile after it is new.
        const first = Math.floor(oldCount / TILE_WIDTH);
        const fullEnd = Math.floor(newCount / TILE_WIDTH);
        for (let index = first; index < fullEnd; index++)
            tiles.push({ level, index, width: TILE_WIDTH });
        const width = newCount % TILE_WIDTH;
        if (width > 0 && newCount > oldCount)
            tiles.push({ level, index: fullEnd, width });
        oldCount = Math.floor(oldCount / TILE_WIDTH);
        newCount = Math.floor(newCount / TILE_WIDTH);
    }
    return tiles;
}
/** hashesAtLevel returns how many hashes tile level `level` holds in a tree of `size` leaves: floor(size / 256^level). */
export function hashesAtLevel(size, level) {
    // 256^level is a power of two, so the division is exact in floating point for any level.
    return Math.floor(size / TILE_WIDTH ** level);
}
/**
 * tileWidthAt returns the width tile (level, index) has in a tree of `size` leaves: 256 when full,
 * 1..255 when it is the partial right edge, 0 when the tree does not reach it. Entry bundles are
 * level 0. The server, the exporter and the clients all ask this, so they agree on what "the tile
 * at this size" means.
 */
export function tileWidthAt(size, level, index) {
    const have = hashesAtLevel(size, level) - index * TILE_WIDTH;
    return have <= 0 ? 0 : Math.min(TILE_WIDTH, have);
}
/**
 * nodeInTile returns where the hashes perfect node `node` is built from live: the tile at tile
 * level floor(level/8) and its hashes [start, start+count), count = 2^(level mod 8). Those hashes
 * fold into the node; for level ≡ 0 mod 8 the node is the single hash at `start`.
 */
export function nodeInTile(node) {
    const tileLevel = Math.floor(node.level / TILE_HEIGHT);
    const count = 2 ** (node.level % TILE_HEIGHT);
    const first = node.index * count; // index of the first covered hash at tree level 8*tileLevel
    return {
        tile: { level: tileLevel, index: Math.floor(first / TILE_WIDTH) },
        start: first % TILE_WIDTH,
        count,
    };
}
/**
 * subtreeHash returns MTH(hashes[start : start+count]) for a perfect run (count a power of two,
 * hashes being the roots of equal-height subtrees). It throws (a bug) on a bad run.
 */
export function subtreeHash(hashes, start, count) {
    if (!isPow2(count) || !Number.isInteger(start) || start < 0 || start + count > hashes.length) {
        throw new Error(`merkle: bad subtree run [${start}, ${start}+${count}) of ${hashes.length}`);
    }
    let level = hashes.slice(start, start + count);
    while (level.length > 1) {
        const up = new Array(level.length / 2);
        for (let i = 0; i < up.length; i++)
            up[i] = nodeHash(level[2 * i], level[2 * i + 1]);
        level = up;
    }
    return level[0];
}
/**
 * tileRoot returns MTH of a full tile's 256 hashes: the hash the level above stores for it
 * (c2sp.org/tlog-tiles: partial tiles are never hashed upward). It throws (a bug) unless
 * tileData is exactly 256 hashes.
 */
export function tileRoot(tileData) {
    if (tileData.length !== TILE_WIDTH * HASH_SIZE)
        throw new Error(`merkle: tileRoot of ${tileData.length} bytes, want a full tile`);
    // The last of tileNodesJs' nodes is the tile's root (height 8).
    return tileNodesJs(tileData).slice(-HASH_SIZE);
}
/**
 * tileNodesJs returns every complete node of a tile above its hashes (1..256 of them): height 1's
 * floor(width/2) nodes, then height 2's, ... up to height 8, back to back. It is the layout
 * ExpandedTile keeps; batch.ts's tileNodes computes the same in one native call where it can.
 */
export function tileNodesJs(data) {
    const width = checkTileData(data);
    const out = new Uint8Array(upperCount(width) * HASH_SIZE);
    let src = data;
    let from = 0;
    let to = 0;
    for (let n = width >> 1; n > 0; n >>= 1) {
        for (let i = 0; i < n; i++)
            out.set(nodeHashOfPair(src, from + 2 * i * HASH_SIZE), to + i * HASH_SIZE);
        src = out;
        from = to;
        to += n * HASH_SIZE;
    }
    return out;
}
function checkTileData(data) {
    if (data.length === 0 || data.length % HASH_SIZE !== 0 || data.length > TILE_WIDTH * HASH_SIZE) {
        throw new Error(`merkle: tile data of ${data.length} bytes is not 1..256 hashes`);
    }
    return data.length / HASH_SIZE;
}
/** upperCount is the number of complete nodes above a tile's `width` hashes. */
function upperCount(width) {
    let total = 0;
    for (let n = width >> 1; n > 0; n >>= 1)
        total += n;
    return total;
}
/**
 * ExpandedTile holds every complete node of one tile: the tile's own hashes (within-tile height
 * 0) and, above them, each perfect node up to the tile root (height 8, full tiles only), built
 * once with about `width` hash operations into one contiguous buffer (≤ 511 hashes). node()
 * is then a lookup, which is what makes warm proofs cheap.
 */
export class ExpandedTile {
    /** data is the tile as stored: width concatenated hashes. Shared, not copied: do not mutate. */
    data;
    /** width is the number of hashes in the tile (1..256). */
    width;
    upper; // heights 1..8, each height's nodes back to back
    offsets = [0]; // byte offset of height r in upper (r >= 1)
    counts; // complete nodes at height r
    /**
     * @param upper the nodes above data as tileNodesJs lays them out, when the caller has them
     *   already (the append path computes them natively, in one call); computed here otherwise.
     *   Kept, not copied: do not mutate.
     */
    constructor(data, upper) {
        this.width = checkTileData(data);
        this.data = data;
        this.counts = [this.width];
        let total = 0;
        for (let r = 1; r <= TILE_HEIGHT; r++) {
            this.offsets[r] = total * HASH_SIZE;
            this.counts[r] = Math.floor(this.width / 2 ** r);
            total += this.counts[r];
        }
        if (upper !== undefined && upper.length !== total * HASH_SIZE) {
            throw new Error(`merkle: ${upper.length} bytes of nodes for a tile of width ${this.width}, want ${total * HASH_SIZE}`);
        }
        this.upper = upper ?? tileNodesJs(data);
    }
    /**
     * node returns the hash of the perfect node at within-tile height r (0..8) and position i, i.e.
     * the MTH of tile hashes [i*2^r, (i+1)*2^r), as a view into the tile's memory (do not mutate).
     * It throws (a bug) if that node is not complete in this tile.
     */
    node(r, i) {
        if (!(r >= 0 && r <= TILE_HEIGHT && Number.isInteger(r)) || !Number.isInteger(i) || i < 0 || i >= this.counts[r]) {
            throw new Error(`merkle: tile of width ${this.width} has no node at height ${r}, position ${i}`);
        }
        const at = i * HASH_SIZE;
        return r === 0 ? this.data.subarray(at, at + HASH_SIZE) : this.upper.subarray(this.offsets[r] + at, this.offsets[r] + at + HASH_SIZE);
    }
}
