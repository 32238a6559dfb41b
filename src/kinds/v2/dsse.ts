/**
 * dsse v0.0.2, Rekor v2's DSSE entry (rekor-tiles pkg/types/dsse before v2.3.0 dropped it;
 * @sigstore/sign 4.1 still sends it). The request {envelope: {payload, payloadType, signatures:
 * [{sig, keyid}]}, verifiers: [Verifier…]} is accepted when every verifier's algorithm is in the
 * registry and every envelope signature is verified over the DSSE PAE by some verifier. Stored:
 *
 *   {"apiVersion":"0.0.2","kind":"dsse","spec":{"dsseV002":{
 *     "payloadHash":{"algorithm":"SHA2_256","digest":b64(sha256(payload))},
 *     "signatures":[{"content":b64(sig),"verifier":{…}}…]}}}
 *
 * in RFC 8785 form, signatures sorted by their raw bytes, one per distinct signature.
 */
import { createHash, verify as nodeVerify } from 'node:crypto';
import { canonicalJsonBytes } from '../jcs.js';
import { invalid, toHex } from '../encoding.js';
import { IN_TOTO, inTotoDigestKeys, preAuthEncoding } from '../envelope.js';
import { MAX_SIGNATURE } from '../limits.js';
import { verifyWith } from '../prehashed.js';
import { hashKey, sanKeys, spkiKey } from '../search-keys.js';
import type { Admitted } from '../kind.js';
import { array, b64, bytes, message, string } from './protojson.js';
import { parseV2Verifier, type V2Verifier } from './verifier.js';

// rekor-tiles' maxVerifiers and maxSignatures.
const MAX_VERIFIERS = 10;
const MAX_SIGNATURES = 10;
const MAX_PAYLOAD = 1024 * 1024;
const PATH = 'dsseRequestV002';

/** admitDsseV002 admits a DSSERequestV002 message (JSON-parsed, untrusted). */
export function admitDsseV002(request: unknown): Admitted {
  const req = message(request, PATH, [['envelope', 'envelope'], ['verifiers', 'verifiers']]);
  if (req.envelope === undefined) throw invalid(`${PATH}.envelope is missing`);
  const env = message(req.envelope, `${PATH}.envelope`, [['payload', 'payload'], ['payloadType', 'payloadType'], ['signatures', 'signatures']]);
  const payload = bytes(env.payload, `${PATH}.envelope.payload`, MAX_PAYLOAD);
  const payloadType = string(env.payloadType, `${PATH}.envelope.payloadType`, 1024);
  const rawVerifiers = array(req.verifiers, `${PATH}.verifiers`, MAX_VERIFIERS);
  if (rawVerifiers.length === 0) throw invalid(`${PATH}.verifiers is missing`);
  const rawSigs = array(env.signatures, `${PATH}.envelope.signatures`, MAX_SIGNATURES);
  if (rawSigs.length === 0) throw invalid(`${PATH}.envelope.signatures is missing`);
  const sigs = rawSigs.map((s, i) => {
    const p = `${PATH}.envelope.signatures[${i}]`;
    const f = message(s, p, [['sig', 'sig'], ['keyid', 'keyid']]);
    string(f.keyid, `${p}.keyid`, 1024);
    const sig = bytes(f.sig, `${p}.sig`, MAX_SIGNATURE);
    if (sig.length === 0) throw invalid(`${p}.sig is missing`);
    return sig;
  });
  const verifiers = rawVerifiers.map((v, i) => parseV2Verifier(v, `${PATH}.verifiers[${i}]`));
  const seen = new Set<string>();
  for (const v of verifiers) {
    const k = b64(v.raw);
    if (seen.has(k)) throw invalid(`${PATH}.verifiers: duplicate verifier`);
    seen.add(k);
  }

  const owners = matchSignatures(preAuthEncoding(payloadType, payload), sigs, verifiers);
  const sorted = [...owners.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64')));
  const payloadHash = createHash('sha256').update(payload).digest();
  const body = canonicalJsonBytes({
    apiVersion: '0.0.2',
    kind: 'dsse',
    spec: {
      dsseV002: {
        payloadHash: { algorithm: 'SHA2_256', digest: b64(payloadHash) },
        signatures: sorted.map(([content, v]) => ({ content, verifier: v.json })),
      },
    },
  });
  const keys = [hashKey('sha256', toHex(payloadHash))];
  for (const v of new Set(owners.values())) keys.push(spkiKey(v.parsed.spki), ...sanKeys(v.parsed.sans));
  if (payloadType === IN_TOTO) keys.push(...inTotoDigestKeys(payload));
  return { kind: 'dsse/0.0.2', body, indexKeys: [...new Set(keys)] };
}

/**
 * matchSignatures pairs each distinct signature (keyed by its base64) with the first verifier,
 * in request order, that verifies it. Verifiers are tried until every signature is claimed; one
 * tried that verifies none is an error, as go-securesystemslib's envelope verifier fails there.
 */
function matchSignatures(pae: Uint8Array, sigs: Uint8Array[], verifiers: V2Verifier[]): Map<string, V2Verifier> {
  const pending = new Map(sigs.map((s) => [b64(s), s]));
  const owners = new Map<string, V2Verifier>();
  for (let i = 0; i < verifiers.length && pending.size > 0; i++) {
    const v = verifiers[i];
    const digest = createHash(v.hash).update(pae).digest();
    let any = false;
    for (const [k, s] of pending) {
      if (!verifiesPae(v, pae, digest, s)) continue;
      owners.set(k, v);
      pending.delete(k);
      any = true;
    }
    if (!any) throw invalid(`${PATH}.verifiers[${i}] verifies no signature in the envelope`);
  }
  if (pending.size > 0) throw invalid(`${PATH}: every envelope signature must be verified by one of the verifiers`);
  return owners;
}

// sigstore's LoadVerifier for the verifier's digest: ECDSA and RSA PKCS#1 v1.5 sign hash(PAE);
// Ed25519 is pure Ed25519 over the PAE itself.
function verifiesPae(v: V2Verifier, pae: Uint8Array, digest: Uint8Array, sig: Uint8Array): boolean {
  if (!v.parsed.ec && v.parsed.key.asymmetricKeyType === 'ed25519') {
    try {
      return nodeVerify(null, pae, v.parsed.key, sig);
    } catch {
      return false;
    }
  }
  return verifyWith(v.parsed, v.hash, digest, sig);
}
