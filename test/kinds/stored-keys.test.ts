import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admitCreateEntryRequest, admitEntry, hasStoredSearchKeys, storedSearchKeys, type Admitted } from '../../src/kinds/index.js';
import { b64, digestOf, FIXTURES, fixture, fixtureKey, hashedrekordEntry, keyPair, publicPem, signArtifact, signEd25519ph, type KeySpec } from './helpers.js';

const ARTIFACT = new TextEncoder().encode('cairn stored-keys test artifact\n');

/** The canonicalized bodies of three real Rekor entries (two hashedrekord, one dsse). */
function realBodies(): Buffer[] {
  const real = JSON.parse(readFileSync(join(FIXTURES, 'rekor-entries.json'), 'utf8')) as { canonicalizedBody: string }[];
  return real.map((e) => Buffer.from(e.canonicalizedBody, 'base64'));
}

/**
 * The body alone gives back admit's keys, in admit's order; and admit says so (derivedKeys), so
 * storage keeps no copy of them (a flagged entry whose keys differed would be found by others).
 */
function expectDerived(a: Admitted): void {
  expect(a.indexKeys.length).toBeGreaterThan(1);
  expect(storedSearchKeys(a.kind, a.body)).toEqual(a.indexKeys);
  expect(a.derivedKeys).toBe(true);
}

describe('storedSearchKeys: hashedrekord 0.0.1', () => {
  for (const [spec, alg] of [['p256', 'sha256'], ['p384', 'sha384'], ['rsa2048', 'sha512'], ['p521', 'sha512']] as [KeySpec, 'sha256' | 'sha384' | 'sha512'][]) {
    it(`derives the keys of a ${spec} public key entry`, () => {
      const { publicKey, privateKey } = keyPair(spec);
      // Upper-case hex: the stored value keeps the case, the key is lower-case.
      const hex = digestOf(alg, ARTIFACT).toString('hex').toUpperCase();
      expectDerived(admitEntry(hashedrekordEntry(signArtifact(privateKey, alg, ARTIFACT), publicPem(publicKey), alg, hex)));
    });
  }

  it('derives the keys of an Ed25519 entry', async () => {
    const { publicKey, privateKey } = keyPair('ed25519');
    const hex = digestOf('sha512', ARTIFACT).toString('hex');
    expectDerived(admitEntry(hashedrekordEntry(await signEd25519ph(privateKey, ARTIFACT), publicPem(publicKey), 'sha512', hex)));
  });

  it('derives the key and subjectAltName keys of a certificate and of a chain', () => {
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    const leaf = admitEntry(hashedrekordEntry(signArtifact(fixtureKey('leaf-p256.key'), 'sha256', ARTIFACT), fixture('leaf-p256.pem'), 'sha256', hex));
    expect(leaf.indexKeys.some((k) => k.startsWith('email:') || k.startsWith('uri:'))).toBe(true);
    expectDerived(leaf);
    const chain = admitEntry(hashedrekordEntry(signArtifact(fixtureKey('chain-leaf.key'), 'sha256', ARTIFACT), fixture('chain.pem'), 'sha256', hex));
    expect(chain.indexKeys).toContain('email:bob@example.com');
    expectDerived(chain);
  });

  it('derives the keys of the real Rekor hashedrekord entries', () => {
    const hashed = realBodies().filter((b) => JSON.parse(b.toString()).kind === 'hashedrekord');
    expect(hashed.length).toBe(2);
    for (const body of hashed) {
      const keys = storedSearchKeys('hashedrekord/0.0.1', body)!;
      const spec = JSON.parse(body.toString()).spec;
      const pem = Buffer.from(spec.signature.publicKey.content, 'base64').toString();
      // The key, found independently of cairn's PEM and DER code.
      const key = pem.includes('CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
      const spki = key.export({ type: 'spki', format: 'der' });
      expect(keys.slice(0, 2)).toEqual([`sha256:${spec.data.hash.value}`, `key:${createHash('sha256').update(spki).digest('hex')}`]);
      if (pem.includes('CERTIFICATE')) expect(keys.some((k) => k.startsWith('subject:'))).toBe(true);
    }
  });
});

describe('storedSearchKeys: hashedrekord 0.0.2', () => {
  it('derives the keys of a public key entry and of a certificate entry', () => {
    const digest = digestOf('sha256', ARTIFACT);
    const { publicKey, privateKey } = keyPair('p256');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const request = (verifier: Record<string, unknown>, key = privateKey) => ({
      hashedRekordRequestV002: { digest: b64(digest), signature: { content: b64(signArtifact(key, 'sha256', ARTIFACT)), verifier } },
    });
    expectDerived(admitCreateEntryRequest(request({ publicKey: { rawBytes: b64(spki) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' })));
    const der = new X509Certificate(fixture('leaf-p256.pem')).raw;
    const cert = admitCreateEntryRequest(request({ x509Certificate: { rawBytes: b64(der) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }, fixtureKey('leaf-p256.key')));
    expect(cert.indexKeys.length).toBeGreaterThan(2);
    expectDerived(cert);
  });
});

describe('storedSearchKeys: what cannot be derived', () => {
  it('is undefined for kinds whose keys come from a payload the body does not keep', () => {
    const body = realBodies().find((b) => JSON.parse(b.toString()).kind === 'dsse')!;
    for (const kind of ['dsse/0.0.1', 'dsse/0.0.2', 'intoto/0.0.1', 'intoto/0.0.2', 'cose/0.0.1']) {
      expect(hasStoredSearchKeys(kind)).toBe(false);
      expect(storedSearchKeys(kind, body)).toBeUndefined();
    }
    expect(hasStoredSearchKeys('hashedrekord/0.0.1')).toBe(true);
  });

  it('is undefined for a body that is not its kind\'s stored form', () => {
    for (const body of ['not json', '[]', '{"spec":{}}', '{"spec":{"data":{"hash":{"algorithm":"sha256","value":"00"}},"signature":{"publicKey":{"content":"AAAA"}}}}']) {
      expect(storedSearchKeys('hashedrekord/0.0.1', Buffer.from(body))).toBeUndefined();
      expect(storedSearchKeys('hashedrekord/0.0.2', Buffer.from(body))).toBeUndefined();
    }
  });
});
