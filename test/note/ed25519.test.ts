import { createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sodiumSigner } from '../../src/note/ed25519.js';
import { generateKey, loadPrivateKey } from '../../src/note/keys.js';

/** PKCS8_ED25519 is the DER of an Ed25519 PKCS#8 key before its 32-byte seed (RFC 8410). */
const PKCS8_ED25519 = '302e020100300506032b657004220420';

describe('Ed25519 signing through libsodium', () => {
  it('gives RFC 8032 test 1 and test 3 signatures', () => {
    const vectors = [
      {
        seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
        msg: '',
        sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      },
      {
        seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
        msg: 'af82',
        sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
      },
    ];
    for (const v of vectors) {
      const priv = createPrivateKey({ key: Buffer.from(PKCS8_ED25519 + v.seed, 'hex'), format: 'der', type: 'pkcs8' });
      const signer = sodiumSigner(priv);
      expect(signer).toBeDefined(); // sodium-native is a dependency: it must load here
      expect(Buffer.from(signer!(Buffer.from(v.msg, 'hex'))).toString('hex')).toBe(v.sig);
    }
  });

  it('signs exactly as node:crypto does, for any key and message', () => {
    const keys = Array.from({ length: 8 }, () => generateKeyPairSync('ed25519'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: keys.length - 1 }), fc.uint8Array({ maxLength: 2000 }), (k, msg) => {
        const { privateKey, publicKey } = keys[k];
        const sig = sodiumSigner(privateKey)!(msg);
        expect(Buffer.from(sig)).toEqual(sign(null, msg, privateKey));
        expect(verify(null, msg, publicKey, sig)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves ECDSA keys to node:crypto; a loaded Ed25519 log key signs and verifies', () => {
    const key = loadPrivateKey(generateKey('ed25519'));
    const msg = new TextEncoder().encode('cairn');
    expect(key.verify(msg, key.sign(msg))).toBe(true);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(sodiumSigner(ec)).toBeUndefined();
  });
});
