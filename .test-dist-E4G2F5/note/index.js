/**
 * note: C2SP signed notes, checkpoints and cosignatures, and the log's key material. Pure: imports
 * only node:crypto and src/errors.ts; no files, no network, no clock (callers pass times in).
 */
export { c2spKeyId, generateKey, loadPrivateKey, publicKeyFromEd25519, publicKeyFromPem, publicKeyFromSpki, verifyWithSpki, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ECDSA, SIG_TYPE_ED25519, } from './keys.js';
export { appendSignatures, formatSignatureLine, isValidKeyName, openNote, parseSignatureLine, signNote, splitNote, verifyNote, MAX_NOTE_BYTES, MAX_SIGNATURES, } from './note.js';
export { c2spNoteKeyId, c2spSigner, c2spVerifier, parseVerifierKey, rekorSigner, rekorVerifier, verifierKeyString, } from './signers.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint, ROOT_HASH_SIZE, } from './checkpoint.js';
export { cosign, cosignatureKeyId, cosignatureMessage, cosignatureSigner, cosignatureTimestamp, cosignatureVerifier, cosignerKeyString, verifyCosignature, COSIGNATURE_V1_HEADER, COSIGNATURE_V1_SIZE, } from './cosignature.js';
export { rekorV2LogId, rekorV2UsesC2spNote } from './rekor-v2.js';
