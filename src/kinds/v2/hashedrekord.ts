/**
 * hashedrekord v0.0.2, Rekor v2's signature over a digest (rekor-tiles pkg/types/hashedrekord,
 * api/proto/rekor/v2/hashedrekord.proto). The request
 *
 *   {"digest": b64, "signature": {"content": b64, "verifier": {publicKey|x509Certificate, keyDetails}}}
 *
 * is validated, its algorithm checked against the registry, the digest length against the
 * algorithm's hash, and the signature verified over the digest (Ed25519 as Ed25519ph). The stored
 * body is the RFC 8785 form of the protojson Entry rekor-tiles marshals:
 *
 *   {"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{
 *     "data":{"algorithm":"SHA2_256","digest":b64},
 *     "signature":{"content":b64,"verifier":{"keyDetails":NAME,"publicKey":{"rawBytes":b64}}}}}}
 */
import { canonicalJsonBytes } from '../jcs.js';
import { invalid, toHex } from '../encoding.js';
import { MAX_SIGNATURE } from '../limits.js';
import { DIGEST_SIZE, verifyWith } from '../prehashed.js';
import { hashKey, sanKeys, spkiKey } from '../search-keys.js';
import type { Admitted } from '../kind.js';
import { b64, bytes, message } from './protojson.js';
import { HASH_ALGORITHM_NAME, parseV2Verifier } from './verifier.js';

const PATH = 'hashedRekordRequestV002';

/** admitHashedRekordV002 admits a HashedRekordRequestV002 message (JSON-parsed, untrusted). */
export function admitHashedRekordV002(request: unknown): Admitted {
  const req = message(request, PATH, [['digest', 'digest'], ['signature', 'signature']]);
  if (req.signature === undefined) throw invalid(`${PATH}.signature is missing`);
  const sig = message(req.signature, `${PATH}.signature`, [['content', 'content'], ['verifier', 'verifier']]);
  const content = bytes(sig.content, `${PATH}.signature.content`, MAX_SIGNATURE);
  if (content.length === 0) throw invalid(`${PATH}.signature.content is missing`);
  if (sig.verifier === undefined) throw invalid(`${PATH}.signature.verifier is missing`);
  const digest = bytes(req.digest, `${PATH}.digest`, 64);
  if (digest.length === 0) throw invalid(`${PATH}.digest is missing`);

  const v = parseV2Verifier(sig.verifier, `${PATH}.signature.verifier`);
  if (digest.length !== DIGEST_SIZE[v.hash]) {
    throw invalid(`${PATH}.digest is ${digest.length} bytes; ${v.details} signs a ${v.hash} digest of ${DIGEST_SIZE[v.hash]} bytes`);
  }
  if (!verifyWith(v.parsed, v.hash, digest, content)) {
    throw invalid(`${PATH}.signature.content: signature does not verify over the digest with the verifier's key`);
  }
  const body = canonicalJsonBytes({
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm: HASH_ALGORITHM_NAME[v.hash], digest: b64(digest) },
        signature: { content: b64(content), verifier: v.json },
      },
    },
  });
  const keys = [hashKey(v.hash, toHex(digest)), spkiKey(v.parsed.spki), ...sanKeys(v.parsed.sans)];
  // The keys are built from the stored body's fields with storedSearchKeys' functions: derivable.
  return { kind: 'hashedrekord/0.0.2', body, indexKeys: [...new Set(keys)], derivedKeys: true };
}
