/**
 * Errors a caller or client can cause carry a stable code. The HTTP layer maps codes to statuses
 * (api/errors.ts), metrics use the code as a label, and tests assert the code, not the message.
 * Bugs (broken invariants) throw plain Errors instead. This module imports nothing.
 */
export type ErrorCode =
  | 'INVALID_ENTRY' // the proposed entry is malformed or its signature does not verify
  | 'UNSUPPORTED_KIND' // kind or apiVersion not supported
  | 'DUPLICATE' // the entry is already in the log
  | 'NOT_FOUND' // no such entry, tile or size
  | 'BAD_REQUEST' // malformed parameters
  | 'BAD_PROOF' // a proof does not verify
  | 'MALFORMED_NOTE' // a signed note or checkpoint does not parse
  | 'BAD_SIGNATURE' // a note signature does not verify
  | 'INCONSISTENT' // two trees are not consistent (fork, rollback)
  | 'TOO_LARGE' // a request or result exceeds a bound
  | 'PUSHBACK' // the sequencer is saturated: retry later
  | 'FROZEN' // the log (a shard rotated out) is read-only
  | 'UNAVAILABLE' // storage is not writable (read-only, disk full) or the log is closed
  | 'CONFIG' // bad configuration
  | 'CORRUPT'; // stored data fails an integrity check

export class CairnError extends Error {
  readonly code: ErrorCode;
  /** Extra facts for the HTTP layer, e.g. the existing entry's UUID for DUPLICATE. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CairnError';
    this.code = code;
    this.details = details;
  }
}

/** isCairnError reports whether e is a CairnError, optionally with the given code. */
export function isCairnError(e: unknown, code?: ErrorCode): e is CairnError {
  return e instanceof CairnError && (code === undefined || e.code === code);
}
