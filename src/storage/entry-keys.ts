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

/** derivedKeys returns the search keys of an entry without an entry_keys row. */
export function derivedKeys(kind: string, body: Uint8Array): string[] {
  return (hasStoredSearchKeys(kind) && storedSearchKeys(kind, body)) || [];
}

/** entryKeys returns an entry's keys from its entry_keys row (null or undefined: none) or its body. */
export function entryKeys(row: string | null | undefined, kind: string | null, body: Uint8Array | null): string[] {
  if (row != null) return JSON.parse(row) as string[];
  return kind === null || body === null ? [] : derivedKeys(kind, body);
}

/**
 * ENTRY_KEYS_COLUMNS reads entries' keys from `FROM entries e LEFT JOIN entry_keys s ON s.idx =
 * e.idx`: the row's keys, or the kind and body to derive them from (read only for entries
 * without a row), for entryKeys(keys, kind, body).
 */
export const ENTRY_KEYS_COLUMNS = 's.keys AS keys, CASE WHEN s.keys IS NULL THEN e.kind END AS kind, CASE WHEN s.keys IS NULL THEN e.body END AS body';
