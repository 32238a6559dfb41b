import { constants, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { verifyDigest } from '../../src/kinds/index.js';
import { ecdsaSignatureValues, verifyEcdsaNoble, verifyWith, type CurveName } from '../../src/kinds/prehashed.js';
import { parseVerifier } from '../../src/kinds/pki.js';
import { ecdsaDer } from '../../src/kinds/native.js';
import { digestOf, expectCode, keyPair, type KeySpec } from './helpers.js';

const MSG = new TextEncoder().encode('prehashed verification');
type Alg = 'sha256' | 'sha384' | 'sha512';
const ALGS: Alg[] = ['sha256', 'sha384', 'sha512'];

describe('verifyDigest: ECDSA over a given digest', () => {
  const specs: KeySpec[] = ['p256', 'p384', 'p521'];
  it.each(specs.flatMap((s) => ALGS.map((a) => [s, a] as const)))('%s with a %s digest (DER and P1363)', (spec, alg) => {
    const { publicKey, privateKey } = keyPair(spec);
    const digest = digestOf(alg, MSG);
    const der = sign(alg, MSG, privateKey);
    const p1363 = sign(alg, MSG, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifyDigest(publicKey, alg, digest, der)).toBe(true);
    expect(verifyDigest(publicKey, alg, digest, p1363)).toBe(true);
    const other = digestOf(alg, new Uint8Array([1]));
    expect(verifyDigest(publicKey, alg, other, der)).toBe(false);
    expect(verifyDigest(publicKey, alg, other, p1363)).toBe(false);
  });

  it('accepts high-S and low-S forms of the same signature (OpenSSL makes either)', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const digest = digestOf('sha256', MSG);
    const n = p256.Point.Fn.ORDER;
    const sig = p256.Signature.fromBytes(sign('sha256', MSG, privateKey), 'der');
    const flippedS = new p256.Signature(sig.r, n - sig.s);
    expect(sig.s > n / 2n).not.toBe(flippedS.s > n / 2n); // exactly one of the two is high-S
    expect(verifyDigest(publicKey, 'sha256', digest, sig.toBytes('der'))).toBe(true);
    expect(verifyDigest(publicKey, 'sha256', digest, flippedS.toBytes('der'))).toBe(true);
  });

  it.each([
    ['trailing byte after DER', (d: Buffer) => Buffer.concat([d, Buffer.from([0])])],
    ['truncated DER', (d: Buffer) => d.subarray(0, d.length - 1)],
    ['empty', () => Buffer.alloc(0)],
    ['odd-length raw', () => Buffer.alloc(63, 1)],
    ['raw over 132 bytes', () => Buffer.alloc(134, 1)],
    ['r = 0 (raw)', (d: Buffer) => Buffer.concat([Buffer.alloc(32), Buffer.from(p256.Signature.fromBytes(d, 'der').toBytes('compact')).subarray(32)])],
    ['r = n (raw)', (d: Buffer) => Buffer.concat([Buffer.from(p256.Point.Fn.ORDER.toString(16), 'hex'), Buffer.from(p256.Signature.fromBytes(d, 'der').toBytes('compact')).subarray(32)])],
    ['negative r in DER', () => Buffer.from('3006020180020101', 'hex')],
    ['non-minimal INTEGER in DER', (d: Buffer) => {
      const sig = p256.Signature.fromBytes(d, 'der');
      const int = (x: bigint) => Buffer.concat([Buffer.from([0x02, 34, 0, 0]), Buffer.from(x.toString(16).padStart(64, '0'), 'hex')]);
      const body = Buffer.concat([int(sig.r), int(sig.s)]);
      return Buffer.concat([Buffer.from([0x30, body.length]), body]);
    }],
  ])('rejects a malformed signature: %s', (_n, mangle) => {
    const { publicKey, privateKey } = keyPair('p256');
    const der = sign('sha256', MSG, privateKey);
    expect(verifyDigest(publicKey, 'sha256', digestOf('sha256', MSG), mangle(der))).toBe(false);
  });

  it('property: agrees with node:crypto (which hashes the message) on valid and corrupted signatures', () => {
    const { publicKey } = keyPair('p256');
    agreesWithNode(60, (msg, sig) => verifyDigest(publicKey, 'sha256', digestOf('sha256', msg), sig));
  });
});

