/**
 * An entry's search keys as cairn.db keeps them: its entry_keys row (a JSON array) when it has one,
 * else the keys its body gives back (kinds' storedSearchKeys). The log writer stores no row for an
 * entry whose keys admission said are derivable (BatchWrite.derivedKeys: hashedrekord, ~187 B an
 * entry, issue 16 "store less"), nor for an entry without keys of a kind that derives none; an
 * entry given no keys whose kind could derive some gets an empty row (its body is then never
 * parsed for keys it was not given). A body that derives nothing (a made-up body) has none. Everything that reads keys reads them through here: the
 * index worker's runs (index-db.ts, as the SQL function derived_keys), search's re-check and the
 * tail at start (key-index.ts), and snapshots (tables.ts).
 */
import { hasStoredSearchKeys, storedSearchKeys } from '../kinds/index.js';
import type { BodyReader } from './body-stream.js';

/** derivedKeys returns the search keys of an entry without an entry_keys row. */
export function derivedKeys(kind: string, body: Uint8Array): string[] {
  return (hasStoredSearchKeys(kind) && storedSearchKeys(kind, body)) || [];
}

/**
 * ENTRY_KEYS_FROM and ENTRY_KEYS_COLUMNS read entries' keys: the row's keys, or the kind and where
 * the body is to derive them from (set only for entries without a row; the body is then read from
 * the body stream), for keysOf.
 */
export const ENTRY_KEYS_FROM = 'entries e JOIN kinds k ON k.id = e.kind LEFT JOIN entry_keys s ON s.idx = e.idx';
export const ENTRY_KEYS_COLUMNS = 's.keys AS keys, CASE WHEN s.keys IS NULL THEN k.name END AS kind, CASE WHEN s.keys IS NULL THEN e.body_at END AS body_at, e.body_len AS body_len';

/** KeysRow is what ENTRY_KEYS_COLUMNS reads. */
export interface KeysRow {
  keys: string | null;
  kind: string | null;
  body_at: number | null;
  body_len: number;
}

/** keysOf returns the keys of an entry read through ENTRY_KEYS_COLUMNS, reading its body only if they must be derived. */
export function keysOf(r: KeysRow, bodies: BodyReader): string[] {
  if (r.keys != null) return JSON.parse(r.keys) as string[];
  if (r.kind === null || r.body_at === null || !hasStoredSearchKeys(r.kind)) return [];
  return derivedKeys(r.kind, bodies.read(r.body_at, r.body_len));
}
