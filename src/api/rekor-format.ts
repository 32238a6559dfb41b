/**
 * Rekor v1 response bodies, serialized by hand. Field order is that of rekor's generated Go models
 * (pkg/generated/models: alphabetical), hashes are lowercase hex, body and SET standard base64.
 * Every interpolated value is hex, base64 or a safe integer, or went through JSON.stringify, so
 * the templates are valid JSON; building strings skips express's res.json and a second stringify.
 */
import { treeIdHex, type AnyLog, type SignedCheckpoint, type StoredEntry } from '../log/index.js';

/** TREE_ID_HEX_LEN and UUID_HEX_LEN are rekor pkg/sharding's entry ID parts: 16 hex tree ID + 64 hex leaf hash. */
export const TREE_ID_HEX_LEN = 16;
export const UUID_HEX_LEN = 64;

/** hex returns bytes as lowercase hex. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** SET_CACHE_SIZE bounds the SETs kept (about 100 bytes each). */
export const SET_CACHE_SIZE = 32768;

interface CheckpointJson {
  /** JSON string literal of the Rekor note. */
  note: string;
  rootHex: string;
  /** GET /api/v1/log's body after its inactiveShards field. */
  logInfoTail: string;
}

/**
 * RekorFormatter renders a log's Rekor responses. Per-checkpoint strings (the note as a JSON
 * literal, the root in hex, the whole /api/v1/log body) are computed once per checkpoint object.
 */
export class RekorFormatter {
  readonly logIdHex: string;
  readonly treeIdHex: string;
  private cpCache = new WeakMap<SignedCheckpoint, CheckpointJson>();
  /** Base64 SETs by log index, of entries stored without one: an entry's fields never change, so neither does its SET (Ed25519 is deterministic; any valid ECDSA SET will do). */
  private sets = new Map<number, string>();

  constructor(private readonly log: AnyLog) {
    this.logIdHex = log.logIdHex;
    this.treeIdHex = treeIdHex(log.treeId);
  }

  /** entryId returns Rekor's entry ID (what it uses as the response key and in Location): tree ID hex + leaf hash hex. */
  entryId(leafHash: Uint8Array): string {
    return this.treeIdHex + hex(leafHash);
  }

  private cp(c: SignedCheckpoint): CheckpointJson {
    let j = this.cpCache.get(c);
    if (!j) {
      const rootHex = hex(c.rootHash);
      const note = asciiJson(c.rekor);
      const logInfoTail = `"rootHash":"${rootHex}","signedTreeHead":${note},"treeID":${JSON.stringify(this.log.treeId)},"treeSize":${c.size}}`;
      j = { note, rootHex, logInfoTail };
      this.cpCache.set(c, j);
    }
    return j;
  }

  /** logInfo returns the body of GET /api/v1/log for checkpoint c and the JSON array of the frozen shards (rekor tlog.go GetLogInfoHandler). */
  logInfo(c: SignedCheckpoint, inactiveShards = '[]'): string {
    return `{"inactiveShards":${inactiveShards},${this.cp(c).logInfoTail}`;
  }

  /** consistencyProof returns a ConsistencyProof body. */
  consistencyProof(rootHash: Uint8Array, hashes: Uint8Array[]): string {
    return `{"hashes":${hexArray(hashes)},"rootHash":"${hex(rootHash)}"}`;
  }

  /**
   * logEntryAnon returns one LogEntryAnon: the entry, its SET (as stored at integration, else
   * signed now) and its inclusion proof in checkpoint c, whose note is the proof's checkpoint.
   * logIndex is virtual (counted through the frozen shards before this one, and what the SET
   * signs); the inclusion proof's logIndex is the leaf's index in this shard's tree, as Rekor's.
   */
  logEntryAnon(e: StoredEntry, c: SignedCheckpoint, proof: Uint8Array[]): string {
    const body = Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength).toString('base64');
    let set = e.entryTimestamp && Buffer.from(e.entryTimestamp.buffer, e.entryTimestamp.byteOffset, e.entryTimestamp.byteLength).toString('base64');
    set ??= this.sets.get(e.index);
    if (set === undefined) {
      set = Buffer.from(this.log.signEntryTimestamp(e)).toString('base64');
      // Insertion order is age: evict the oldest. New entries are the ones clients read back.
      if (this.sets.size >= SET_CACHE_SIZE) this.sets.delete(this.sets.keys().next().value!);
      this.sets.set(e.index, set);
    }
    const j = this.cp(c);
    return (
      `{"body":"${body}","integratedTime":${e.integratedTime},"logID":"${this.logIdHex}","logIndex":${this.log.indexOffset + e.index},` +
      `"verification":{"inclusionProof":{"checkpoint":${j.note},"hashes":${hexArray(proof)},"logIndex":${e.index},` +
      `"rootHash":"${j.rootHex}","treeSize":${c.size}},"signedEntryTimestamp":"${set}"}}`
    );
  }

  /** logEntry returns a LogEntry: {<entry ID>: LogEntryAnon}. */
  logEntry(e: StoredEntry, c: SignedCheckpoint, proof: Uint8Array[]): string {
    return `{"${this.entryId(e.leafHash)}":${this.logEntryAnon(e, c, proof)}}`;
  }

}

/**
 * asciiJson returns JSON.stringify(s) with every non-ASCII character escaped (\uXXXX): the same
 * JSON value. Why: a note's signature lines begin with an em dash, and one such character in the
 * note made every response embedding it a two-byte string, twice the size to build, measure
 * and encode as UTF-8 on each upload and read.
 */
export function asciiJson(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** HEX_SCRATCH holds a proof's hashes for one hex conversion (a proof has at most 63 hashes of 32 bytes). */
const HEX_SCRATCH = Buffer.allocUnsafe(64 * 32);

/** hexArray returns hashes as a JSON array of hex strings. */
function hexArray(hashes: Uint8Array[]): string {
  const n = hashes.length;
  if (n === 0) return '[]';
  // One hex conversion for the whole proof, sliced, instead of a Buffer and a conversion per hash
  // (~2.7 against ~6 µs for a proof of 17, measured in isolation).
  let whole = n <= 64;
  for (let i = 0; whole && i < n; i++) {
    if (hashes[i].length === 32) HEX_SCRATCH.set(hashes[i], 32 * i);
    else whole = false;
  }
  if (!whole) {
    let s = '["' + hex(hashes[0]);
    for (let i = 1; i < n; i++) s += '","' + hex(hashes[i]);
    return s + '"]';
  }
  const h = HEX_SCRATCH.toString('hex', 0, 32 * n);
  let s = '["' + h.slice(0, 64);
  for (let i = 1; i < n; i++) s += '","' + h.slice(64 * i, 64 * i + 64);
  return s + '"]';
}
