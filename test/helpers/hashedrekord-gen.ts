// Valid (and deliberately broken) hashedrekord v0.0.1 proposed entries, made with node:crypto:
// an ECDSA P-256 key signs an artifact; the entry carries the artifact's SHA-256, the DER
// signature and the PEM public key, both base64 as Rekor's schema ("format": "byte") wants.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface ArtifactSigner {
  privateKey: KeyObject;
  /** base64 of the PEM public key, as hashedrekord's spec.signature.publicKey.content. */
  publicKeyContent: string;
}

export interface ProposedHashedrekord {
  apiVersion: '0.0.1';
  kind: 'hashedrekord';
  spec: {
    data: { hash: { algorithm: 'sha256'; value: string } };
    signature: { content: string; publicKey: { content: string } };
  };
}

/** newSigner makes a fresh ECDSA P-256 key pair. */
export function newSigner(): ArtifactSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey, publicKeyContent: Buffer.from(pem).toString('base64') };
}

/** hashedrekord returns a valid proposed entry for artifact (random 32 bytes by default). */
export function hashedrekord(signer: ArtifactSigner, artifact: Uint8Array = randomBytes(32)): ProposedHashedrekord {
  const value = createHash('sha256').update(artifact).digest('hex');
  const sig = sign('sha256', artifact, signer.privateKey); // DER ECDSA over SHA-256(artifact)
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value } },
      signature: { content: sig.toString('base64'), publicKey: { content: signer.publicKeyContent } },
    },
  };
}

/** badSignature returns an entry whose signature is valid DER but over a different artifact. */
export function badSignature(signer: ArtifactSigner): ProposedHashedrekord {
  const e = hashedrekord(signer);
  e.spec.signature.content = sign('sha256', randomBytes(32), signer.privateKey).toString('base64');
  return e;
}

/** artifactHash returns the sha256 hex value an entry commits to. */
export function artifactHash(e: ProposedHashedrekord): string {
  return e.spec.data.hash.value;
}
