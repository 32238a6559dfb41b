/**
 * witness: tlog-witness cosigning, both sides. Witness is the state machine `cairn witness` serves
 * (src/api/witness.ts); Cosigner is how a log collects cosignatures from witnesses.
 */
export { Witness, originHash } from './witness.js';
export { Cosigner } from './cosigner.js';
export { parseLogSpec, parseWitnessSpec, splitList } from './config.js';
export { formatAddCheckpoint, parseAddCheckpoint, parseSizeBody, MAX_PROOF_LINES, SIZE_CONTENT_TYPE } from './protocol.js';
export { loadOrCreateWitnessKey, WITNESS_KEY_FILE } from './keyfile.js';
