/**
 * client: what a log's users run against it over HTTP — tlog-tiles and Rekor v1 clients that
 * verify every checkpoint and proof they receive. Imports merkle, note, errors and node only.
 */
export { encodeBundle, parseBundle, MAX_BUNDLE_ENTRY } from './bundle.js';
export { httpFetcher, dirFetcher, openFetcher } from './fetcher.js';
export { parseLogKey } from './keys.js';
export { TileClient } from './tiles.js';
export { RekorClient, hexHash } from './rekor.js';
export { monitorStep, MonitorAlarm } from './monitor.js';
export { readLogKey, openSignedCheckpoint, parseProof } from './inputs.js';