describe('the pure-JS ECDSA path (used when the native addon is not built)', () => {
  const CURVES: [KeySpec, CurveName][] = [
    ['p256', 'prime256v1'],
    ['p384', 'secp384r1'],
    ['p521', 'secp521r1'],
  ];
  const pointOf = (spec: KeySpec) => {
    const jwk = keyPair(spec).publicKey.export({ format: 'jwk' });
    return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  };
  it.each(CURVES.flatMap(([s, c]) => ALGS.map((a) => [s, c, a] as const)))('%s (%s) with a %s digest, both S forms', (spec, curve, alg) => {
    const { privateKey } = keyPair(spec);
    const [r, s] = ecdsaSignatureValues(sign(alg, MSG, privateKey))!;
    const n = { prime256v1: p256.Point.Fn.ORDER, secp384r1: p384.Point.Fn.ORDER, secp521r1: p521.Point.Fn.ORDER }[curve];
    expect(verifyEcdsaNoble(curve, pointOf(spec), digestOf(alg, MSG), r, s)).toBe(true);
    expect(verifyEcdsaNoble(curve, pointOf(spec), digestOf(alg, MSG), r, n - s)).toBe(true); // the other S form
    expect(verifyEcdsaNoble(curve, pointOf(spec), digestOf(alg, MSG.subarray(1)), r, s)).toBe(false);
    expect(verifyEcdsaNoble(curve, pointOf(spec), digestOf(alg, MSG), s, r)).toBe(false);
    expect(verifyEcdsaNoble(curve, pointOf(spec), digestOf(alg, MSG), 0n, s)).toBe(false);
  });

  it('property: agrees with node:crypto on valid and corrupted P-256 signatures', () => {
    const point = pointOf('p256');
    agreesWithNode(40, (msg, sig) => {
      const rs = ecdsaSignatureValues(sig);
      return rs !== undefined && verifyEcdsaNoble('prime256v1', point, digestOf('sha256', msg), rs[0], rs[1]);
    });
  });
});

describe('verifyDigest: RSA over a given digest', () => {
  const specs: KeySpec[] = ['rsa2048', 'rsa3072', 'rsa4096'];
  it.each(specs.flatMap((s) => ALGS.map((a) => [s, a] as const)))('%s PKCS#1 v1.5 with %s', (spec, alg) => {
    const { publicKey, privateKey } = keyPair(spec);
    const sig = sign(alg, MSG, privateKey);
    expect(verifyDigest(publicKey, alg, digestOf(alg, MSG), sig)).toBe(true);
    expect(verifyDigest(publicKey, alg, digestOf(alg, MSG.subarray(1)), sig)).toBe(false);
    // The DigestInfo names the hash: a sha512 signature is not a sha256 one.
    if (alg !== 'sha256') expect(verifyDigest(publicKey, 'sha256', digestOf('sha256', MSG), sig)).toBe(false);
  });

  const saltLengths = [
    ['0', 0],
    ['hash length', constants.RSA_PSS_SALTLEN_DIGEST],
    ['maximum', constants.RSA_PSS_SALTLEN_MAX_SIGN],
    ['17 bytes', 17],
  ] as const;
  it.each(specs.flatMap((s) => saltLengths.map(([n, len]) => [s, n, len] as const)))('%s PSS, salt %s', (spec, _n, saltLength) => {
    const { publicKey, privateKey } = keyPair(spec);
    for (const alg of ALGS) {
      const sig = sign(alg, MSG, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
      expect(verifyDigest(publicKey, alg, digestOf(alg, MSG), sig, { rsaPadding: 'pss' })).toBe(true);
      expect(verifyDigest(publicKey, alg, digestOf(alg, MSG), sig)).toBe(false); // not PKCS#1 v1.5
      const bad = Buffer.from(sig);
      bad[bad.length - 1] ^= 1;
      expect(verifyDigest(publicKey, alg, digestOf(alg, MSG), bad, { rsaPadding: 'pss' })).toBe(false);
    }
  });

  it('PSS with a modulus of 8k+1 bits (encoded message one byte shorter than the modulus)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1025 });
    const sig = sign('sha256', MSG, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(verifyDigest(publicKey, 'sha256', digestOf('sha256', MSG), sig, { rsaPadding: 'pss' })).toBe(true);
    expect(verifyDigest(publicKey, 'sha256', digestOf('sha256', MSG.subarray(2)), sig, { rsaPadding: 'pss' })).toBe(false);
  });

  it('a PKCS#1 v1.5 signature is not accepted as PSS; short or long signatures are refused', () => {
    const { publicKey, privateKey } = keyPair('rsa2048');
    const sig = sign('sha256', MSG, privateKey);
    const d = digestOf('sha256', MSG);
    expect(verifyDigest(publicKey, 'sha256', d, sig, { rsaPadding: 'pss' })).toBe(false);
    expect(verifyDigest(publicKey, 'sha256', d, sig.subarray(1))).toBe(false);
    expect(verifyDigest(publicKey, 'sha256', d, Buffer.concat([Buffer.from([0]), sig]))).toBe(false);
    expect(verifyDigest(publicKey, 'sha256', d, Buffer.alloc(256, 0xff))).toBe(false);
  });
});

describe('verifyDigest: Ed25519ph', () => {
  // RFC 8032 §7.3, test "abc".
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from('ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf', 'hex').toString('base64url') }, format: 'jwk' });
  const sig = Buffer.from(
    '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406',
    'hex',
  );
  const digest = digestOf('sha512', Buffer.from('abc'));
  it('verifies the RFC 8032 Ed25519ph test vector over SHA-512("abc")', () => {
    expect(verifyDigest(pub, 'sha512', digest, sig)).toBe(true);
  });
  it('rejects a different digest, a flipped bit, a short signature', () => {
    expect(verifyDigest(pub, 'sha512', digestOf('sha512', Buffer.from('abd')), sig)).toBe(false);
    const bad = Buffer.from(sig);
    bad[0] ^= 1;
    expect(verifyDigest(pub, 'sha512', digest, bad)).toBe(false);
    expect(verifyDigest(pub, 'sha512', digest, sig.subarray(1))).toBe(false);
  });
  it('needs a sha512 digest', () => {
    expectCode(() => verifyDigest(pub, 'sha256', digestOf('sha256', Buffer.from('abc')), sig), 'INVALID_ENTRY');
  });
});

