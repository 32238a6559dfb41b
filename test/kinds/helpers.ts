// Builders for kinds tests: keys, signatures over digests, proposed entries, fixtures.
import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { isCairnError, type ErrorCode } from '../../src/errors.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** fixture returns a fixture file's text. */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** fixtureKey returns a fixture private key. */
export function fixtureKey(name: string): KeyObject {
  return createPrivateKey(fixture(name));
}

export type KeySpec = 'p256' | 'p384' | 'p521' | 'ed25519' | 'rsa2048' | 'rsa3072' | 'rsa4096';

const cache = new Map<KeySpec, { publicKey: KeyObject; privateKey: KeyObject }>();

/** keyPair returns a (cached per run) key pair of the given kind. */
export function keyPair(spec: KeySpec): { publicKey: KeyObject; privateKey: KeyObject } {
  let kp = cache.get(spec);
  if (!kp) {
    if (spec === 'ed25519') kp = generateKeyPairSync('ed25519');
    else if (spec.startsWith('rsa')) {
      const privateKey = fixtureKey(`rsa-${spec.slice(3)}.key`);
      kp = { privateKey, publicKey: createPublicKey(privateKey) };
    }
    else kp = generateKeyPairSync('ec', { namedCurve: { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[spec as 'p256'] });
    cache.set(spec, kp);
  }
  return kp;
}

/** publicPem returns the SPKI PEM of a key. */
export function publicPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

export const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString('base64');

/**
 * signArtifact returns the signature a client makes over artifact for hashedrekord: hashing
 * signers (ECDSA, RSA) sign the message with alg, Ed25519 signs as Ed25519ph over SHA-512.
 */
export function signArtifact(privateKey: KeyObject, alg: 'sha256' | 'sha384' | 'sha512', artifact: Uint8Array, opts: { pss?: boolean } = {}): Buffer {
  if (privateKey.asymmetricKeyType === 'ed25519') throw new Error('use signEd25519ph');
  if (opts.pss) return sign(alg, artifact, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: DIGEST_LEN[alg] });
  return sign(alg, artifact, privateKey);
}

const DIGEST_LEN = { sha256: 32, sha384: 48, sha512: 64 };

/** digestOf returns alg(artifact). */
export function digestOf(alg: string, artifact: Uint8Array): Buffer {
  return createHash(alg).update(artifact).digest();
}

/** hashedrekordEntry returns a proposed hashedrekord entry. */
export function hashedrekordEntry(sig: Uint8Array, pem: string, alg: string, hexDigest: string): {
  apiVersion: string;
  kind: string;
  spec: { signature: { content: string; publicKey: { content: string } }; data: { hash: { algorithm: string; value: string } } };
} {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: { signature: { content: b64(sig), publicKey: { content: b64(pem) } }, data: { hash: { algorithm: alg, value: hexDigest } } },
  };
}

/** expectCode asserts fn throws a CairnError with code, and returns its message. */
export function expectCode(fn: () => unknown, code: ErrorCode): string {
  try {
    fn();
  } catch (e) {
    if (!isCairnError(e)) throw e;
    expect(e.code, e.message).toBe(code);
    return e.message;
  }
  throw new Error(`expected CairnError ${code}, nothing thrown`);
}

/** signEd25519ph returns the Ed25519ph (RFC 8032) signature over SHA-512(artifact), made with noble. */
export async function signEd25519ph(privateKey: KeyObject, artifact: Uint8Array): Promise<Uint8Array> {
  const { ed25519ph } = await import('@noble/curves/ed25519.js');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  return ed25519ph.sign(artifact, d);
}
