/**
 * MAX_BODY is the largest canonical body a log can hold: a tlog-tiles entry bundle prefixes each
 * entry with a 2-byte length, so a longer one could be stored but never served as a tile.
 */
export const MAX_BODY = 0xffff;
