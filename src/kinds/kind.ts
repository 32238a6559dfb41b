/**
 * The contract every entry kind meets. A kind turns a client's proposed entry (Rekor's
 * `{apiVersion, kind, spec}` JSON) into what the log stores: the canonical body whose leaf hash
 * is the entry's UUID, and the search keys it is found under. Kinds are pure: no storage, no clock.
 */

/** A proposed entry as a client posts it (already JSON-parsed, untrusted). */
export interface ProposedEntry {
  apiVersion: string;
  kind: string;
  spec: unknown;
}

/** What admission yields; the api layer hands it to Log.append unchanged. */
export interface Admitted {
  /** "<kind>/<apiVersion>", e.g. "hashedrekord/0.0.1". */
  kind: string;
  /** Canonical body bytes (what Rekor stores and hashes into the leaf). */
  body: Uint8Array;
  /** Normalized search keys (see search-keys.ts); deduplicated. */
  indexKeys: string[];
  /**
   * derivedKeys is true when indexKeys are exactly storedSearchKeys(kind, body) (stored-keys.ts),
   * same keys in the same order, so storage need not keep them beside the body: it derives them
   * when it reads. Set only by a kind's own admit, by construction, never from the request.
   */
  derivedKeys?: boolean;
}

/**
 * EntryKind is one plugin. admit MUST validate the spec against the kind's schema, MUST verify
 * every signature it carries, and MUST throw a CairnError with code INVALID_ENTRY (malformed input
 * or a signature that does not verify; the message names which) rather than return on bad input.
 * canonicalize MUST be deterministic: equal entries give equal bytes, so duplicates share a leaf.
 */
export interface EntryKind {
  readonly kind: string;
  readonly versions: readonly string[];
  admit(entry: ProposedEntry): Admitted;
  /**
   * canonicalize, when present, returns the canonical body of an entry given in the stored form
   * admit refuses (Rekor canonicalizes such entries when they are search queries, without
   * verifying anything), or undefined when the entry is not in that form. Same errors as admit.
   */
  canonicalize?(entry: ProposedEntry): Uint8Array | undefined;
}
