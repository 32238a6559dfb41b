import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import {
  generateKey,
  loadPrivateKey,
  publicKeyFromEd25519,
  publicKeyFromPem,
  publicKeyFromSpki,
  verifyWithSpki,
  type KeyType,
} from '../../src/note/index.js';
import { ed25519FromSeed, PETER_SEED, REKOR_LOG_ID, REKOR_PEM } from './vectors.js';

const msg = new TextEncoder().encode('cairn.example/log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(isCairnError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected CairnError ${code}, got no error`);
}

describe('log keys', () => {
  it.each<KeyType>(['ed25519', 'ecdsa-p256'])('%s: generate, load, derive identifiers, sign and verify', (type) => {
    const pem = generateKey(type);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = loadPrivateKey(pem);
    expect(key.type).toBe(type);
    expect(key.logId).toEqual(new Uint8Array(sha256(key.spkiDer)));
    expect(key.keyHint).toEqual(key.logId.slice(0, 4));
    expect(key.rawPublicKey.length).toBe(type === 'ed25519' ? 32 : 65);
    const pub = publicKeyFromPem(key.publicKeyPem);
    expect(pub.spkiDer).toEqual(key.spkiDer);
    expect(pub.rawPublicKey).toEqual(key.rawPublicKey);
    const sig = key.sign(msg);
    expect(pub.verify(msg, sig)).toBe(true);
    expect(verifyWithSpki(key.publicKeyPem, msg, sig)).toBe(true);
    expect(verifyWithSpki(key.spkiDer, msg, sig)).toBe(true);
    const bad = sig.slice();
    bad[bad.length - 1] ^= 1;
    expect(verifyWithSpki(key.spkiDer, msg, bad)).toBe(false);
    expect(verifyWithSpki(key.spkiDer, msg.subarray(1), sig)).toBe(false);
    expect(verifyWithSpki(key.spkiDer, msg, new Uint8Array(3))).toBe(false);
  });

  it('ed25519 signs with pure Ed25519, matching @noble/curves byte for byte', () => {
    const key = ed25519FromSeed(PETER_SEED);
    expect(key.rawPublicKey).toEqual(ed25519.getPublicKey(PETER_SEED));
    expect(key.sign(msg)).toEqual(ed25519.sign(msg, PETER_SEED));
  });

  it('ecdsa-p256 signs ASN.1 DER ECDSA over SHA-256(msg), as Rekor does', () => {
    const key = loadPrivateKey(generateKey('ecdsa-p256'));
    const sig = key.sign(msg);
    expect(sig[0]).toBe(0x30); // DER SEQUENCE
    // Independent check with @noble over an explicit digest.
    expect(p256.verify(sig, sha256(msg), key.rawPublicKey, { prehash: false, format: 'der', lowS: false })).toBe(true);
    expect(nodeVerify('sha256', msg, key.publicKeyPem, sig)).toBe(true);
  });

  it('derives the logID of the production Rekor key', () => {
    const pub = publicKeyFromPem(REKOR_PEM);
    expect(pub.type).toBe('ecdsa-p256');
    expect(Buffer.from(pub.logId).toString('hex')).toBe(REKOR_LOG_ID);
    expect(Buffer.from(pub.keyHint).toString('hex')).toBe('c0d23d6a');
    expect(pub.publicKeyPem).toBe(REKOR_PEM);
  });

  it.each([
    ['P-384', 'ecdsa-p384'],
    ['P-521', 'ecdsa-p521'],
  ])('verifies ECDSA %s, over SHA-256 by default and other hashes on request', (curve, type) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    expect(publicKeyFromSpki(der).type).toBe(type);
    expect(verifyWithSpki(der, msg, nodeSign('sha256', msg, privateKey))).toBe(true);
    const s384 = nodeSign('sha384', msg, privateKey);
    expect(verifyWithSpki(der, msg, s384)).toBe(false);
    expect(verifyWithSpki(der, msg, s384, 'sha384')).toBe(true);
  });

  it('publicKeyFromEd25519 wraps a raw key', () => {
    const key = ed25519FromSeed(PETER_SEED);
    expect(publicKeyFromEd25519(key.rawPublicKey).spkiDer).toEqual(key.spkiDer);
    expectCode(() => publicKeyFromEd25519(new Uint8Array(31)), 'CONFIG');
  });
});

describe('key rejection', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const pkcs8 = (k: typeof ec.privateKey): string => k.export({ format: 'pem', type: 'pkcs8' }).toString();
  const goodPem = pkcs8(ec.privateKey);

  it.each<[string, string]>([
    ['empty', ''],
    ['garbage', 'not a key'],
    ['public key PEM', ec.publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ['SEC1 EC PRIVATE KEY', ec.privateKey.export({ format: 'pem', type: 'sec1' }).toString()],
    ['encrypted PKCS#8', ec.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString()],
    ['RSA PKCS#8', pkcs8(rsa.privateKey)],
    ['P-384 PKCS#8 (log keys are P-256)', pkcs8(p384.privateKey)],
    ['secp256k1 PKCS#8', pkcs8(k1.privateKey)],
    ['two PEM blocks', goodPem + goodPem],
    ['corrupted DER', goodPem.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA')],
    ['bad base64', goodPem.replace('\n', '\n!')],
  ])('loadPrivateKey rejects %s with CONFIG', (_name, pem) => {
    expectCode(() => loadPrivateKey(pem), 'CONFIG');
  });

  it('explains what to do with a SEC1 key', () => {
    expect(() => loadPrivateKey(ec.privateKey.export({ format: 'pem', type: 'sec1' }).toString())).toThrow(/openssl pkcs8/);
  });

  const spki = new Uint8Array(ec.publicKey.export({ format: 'der', type: 'spki' }));
  const compressed = Buffer.concat([
    Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    Buffer.from([0x02 + (spki[spki.length - 1] & 1)]),
    spki.subarray(spki.length - 64, spki.length - 32),
  ]);
  it.each<[string, Uint8Array]>([
    ['empty', new Uint8Array(0)],
    ['trailing byte', Buffer.concat([spki, Buffer.from([0])])],
    ['truncated', spki.subarray(0, spki.length - 1)],
    ['compressed EC point', compressed],
    ['RSA key', new Uint8Array(rsa.publicKey.export({ format: 'der', type: 'spki' }))],
    ['secp256k1 key', new Uint8Array(k1.publicKey.export({ format: 'der', type: 'spki' }))],
  ])('publicKeyFromSpki rejects %s with CONFIG', (_name, der) => {
    expectCode(() => publicKeyFromSpki(der), 'CONFIG');
  });

  it('publicKeyFromPem rejects a private key PEM', () => {
    expectCode(() => publicKeyFromPem(goodPem), 'CONFIG');
  });
});
