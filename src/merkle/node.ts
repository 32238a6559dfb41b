/**
 * NodeId names a perfect subtree of the Merkle tree: height `level` (0 = a leaf) covering leaves
 * [index * 2^level, (index + 1) * 2^level).
 */
export interface NodeId {
  level: number;
  index: number;
}

/**
 * ReadNodes returns the hash of each requested node, in the same order. Proof and root functions
 * call it at most once per operation (exactly once when any node is needed), only ever for
 * perfect subtrees that are complete in the tree being read. An implementation MUST return
 * exactly one 32-byte hash per node and MUST be synchronous; it may throw (e.g. NOT_FOUND).
 */
export type ReadNodes = (nodes: readonly NodeId[]) => Uint8Array[];
