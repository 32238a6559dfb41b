/**
 * merkle is Cairn's pure RFC 6962/9162 and C2SP tlog-tiles math over Uint8Array: synchronous,
 * no I/O. Proof and root functions take one batched ReadNodes; verification needs no reader.
 */
export { HASH_SIZE, EMPTY_ROOT, leafHash, nodeHash, bytesEqual } from './hash.js';
export { rootNodes, rootHash, inclusionProof, inclusionProofs, consistencyProof, inclusionProofNodes, consistencyProofNodes, } from './proof.js';
export { RangeMemo } from './memo.js';
export { rootFromInclusionProof, verifyInclusion, verifyConsistency } from './verify.js';
export { TILE_HEIGHT, TILE_WIDTH, MAX_TILE_LEVEL, tilePath, entriesPath, parseTilePath, tilesForSize, tilesBetween, nodeInTile, subtreeHash, tileRoot, tileNodesJs, hashesAtLevel, tileWidthAt, ExpandedTile, } from './tile.js';
export { leafHashes, hasNativeLeafHashes, tileNodes, hasNativeTileNodes } from './batch.js';
export { integrate } from './integrate.js';
export * as bits from './bits.js';
