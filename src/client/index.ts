/**
 * client: what a log's users run against it over HTTP — tlog-tiles and Rekor v1 clients that
 * verify every checkpoint and proof they receive. Imports merkle, note, errors and node only.
 */
export { encodeBundle, parseBundle, MAX_BUNDLE_ENTRY } from './bundle.js';
export { httpFetcher, dirFetcher, openFetcher, type Fetcher, type HttpFetcherOptions } from './fetcher.js';
export { parseLogKey, type LogVerifierKey } from './keys.js';
export { TileClient, type SignedTreeHead } from './tiles.js';
export { RekorClient, hexHash, type RekorEntry, type RekorInclusionProof } from './rekor.js';
export { monitorStep, MonitorAlarm, type AlarmKind, type MonitorSource, type MonitorState, type StepOptions, type StepResult } from './monitor.js';
export { readLogKey, openSignedCheckpoint, parseProof, type ProofFile } from './inputs.js';
