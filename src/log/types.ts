/**
 * The log service's public surface, written first so the HTTP layer and the CLI can be built
 * against it. Everything here is synchronous except append, whose promise is the one async seam.
 */
import type { EntryRow } from '../storage/index.js';

/** A checkpoint the log signed: the same body carried with two kinds of signature line. */
export interface SignedCheckpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** Unix milliseconds when this checkpoint was signed. */
  signedAt: number;
  /** C2SP signed note (one line, key ID = SHA-256(name || 0x0A || type || pubkey)[:4]), plus any witness cosignatures. */
  c2sp: string;
  /** Rekor signed note: exactly one line whose key hint is SHA-256(SPKI DER)[:4]. */
  rekor: string;
}

/** An entry as stored: the storage contract's row (its body is the canonical body, the bytes hashed into the leaf; its SET is set.ts's). */
export type StoredEntry = EntryRow;

/** What a submitter passes to Log.append. */
export interface Submission {
  /** Canonical body bytes; the leaf hash is computed from these. */
  body: Uint8Array;
  /** e.g. "hashedrekord/0.0.1" */
  kind: string;
  /** Search keys, already normalized (e.g. "sha256:<hex>", "email:alice@example.com"). */
  indexKeys: string[];
  /**
   * derivedKeys: indexKeys are exactly what storedSearchKeys(kind, body) gives back (kinds'
   * Admitted.derivedKeys), so storage may keep no copy of them and derive them when it reads.
   * Only admission sets it; an entry whose keys differ would be searchable under the wrong keys.
   */
  derivedKeys?: boolean;
  /**
   * Sign Rekor's entry timestamp at integration and store it with the entry (the Rekor API's
   * uploads): it is signed once either way, and later reads serve it instead of signing again.
   */
  signEntryTimestamp?: boolean;
  /**
   * direct: the sequencing node of a shared log integrates its own upload without queueing it
   * (BatchWrite.direct); it is answered as a duplicate if another upload had queued the leaf.
   */
  direct?: boolean;
}

/** What Log.append resolves with once the entry and the checkpoint covering it are durable. */
export interface Receipt {
  entry: StoredEntry;
  /** The checkpoint signed for the batch that integrated the entry. */
  checkpoint: SignedCheckpoint;
  /** Inclusion proof of entry.index in checkpoint.size. */
  proof: Uint8Array[];
}
