/**
 * client: what a log's users run against it over HTTP — tlog-tiles and Rekor v1 clients that
 * verify every checkpoint and proof they receive. Imports merkle, note, errors and node only.
 */
export { encodeBundle, parseBundle, MAX_BUNDLE_ENTRY } from './bundle.js';
export { hashesAtLevel, tileWidthAt } from './layout.js';
