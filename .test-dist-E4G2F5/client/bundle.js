/**
 * Entry bundles (c2sp.org/tlog-tiles, "Log entries"): a sequence of entries, each preceded by its
 * length as a big-endian uint16. The format definition lives here, with the client, so the server
 * (api), the static exporter (cli) and clients all share one encoder and one strict parser.
 */
import { CairnError } from '../errors.js';
/** MAX_BUNDLE_ENTRY is the largest entry a bundle can carry: the uint16 length prefix. */
export const MAX_BUNDLE_ENTRY = 0xffff;
/** encodeBundle returns the bundle of entries. An entry over 65535 bytes has no encoding: TOO_LARGE. */
export function encodeBundle(entries) {
    let n = 0;
    for (const e of entries)
        n += 2 + e.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const e of entries) {
        if (e.length > MAX_BUNDLE_ENTRY) {
            throw new CairnError('TOO_LARGE', `entry of ${e.length} bytes does not fit a tlog-tiles bundle (at most ${MAX_BUNDLE_ENTRY})`);
        }
        out[at] = e.length >>> 8;
        out[at + 1] = e.length & 0xff;
        out.set(e, at + 2);
        at += 2 + e.length;
    }
    return out;
}
/**
 * parseBundle splits a bundle into its entries (views into data). With `want` given, the bundle
 * must hold exactly that many. A truncated length or entry, or a count mismatch, is BAD_REQUEST:
 * whoever served it served something that is not a bundle of that width.
 */
export function parseBundle(data, want) {
    const entries = [];
    let at = 0;
    while (at < data.length) {
        if (at + 2 > data.length)
            throw new CairnError('BAD_REQUEST', `entry bundle truncated in the length of entry ${entries.length}`);
        const len = (data[at] << 8) | data[at + 1];
        if (at + 2 + len > data.length)
            throw new CairnError('BAD_REQUEST', `entry bundle truncated in entry ${entries.length}`);
        entries.push(data.subarray(at + 2, at + 2 + len));
        at += 2 + len;
    }
    if (want !== undefined && entries.length !== want) {
        throw new CairnError('BAD_REQUEST', `entry bundle holds ${entries.length} entries, want ${want}`);
    }
    return entries;
}