describe('verifyDigest argument checks', () => {
  it('a digest of the wrong length for its algorithm is INVALID_ENTRY', () => {
    expectCode(() => verifyDigest(keyPair('p256').publicKey, 'sha384', digestOf('sha256', MSG), new Uint8Array(64)), 'INVALID_ENTRY');
  });
  it('an unsupported key type is INVALID_ENTRY', () => {
    const { publicKey } = generateKeyPairSync('ed448');
    expectCode(() => verifyDigest(publicKey, 'sha512', digestOf('sha512', MSG), new Uint8Array(114)), 'INVALID_ENTRY');
  });
});

/**
 * agreesWithNode checks ours(msg, sig) against node:crypto's verify (which hashes msg itself) on
 * P-256 signatures of random messages, half of them with one bit flipped.
 */
function agreesWithNode(numRuns: number, ours: (msg: Uint8Array, sig: Buffer) => boolean): void {
  const { publicKey, privateKey } = keyPair('p256');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(71), fc.boolean(), (msg, at, corrupt) => {
      const sig = sign('sha256', msg, privateKey);
      if (corrupt) sig[at % sig.length] ^= 1 << at % 8;
      let node: boolean;
      try {
        node = verify('sha256', msg, publicKey, sig);
      } catch {
        node = false;
      }
      expect(ours(msg, sig)).toBe(node);
    }),
    { numRuns },
  );
}

describe('ECDSA with parsed material (verifyWith): strict DER goes to OpenSSL as it is', () => {
  const curves = [
    ['prime256v1', 'p256', p256],
    ['secp384r1', 'p384', p384],
  ] as const;
  /** reference is the path without the shortcut: (r, s) as ecdsaSignatureValues reads them, checked by noble. */
  const reference = (curve: CurveName, point: Uint8Array, digest: Uint8Array, sig: Uint8Array) => {
    const rs = ecdsaSignatureValues(sig);
    return rs !== undefined && verifyEcdsaNoble(curve, point, digest, rs[0], rs[1]);
  };
  it.each(curves)('%s: r or s not below the order is refused, in DER', (curve, spec, c) => {
    const { privateKey, publicKey } = keyPair(spec);
    const v = parseVerifier(new TextEncoder().encode(publicKey.export({ type: 'spki', format: 'pem' }) as string), 'key');
    const digest = digestOf('sha256', MSG);
    const sig = c.Signature.fromBytes(sign('sha256', MSG, privateKey), 'der');
    const n = c.Point.Fn.ORDER;
    expect(verifyWith(v, 'sha256', digest, ecdsaDer(sig.r, sig.s))).toBe(true);
    // r + n is the same residue: a verifier that reduced r first would accept it.
    for (const [r, s] of [[sig.r + n, sig.s], [sig.r, sig.s + n], [n, sig.s], [sig.r, n]]) {
      expect(verifyWith(v, 'sha256', digest, ecdsaDer(r, s))).toBe(false);
    }
  });

  it.each(curves)('%s property: agrees with the BigInt path on valid, corrupted and re-encoded signatures', (curve, spec) => {
    const { privateKey, publicKey } = keyPair(spec);
    const v = parseVerifier(new TextEncoder().encode(publicKey.export({ type: 'spki', format: 'pem' }) as string), 'key');
    expect(v.ec?.curve).toBe(curve);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }), (msg, at, byte, how) => {
        const digest = digestOf('sha256', msg);
        let sig: Uint8Array = sign('sha256', msg, privateKey);
        if (how === 1) sig = Uint8Array.from(sig, (b, i) => (i === at % sig.length ? byte : b)); // one byte replaced
        if (how === 2) sig = sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        if (how === 3) sig = sig.subarray(0, at % (sig.length + 1)); // truncated
        expect(verifyWith(v, 'sha256', digest, sig)).toBe(reference(curve, v.ec!.point, digest, sig));
      }),
      { numRuns: 200 },
    );
  });
});
