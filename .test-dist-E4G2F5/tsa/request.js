/**
 * Timestamp requests, in the two forms sigstore's timestamp-authority takes: an RFC 3161
 * TimeStampReq (DER, application/timestamp-query) and the JSON form @sigstore/sign's TSAWitness
 * posts ({artifactHash, hashAlgorithm, nonce?, certificates?, tsaPolicyOID?}). Both parse to one
 * TimestampRequest; anything malformed is CairnError BAD_REQUEST.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { TimeStampReq } from '@peculiar/asn1-tsp';
import { CairnError } from '../errors.js';
/** HASH_OID is each accepted hash's OID (RFC 5754 §2). */
export const HASH_OID = {
    sha256: '2.16.840.1.101.3.4.2.1',
    sha384: '2.16.840.1.101.3.4.2.2',
    sha512: '2.16.840.1.101.3.4.2.3',
};
const HASH_SIZE = { sha256: 32, sha384: 48, sha512: 64 };
/** MAX_REQUEST bounds a request body; a TimeStampReq with a SHA-512 imprint is about 100 bytes. */
export const MAX_REQUEST = 16 * 1024;
/** MAX_NONCE bounds the nonce (RFC 3161 asks clients to handle 160-bit serials; nonces are alike). */
const MAX_NONCE = 32;
function bad(message) {
    return new CairnError('BAD_REQUEST', message);
}
function hashOf(name, where) {
    const hash = Object.keys(HASH_OID).find((h) => h === name || HASH_OID[h] === name);
    if (!hash)
        throw bad(`${where}: unsupported hash algorithm ${JSON.stringify(name.slice(0, 64))}; supported: sha256, sha384, sha512`);
    return hash;
}
function checkDigest(hash, digest, where) {
    if (digest.length !== HASH_SIZE[hash])
        throw bad(`${where} is ${digest.length} bytes; a ${hash} digest is ${HASH_SIZE[hash]}`);
}
/** parseTimeStampReq parses a DER TimeStampReq (RFC 3161 §2.4.1). */
export function parseTimeStampReq(der) {
    if (der.length === 0)
        throw bad('empty timestamp request');
    if (der.length > MAX_REQUEST)
        throw bad(`timestamp request is longer than ${MAX_REQUEST} bytes`);
    let req;
    try {
        req = AsnConvert.parse(der, TimeStampReq);
    }
    catch {
        throw bad('timestamp request is not a DER TimeStampReq');
    }
    if (req.version !== 1)
        throw bad(`TimeStampReq version ${req.version} is not 1`);
    if (req.extensions && req.extensions.length > 0)
        throw bad('TimeStampReq extensions are not supported');
    const alg = req.messageImprint.hashAlgorithm;
    const hash = hashOf(alg.algorithm, 'messageImprint.hashAlgorithm');
    // The parameters must be absent or NULL (RFC 5754 §2 allows both).
    if (alg.parameters && !(alg.parameters.byteLength === 2 && new Uint8Array(alg.parameters)[0] === 0x05)) {
        throw bad('messageImprint.hashAlgorithm has parameters');
    }
    const digest = new Uint8Array(req.messageImprint.hashedMessage.buffer);
    checkDigest(hash, digest, 'messageImprint.hashedMessage');
    const nonce = req.nonce && nonNegative(new Uint8Array(req.nonce), 'nonce');
    return { hash, digest, nonce, certReq: req.certReq, policy: req.reqPolicy };
}
function nonNegative(b, where) {
    if (b.length === 0 || b.length > MAX_NONCE + 1)
        throw bad(`${where} must be an integer of at most ${MAX_NONCE} bytes`);
    if (b[0] & 0x80)
        throw bad(`${where} must not be negative`);
    return b;
}
const JSON_FIELDS = new Set(['artifactHash', 'hashAlgorithm', 'nonce', 'certificates', 'tsaPolicyOID']);
/**
 * parseJsonRequest parses timestamp-authority's JSON request: artifactHash is the standard base64
 * digest, hashAlgorithm its name ("sha256"), nonce a non-negative integer, certificates whether to
 * include the TSA's certificate, tsaPolicyOID the policy asked for. Unknown fields are refused.
 */
export function parseJsonRequest(json) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
        throw bad('timestamp request must be a JSON object');
    const o = json;
    for (const k of Object.keys(o))
        if (!JSON_FIELDS.has(k))
            throw bad(`unknown field ${JSON.stringify(k.slice(0, 64))} in timestamp request`);
    if (typeof o.hashAlgorithm !== 'string')
        throw bad('hashAlgorithm must be a string such as "sha256"');
    const hash = hashOf(o.hashAlgorithm, 'hashAlgorithm');
    if (typeof o.artifactHash !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.artifactHash) || o.artifactHash.length > 128) {
        throw bad('artifactHash must be a base64 digest');
    }
    const digest = new Uint8Array(Buffer.from(o.artifactHash, 'base64'));
    checkDigest(hash, digest, 'artifactHash');
    let nonce;
    if (o.nonce !== undefined) {
        if (typeof o.nonce !== 'number' || !Number.isSafeInteger(o.nonce) || o.nonce < 0)
            throw bad('nonce must be a non-negative integer');
        nonce = integerBytes(BigInt(o.nonce));
    }
    if (o.certificates !== undefined && typeof o.certificates !== 'boolean')
        throw bad('certificates must be true or false');
    if (o.tsaPolicyOID !== undefined && (typeof o.tsaPolicyOID !== 'string' || !/^[0-2](\.\d{1,9}){1,31}$/.test(o.tsaPolicyOID))) {
        throw bad('tsaPolicyOID must be an OID such as 1.3.6.1.4.1.57264.2');
    }
    return { hash, digest, nonce, certReq: o.certificates === true, policy: o.tsaPolicyOID };
}
/** integerBytes returns the minimal big-endian two's-complement bytes of a non-negative integer. */
export function integerBytes(n) {
    let hex = n.toString(16);
    if (hex.length % 2)
        hex = '0' + hex;
    if (parseInt(hex.slice(0, 2), 16) & 0x80)
        hex = '00' + hex;
    return new Uint8Array(Buffer.from(hex, 'hex'));
}
