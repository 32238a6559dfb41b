/**
 * Search keys: the one definition of the strings entries are indexed under and searches look up
 * (POST /api/v1/index/retrieve). Kinds call these when admitting; the API calls them on the query.
 * Every key is "<namespace>:<value>" with a normalized value:
 *
 * | key                     | made by                        | value                                           |
 * |-------------------------|--------------------------------|-------------------------------------------------|
 * | `sha256:<hex>`          | hashKey('sha256', hex)         | lowercase hex digest (sha1/sha384/sha512 alike)  |
 * | `key:<hex>`             | publicKeyKey(format, content)  | SHA-256 of the key's DER SubjectPublicKeyInfo   |
 * | `email:<addr>`          | emailKey(addr)                 | lowercased address                              |
 * | `uri:<uri>`             | uriKey(uri)                    | the URI exactly as in the certificate           |
 * | `subject:<san>`         | subjectKey(san)                | any SAN value (email, URI, DNS, IP, otherName), lowercased |
 *
 * A key is identified by its SPKI, so a search with a certificate finds entries made with the
 * bare key and the other way round (Rekor hashes the submitted PEM instead).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { CairnError } from '../errors.js';
import { parseVerifier } from './pki.js';
import { DIGEST_SIZE } from './prehashed.js';
const HASH_HEX_LEN = { sha1: 40, sha256: DIGEST_SIZE.sha256 * 2, sha384: DIGEST_SIZE.sha384 * 2, sha512: DIGEST_SIZE.sha512 * 2 };
/** isHashAlg reports whether alg is a digest hashKey accepts. */
export function isHashAlg(alg) {
    return Object.hasOwn(HASH_HEX_LEN, alg);
}
/** hashKey returns `<alg>:<lowercase hex>`; a wrong algorithm or length → BAD_REQUEST. */
export function hashKey(alg, hex) {
    if (!isHashAlg(alg))
        throw new CairnError('BAD_REQUEST', `unsupported hash algorithm ${alg}; supported: sha1, sha256, sha384, sha512`);
    if (hex.length !== HASH_HEX_LEN[alg] || !/^[0-9a-fA-F]*$/.test(hex)) {
        throw new CairnError('BAD_REQUEST', `${alg} hash must be ${HASH_HEX_LEN[alg]} hex digits`);
    }
    return `${alg}:${hex.toLowerCase()}`;
}
/** spkiKey returns `key:<hex SHA-256 of spki>` for a DER SubjectPublicKeyInfo. */
export function spkiKey(spki) {
    return `key:${createHash('sha256').update(spki).digest('hex')}`;
}
/**
 * publicKeyKey returns the key search key for content in a search request's publicKey.format:
 * 'x509' (PEM public key, certificate or chain: its leaf's key) and 'ssh' (an authorized_keys
 * line: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa). Other formats, or content that does
 * not parse → BAD_REQUEST.
 */
export function publicKeyKey(format, content) {
    if (format === 'x509') {
        try {
            return spkiKey(parseVerifier(content, 'publicKey.content').spki);
        }
        catch (e) {
            throw new CairnError('BAD_REQUEST', e instanceof CairnError ? e.message : 'publicKey.content does not parse');
        }
    }
    if (format === 'ssh')
        return spkiKey(sshToSpki(content));
    throw new CairnError('BAD_REQUEST', `unsupported public key format ${format}; supported: x509, ssh`);
}
/** emailKey returns `email:<lowercased address>`. */
export function emailKey(addr) {
    return `email:${addr.toLowerCase()}`;
}
/** uriKey returns `uri:<uri>`, the URI unchanged. */
export function uriKey(uri) {
    return `uri:${uri}`;
}
/** subjectKey returns `subject:<lowercased SAN value>` (the search API's case-insensitive subject). */
export function subjectKey(san) {
    return `subject:${san.toLowerCase()}`;
}
/** sanKeys returns the search keys of a certificate's subjectAltNames. */
export function sanKeys(sans) {
    return sans.flatMap((s) => [subjectKey(s.value), ...(s.type === 'email' ? [emailKey(s.value)] : s.type === 'uri' ? [uriKey(s.value)] : [])]);
}
const SSH_CURVES = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' };
// RFC 4253 §6.6 / RFC 5656 §3.1 / RFC 8709 §4 wire formats, converted through JWK.
function sshToSpki(content) {
    const bad = (why) => new CairnError('BAD_REQUEST', `ssh public key: ${why}`);
    const fields = Buffer.from(content).toString('latin1').trim().split(/\s+/);
    if (fields.length < 2 || !/^[A-Za-z0-9+/]+={0,2}$/.test(fields[1]))
        throw bad('expected "<type> <base64>"');
    const blob = Buffer.from(fields[1], 'base64');
    const parts = [];
    for (let at = 0; at < blob.length;) {
        if (at + 4 > blob.length || parts.length === 4)
            throw bad('malformed key blob');
        const n = blob.readUInt32BE(at);
        if (at + 4 + n > blob.length)
            throw bad('malformed key blob');
        parts.push(blob.subarray(at + 4, at + 4 + n));
        at += 4 + n;
    }
    const type = parts[0]?.toString('latin1');
    if (type !== fields[0])
        throw bad('key type does not match its blob');
    const b64u = (b) => b.toString('base64url');
    let jwk;
    if (type === 'ssh-ed25519' && parts.length === 2)
        jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(parts[1]) };
    else if (type === 'ssh-rsa' && parts.length === 3)
        jwk = { kty: 'RSA', e: b64u(stripZeros(parts[1])), n: b64u(stripZeros(parts[2])) };
    else if (type?.startsWith('ecdsa-sha2-') && parts.length === 3 && SSH_CURVES[parts[1].toString('latin1')] && parts[2][0] === 4) {
        const q = parts[2].subarray(1);
        jwk = { kty: 'EC', crv: SSH_CURVES[parts[1].toString('latin1')], x: b64u(q.subarray(0, q.length / 2)), y: b64u(q.subarray(q.length / 2)) };
    }
    else
        throw bad(`unsupported key type ${type}`);
    try {
        return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    }
    catch {
        throw bad('key does not parse');
    }
}
function stripZeros(b) {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0)
        i++;
    return b.subarray(i);
}
