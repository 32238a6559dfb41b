import { p256, p384, p521 } from '@noble/curves/nist.js';
import { constants, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NATIVE_ADDON_PATH } from '../../src/native.js';
import { ecdsaDer, ecSpki, nativeVerifyDigest, nativeVerifyEcdsa, type NativeCurve, type NativeVerifyDigest } from '../../src/kinds/native.js';
import { rng } from '../helpers/rng.js';

// CI must not go green without the addon: `npm ci` builds it, so only an explicit
// CAIRN_NO_NATIVE=1 may turn these tests off.
const forcedOff = process.env.CAIRN_NO_NATIVE === '1';

const sha = (alg: string, data: Uint8Array) => new Uint8Array(createHash(alg).update(data).digest());
const spkiOf = (k: KeyObject) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));
const CURVES = {
  'P-256': { noble: p256, bytes: 32, name: 'prime256v1' },
  'P-384': { noble: p384, bytes: 48, name: 'secp384r1' },
  'P-521': { noble: p521, bytes: 66, name: 'secp521r1' },
} as const;
type Curve = keyof typeof CURVES;

const isHighS = (curve: Curve, sig: Uint8Array) => CURVES[curve].noble.Signature.fromBytes(sig, 'der').hasHighS();

/** The same signature with s replaced by n - s (the other of the malleable pair). */
function flipS(curve: Curve, sig: Uint8Array): Uint8Array {
  const s = CURVES[curve].noble.Signature.fromBytes(sig, 'der');
  const n = CURVES[curve].noble.Point.Fn.ORDER;
  return new CURVES[curve].noble.Signature(s.r, n - s.s).toBytes('der');
}

/** The uncompressed point at the end of an EC SPKI, the key form noble takes. */
const rawPoint = (curve: Curve, spki: Uint8Array) => spki.subarray(spki.length - (1 + 2 * CURVES[curve].bytes));

function nobleVerify(curve: Curve, spki: Uint8Array, digest: Uint8Array, sig: Uint8Array): boolean {
  return CURVES[curve].noble.verify(sig, digest, rawPoint(curve, spki), { lowS: false, prehash: false, format: 'der' });
}

// One test in both modes (no skipped test in a normal run): CAIRN_NO_NATIVE=1 must really switch the addon off.
describe('native addon switch', () => {
  it(forcedOff ? 'is not loaded under CAIRN_NO_NATIVE=1' : 'is loaded without CAIRN_NO_NATIVE', () => {
    expect(typeof nativeVerifyDigest).toBe(forcedOff ? 'undefined' : 'function');
    expect(typeof nativeVerifyEcdsa).toBe(forcedOff ? 'undefined' : 'function');
  });
});

