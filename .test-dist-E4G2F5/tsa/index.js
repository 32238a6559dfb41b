/**
 * tsa: an RFC 3161 timestamp authority beside the log (sigstore's timestamp-authority API):
 * parse a request, issue a signed DER TimeStampResp, and keep its key and certificate chain.
 * Imports only node: built-ins, ASN.1 packages and src/errors.ts.
 */
export { TimestampAuthority, DEFAULT_POLICY } from './tsa.js';
export { parseJsonRequest, parseTimeStampReq, MAX_REQUEST } from './request.js';
export { openTsa, TSA_KEY_FILE, TSA_CHAIN_FILE } from './keyfile.js';
export { generateTsa, issueCertificate, randomSerial, toPem } from './certs.js';
