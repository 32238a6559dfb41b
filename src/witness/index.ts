/**
 * witness: tlog-witness cosigning, both sides. Witness is the state machine `cairn witness` serves
 * (src/api/witness.ts); Cosigner is how a log collects cosignatures from witnesses.
 */
export { Witness, originHash, type AddResult, type WitnessConfig, type WitnessedCheckpoint } from './witness.js';
export { Cosigner, type CosignerConfig, type CosignerLevel, type CosignerSource, type WitnessStatus } from './cosigner.js';
export { parseLogSpec, parseWitnessSpec, splitList, type TrustedLog, type WitnessEndpoint } from './config.js';
export { formatAddCheckpoint, parseAddCheckpoint, parseSizeBody, MAX_PROOF_LINES, SIZE_CONTENT_TYPE, type AddCheckpointRequest } from './protocol.js';
export { loadOrCreateWitnessKey, WITNESS_KEY_FILE } from './keyfile.js';
