/**
 * Tile building: what a batch of new leaves does to a tree's tiles (c2sp.org/tlog-tiles), for
 * the sequencer and for verify-db's rebuild from stored bodies.
 */
import { tileNodes } from './batch.js';
import { HASH_SIZE } from './hash.js';
import { ExpandedTile, TILE_HEIGHT, TILE_WIDTH } from './tile.js';
/**
 * integrate appends leafHashes to a tree of oldSize leaves and returns every tile that changed,
 * with its final bytes. edge(level, index) must return the stored partial tile at that position
 * (it is asked only for tiles the old tree has as partial). A tile that fills up contributes its
 * root to the level above (c2sp.org/tlog-tiles: only full tiles are hashed into the next level).
 * Pure: no I/O beyond the edge callback.
 */
export function integrate(oldSize, leafHashes, edge) {
    const updates = [];
    let hashes = leafHashes;
    let before = oldSize; // hashes at this level before the batch
    for (let level = 0; hashes.length > 0; level++) {
        let index = Math.floor(before / TILE_WIDTH);
        let width = before % TILE_WIDTH;
        let tile = new Uint8Array(TILE_WIDTH * HASH_SIZE);
        if (width > 0) {
            const old = edge(level, index);
            if (!old || old.length !== width * HASH_SIZE) {
                throw new Error(`integrate: partial tile ${level}/${index} has ${old?.length ?? 0} bytes, want ${width * HASH_SIZE}`);
            }
            tile.set(old);
        }
        const up = [];
        for (const h of hashes) {
            tile.set(h, width * HASH_SIZE);
            width++;
            if (width === TILE_WIDTH) {
                // The tile's nodes in one native call where the addon is built (one hash per leaf).
                const expanded = new ExpandedTile(tile, tileNodes(tile));
                updates.push({ level, index, data: tile, expanded });
                up.push(expanded.node(TILE_HEIGHT, 0));
                index++;
                width = 0;
                tile = new Uint8Array(TILE_WIDTH * HASH_SIZE);
            }
        }
        if (width > 0)
            updates.push({ level, index, data: tile.slice(0, width * HASH_SIZE) });
        hashes = up;
        before = Math.floor(before / TILE_WIDTH);
    }
    return updates;
}
