// Signed hashedrekord v0.0.1 proposed entries for API tests, made with node:crypto alone.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface TestSigner {
  privateKey: KeyObject;
  /** PEM SubjectPublicKeyInfo. */
  pem: string;
}

/** newSigner returns a fresh ECDSA P-256 key pair. */
export function newSigner(): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** proposedEntry returns a hashedrekord entry in which signer signs artifact (random by default). */
export function proposedEntry(signer: TestSigner, artifact: Uint8Array = randomBytes(32)) {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') } },
      signature: {
        content: sign('sha256', artifact, signer.privateKey).toString('base64'),
        publicKey: { content: Buffer.from(signer.pem).toString('base64') },
      },
    },
  };
}