describe.skipIf(forcedOff)('native addon', () => {
  it('is built and loads (npm install runs scripts/build-native.mjs)', () => {
    expect(existsSync(NATIVE_ADDON_PATH), `${NATIVE_ADDON_PATH} missing: run node scripts/build-native.mjs`).toBe(true);
    expect(nativeVerifyDigest).toBeTypeOf('function');
  });
  const v = (...a: Parameters<NativeVerifyDigest>) => (nativeVerifyDigest as NativeVerifyDigest)(...a);

  describe.each(Object.keys(CURVES) as Curve[])('%s', (curve) => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const other = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
    const spki = spkiOf(publicKey);
    const data = Array.from({ length: 40 }, (_, i) => randomBytes(i * 3));
    const sigs = data.map((d) => new Uint8Array(sign('sha256', d, privateKey)));

    it('verifies OpenSSL signatures over sha256(data), high-S included', () => {
      for (let i = 0; i < data.length; i++) {
        expect(v(spki, sha('sha256', data[i]), sigs[i])).toBe(true);
        expect(v(spki, sha('sha256', data[i]), sigs[i], { hash: 'sha256' })).toBe(true);
        expect(v(spki, sha('sha256', data[i]), flipS(curve, sigs[i]))).toBe(true); // the malleated twin
      }
      expect(sigs.some((s) => isHighS(curve, s))).toBe(true);
      expect(sigs.some((s) => !isHighS(curve, s))).toBe(true);
    });

    it('rejects wrong digest, flipped bit, other key, truncated DER', () => {
      const d = sha('sha256', data[5]);
      const sig = sigs[5];
      const wrong = d.slice();
      wrong[0] ^= 1;
      expect(v(spki, wrong, sig)).toBe(false);
      for (let i = 0; i < sig.length; i++) {
        const bad = sig.slice();
        bad[i] ^= 1 << (i % 8); // one bit per byte keeps P-521 quick
        expect(v(spki, d, bad), `byte ${i}`).toBe(false);
      }
      expect(v(spkiOf(other), d, sig)).toBe(false);
      for (let n = 0; n < sig.length; n++) expect(v(spki, d, sig.subarray(0, n))).toBe(false);
      expect(v(spki, d, new Uint8Array([...sig, 0]))).toBe(false); // trailing byte
      // r with a needless leading zero: the same numbers in a non-canonical DER (node:crypto refuses it too).
      const r = CURVES[curve].noble.Signature.fromBytes(sig, 'der').r;
      const canonical = CURVES[curve].noble.Signature.fromBytes(sig, 'der').toBytes('der');
      if (canonical[1] < 0x7f) { // short-form lengths (P-256, P-384): room for one byte more
        const rLen = canonical[3];
        const padded = new Uint8Array([0x30, canonical[1] + 1, 0x02, rLen + 1, 0, ...canonical.subarray(4)]);
        expect(BigInt('0x' + Buffer.from(padded.subarray(5, 5 + rLen)).toString('hex'))).toBe(r);
        expect(verify('sha256', data[5], publicKey, canonical)).toBe(true);
        expect(verify('sha256', data[5], publicKey, padded)).toBe(false);
        expect(v(spki, d, canonical)).toBe(true);
        expect(v(spki, d, padded)).toBe(false);
      }
      // A point off the curve: its last byte changed.
      const offCurve = spki.slice();
      offCurve[offCurve.length - 1] ^= 1;
      expect(v(offCurve, d, sig)).toBe(false);
      expect(v(spki, d, sig, { hash: 'sha384' })).toBe(false); // digest length does not match
      expect(v(spki, d, sig, { padding: 'pss' })).toBe(false); // RSA option on an EC key
    });

    it('agrees with node:crypto for other digests (truncation to the order size)', () => {
      for (const hash of ['sha384', 'sha512'] as const) {
        const sig = new Uint8Array(sign(hash, data[7], privateKey));
        expect(v(spki, sha(hash, data[7]), sig, { hash })).toBe(true);
        expect(v(spki, sha(hash, data[7]), sig)).toBe(true);
        expect(verify(hash, data[7], publicKey, sig)).toBe(true);
      }
    });

    it('takes a compressed-point SPKI', () => {
      const jwk = publicKey.export({ format: 'jwk' });
      const x = Buffer.from(jwk.x!, 'base64url');
      const y = Buffer.from(jwk.y!, 'base64url');
      const raw = Buffer.concat([Buffer.from([2 + (y[y.length - 1] & 1)]), x]);
      // Rebuild the SPKI around the compressed point and let OpenSSL confirm it is the same key.
      const at = spki[1] === 0x81 ? 3 : 2; // outer SEQUENCE header: long form for P-521
      const algId = Buffer.from(spki.subarray(at, at + 2 + spki[at + 1]));
      const bitString = Buffer.concat([Buffer.from([0x03, raw.length + 1, 0]), raw]);
      const compressed = new Uint8Array(Buffer.concat([Buffer.from([0x30, algId.length + bitString.length]), algId, bitString]));
      expect(createPublicKey({ key: Buffer.from(compressed), format: 'der', type: 'spki' }).export({ format: 'jwk' })).toEqual(jwk);
      expect(v(compressed, sha('sha256', data[3]), sigs[3])).toBe(true);
      expect(v(compressed, sha('sha256', data[4]), sigs[3])).toBe(false);
    });

    it(`equals noble ${curve} (lowS: false, prehash: false) on random cases`, () => {
      const n = curve === 'P-256' ? 600 : 60; // noble P-384/521 are slow; P-256 is the one that matters
      const rand = rng(curve.length * 7919 + CURVES[curve].bytes);
      const keys = [publicKey, other].map(spkiOf);
      let trues = 0;
      let highS = 0;
      for (let i = 0; i < n; i++) {
        const k = i % data.length;
        let key: Uint8Array = spki;
        let digest = sha('sha256', data[k]);
        let sig: Uint8Array = sigs[k];
        const r = rand();
        if (r < 0.3) {
          // unchanged
        } else if (r < 0.45) sig = flipS(curve, sig);
        else if (r < 0.6) {
          digest = digest.slice();
          digest[Math.floor(rand() * digest.length)] ^= 1 << Math.floor(rand() * 8);
        } else if (r < 0.8) {
          sig = sig.slice();
          sig[Math.floor(rand() * sig.length)] ^= 1 << Math.floor(rand() * 8);
        } else if (r < 0.9) key = keys[1];
        else sig = sig.subarray(0, Math.floor(rand() * sig.length));
        if (r < 0.45 && isHighS(curve, sig)) highS++;
        const got = v(key, digest, sig);
        expect(got, `case ${i}`).toBe(nobleVerify(curve, key, digest, sig));
        if (got) trues++;
        // The parsed-parts entry point (what prehashed.ts calls) agrees wherever the DER parses.
        let rs: { r: bigint; s: bigint } | undefined;
        try {
          rs = CURVES[curve].noble.Signature.fromBytes(sig, 'der');
        } catch {
          rs = undefined;
        }
        if (rs) expect(nativeVerifyEcdsa!(CURVES[curve].name, rawPoint(curve, key), digest, rs.r, rs.s), `case ${i} (parts)`).toBe(got);
      }
      expect(trues).toBeGreaterThan(n * 0.3);
      expect(highS).toBeGreaterThan(n * 0.1);
    });
  });

  it('ecSpki and ecdsaDer rebuild the exact DER OpenSSL makes', () => {
    for (const curve of Object.keys(CURVES) as Curve[]) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const spki = spkiOf(publicKey);
      expect(Buffer.from(ecSpki(CURVES[curve].name, rawPoint(curve, spki)))).toEqual(Buffer.from(spki));
      for (let i = 0; i < 20; i++) {
        const sig = new Uint8Array(sign('sha256', randomBytes(16), privateKey));
        const { r, s } = CURVES[curve].noble.Signature.fromBytes(sig, 'der');
        expect(Buffer.from(ecdsaDer(r, s))).toEqual(Buffer.from(sig));
      }
    }
    expect(ecdsaDer(0n, 5n).length).toBe(0);
    expect(ecdsaDer(5n, -1n).length).toBe(0);
    expect(ecSpki('toString' as NativeCurve, new Uint8Array(65)).length).toBe(0);
    expect(nativeVerifyEcdsa!('nope' as NativeCurve, new Uint8Array(65), new Uint8Array(32), 1n, 1n)).toBe(false);
    expect(nativeVerifyEcdsa!('prime256v1', new Uint8Array(65), new Uint8Array(32), 1n, 1n << 300n)).toBe(false);
  });

  it('verifies secp256k1 (the generic d2i_PUBKEY path) like node:crypto', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const data = randomBytes(100);
    const sig = new Uint8Array(sign('sha256', data, privateKey));
    expect(v(spkiOf(publicKey), sha('sha256', data), sig)).toBe(true);
    expect(v(spkiOf(publicKey), sha('sha256', randomBytes(9)), sig)).toBe(false);
  });

  it('verifies RSA PKCS#1 v1.5 and PSS over a digest', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = spkiOf(publicKey);
    const data = randomBytes(64);
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const d = sha(hash, data);
      const pkcs1 = new Uint8Array(sign(hash, data, privateKey));
      const pss = new Uint8Array(sign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
      expect(v(spki, d, pkcs1, { hash })).toBe(true);
      expect(v(spki, d, pkcs1, { hash, padding: 'pkcs1' })).toBe(true);
      expect(v(spki, d, pss, { hash, padding: 'pss' })).toBe(true);
      expect(v(spki, d, pss, { hash })).toBe(false);
      expect(v(spki, d, pkcs1, { hash, padding: 'pss' })).toBe(false);
      expect(v(spki, d, pkcs1)).toBe(false); // RSA needs the hash for its DigestInfo
      const bad = pkcs1.slice();
      bad[100] ^= 4;
      expect(v(spki, d, bad, { hash })).toBe(false);
    }
    // A digest made with another hash than the one named: wrong length, or wrong DigestInfo.
    expect(v(spki, sha('sha384', data), new Uint8Array(sign('sha384', data, privateKey)), { hash: 'sha256' })).toBe(false);
    expect(v(spki, sha('sha256', data), new Uint8Array(sign('sha256', data, privateKey)), { hash: 'bogus' as 'sha256' })).toBe(false);
    expect(v(spki, sha('sha256', data), new Uint8Array(sign('sha256', data, privateKey)), { hash: 'sha256\0x' as 'sha256' })).toBe(false);
    expect(v(spki, sha('sha256', data), new Uint8Array(sign('sha256', data, privateKey)), { hash: 'SHA256' as 'sha256' })).toBe(true);
    expect(v(spki, sha('sha256', data), new Uint8Array(sign('sha256', data, privateKey)), { hash: 'sha256', padding: 'x' as 'pss' })).toBe(false);
  });

  it('returns false, never throws, on garbage, empty and oversized input', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = spkiOf(publicKey);
    const d = sha('sha256', Buffer.from('x'));
    const sig = new Uint8Array(sign('sha256', Buffer.from('x'), privateKey));
    const empty = new Uint8Array(0);
    const ed = generateKeyPairSync('ed25519').publicKey;
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [empty, d, sig],
      [spki, empty, sig],
      [spki, d, empty],
      [empty, empty, empty],
      [randomBytes(91), d, sig],
      [spki.subarray(0, 90), d, sig],
      [new Uint8Array([...spki, 0]), d, sig],
      [new Uint8Array(spki.length), d, sig],
      [new Uint8Array([...spki.subarray(0, 27), ...randomBytes(64)]), d, sig], // point off the curve
      [new Uint8Array(100_000), d, sig],
      [spki, new Uint8Array(65), sig],
      [spki, d, new Uint8Array(100_000)],
      [spkiOf(ed), d, sig], // Ed25519 signs messages, not digests
      [new Uint8Array(Buffer.from('3003020100', 'hex')), d, sig],
    ];
    for (const [k, dg, s] of cases) expect(v(k, dg, s)).toBe(false);
    for (let i = 0; i < 300; i++) {
      const k = spki.slice();
      k[Math.floor(Math.random() * k.length)] = Math.floor(Math.random() * 256);
      expect(typeof v(k, d, sig)).toBe('boolean');
      expect(v(randomBytes(Math.floor(Math.random() * 200)), randomBytes(32), randomBytes(Math.floor(Math.random() * 80)))).toBe(false);
    }
    // A view into a larger buffer reads only its own bytes.
    const big = new Uint8Array(spki.length + 10);
    big.set(spki, 5);
    expect(v(big.subarray(5, 5 + spki.length), d, sig)).toBe(true);
    // node:crypto still works and reports its own errors afterwards (the error queue is clean).
    expect(() => createPublicKey({ key: Buffer.from('nope'), format: 'der', type: 'spki' })).toThrow();
    expect(verify('sha256', Buffer.from('x'), publicKey, sig)).toBe(true);
  });

  it('throws TypeError for arguments of the wrong type', () => {
    const u = new Uint8Array(32);
    const anyV = nativeVerifyDigest as unknown as (...a: unknown[]) => boolean;
    expect(() => anyV('abc', u, u)).toThrow(TypeError);
    expect(() => anyV(u, null, u)).toThrow(TypeError);
    expect(() => anyV(u, u, [1, 2])).toThrow(TypeError);
    expect(() => anyV(u, u, new Uint16Array(4))).toThrow(/^verifyDigest: derSignature must be a Uint8Array$/);
    expect(() => anyV(u, u, u, { hash: 5 })).toThrow(TypeError);
    expect(() => anyV(u, u, u, { padding: {} })).toThrow(TypeError);
    expect(() => anyV(u, u)).toThrow(TypeError);
    expect(anyV(u, u, u, { hash: 'x'.repeat(1000) })).toBe(false);
    const detached = new Uint8Array(new ArrayBuffer(32));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(anyV(detached, detached, detached)).toBe(false);
    expect(anyV(Buffer.alloc(32), Buffer.alloc(32), Buffer.alloc(32))).toBe(false); // Buffer is a Uint8Array
  });
});
