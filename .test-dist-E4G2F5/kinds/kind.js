/**
 * The contract every entry kind meets. A kind turns a client's proposed entry (Rekor's
 * `{apiVersion, kind, spec}` JSON) into what the log stores: the canonical body whose leaf hash
 * is the entry's UUID, and the search keys it is found under. Kinds are pure: no storage, no clock.
 */
export {};
