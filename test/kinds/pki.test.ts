import { createPublicKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isCanonicalSpki, parseVerifier, spkiBitString } from '../../src/kinds/pki.js';
import { expectCode, fixture, keyPair, type KeySpec } from './helpers.js';

const SPECS: KeySpec[] = ['p256', 'p384', 'p521', 'ed25519', 'rsa2048', 'rsa3072', 'rsa4096'];
const spkiOf = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
const tryKey = (der: Uint8Array): KeyObject | undefined => {
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
};

describe('isCanonicalSpki: the DER check that stands in for an export round trip', () => {
  it.each(SPECS)('%s: what node exports is canonical', (spec) => {
    const { publicKey } = keyPair(spec);
    expect(isCanonicalSpki(publicKey, spkiOf(publicKey))).toBe(true);
  });

  // Export equality is what Go's re-marshalling gives, except that OpenSSL re-exports a compressed
  // EC point compressed where Go refuses it; isCanonicalSpki refuses those too.
  it.each(SPECS)('%s: agrees with export equality (and Go on point form) on mutated SPKIs that parse', (spec) => {
    const der = spkiOf(keyPair(spec).publicKey);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(Buffer.from(der)),
          fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }).map((edits) => {
            const b = Buffer.from(der);
            for (const [at, v] of edits) b[at] = v;
            return b;
          }),
          fc.nat(der.length - 1).map((at) => Buffer.concat([der.subarray(0, at), der.subarray(at + 1)])),
          fc.tuple(fc.nat(der.length), fc.integer({ min: 0, max: 255 })).map(([at, v]) => Buffer.concat([der.subarray(0, at), Buffer.from([v]), der.subarray(at)])),
        ),
        (b) => {
          const k = tryKey(b);
          if (!k) return;
          const uncompressed = k.asymmetricKeyType !== 'ec' || spkiBitString(b)?.[0] === 4;
          expect(isCanonicalSpki(k, b)).toBe(spkiOf(k).equals(b) && uncompressed);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses explicit curve parameters, which OpenSSL parses as prime256v1', () => {
    const pem = fixture('explicit-p256.pub.pem');
    const k = createPublicKey(pem);
    expect(k.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(isCanonicalSpki(k, spkiOf(k))).toBe(false);
    expect(expectCode(() => parseVerifier(new TextEncoder().encode(pem), 'k'), 'INVALID_ENTRY')).toMatch(/canonical DER/);
  });

  it('refuses RSA without NULL parameters, which OpenSSL accepts and Go does not', () => {
    const der = spkiOf(keyPair('rsa2048').publicKey);
    // Drop the 05 00 NULL from the AlgorithmIdentifier and fix the two enclosing lengths.
    const i = der.indexOf(Buffer.from('300d06092a864886f70d0101010500', 'hex'));
    const noNull = Buffer.concat([der.subarray(0, i), Buffer.from('300b06092a864886f70d010101', 'hex'), der.subarray(i + 15)]);
    noNull.writeUInt16BE(noNull.readUInt16BE(2) - 2, 2);
    const k = tryKey(noNull);
    if (k) expect(isCanonicalSpki(k, noNull)).toBe(false);
    const pem = `-----BEGIN PUBLIC KEY-----\n${noNull.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    expectCode(() => parseVerifier(new TextEncoder().encode(pem), 'k'), 'INVALID_ENTRY');
  });
});
