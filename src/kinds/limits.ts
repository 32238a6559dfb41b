/**
 * MAX_BODY is the largest canonical body a log can hold: a tlog-tiles entry bundle prefixes each
 * entry with a 2-byte length, so a longer one could be stored but never served as a tile.
 */
export const MAX_BODY = 0xffff;

// Bounds every kind and API version applies alike, so that none admits a larger key or signature than another.

/** MAX_SIGNATURE bounds a decoded signature (an RSA-4096 signature is 512 bytes). */
export const MAX_SIGNATURE = 4096;

/** MAX_KEY bounds a decoded public key, certificate or certificate chain, PEM or DER (a chain of 10 certificates fits easily). */
export const MAX_KEY = 64 * 1024;
