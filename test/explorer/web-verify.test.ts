// The explorer's browser-side checks run here in Node (which has WebCrypto too), against the RFC
// 6962 reference tree and Cairn's own signers: every inclusion and consistency proof of small
// trees verifies, and every one-byte corruption of a proof is refused; DER ECDSA signatures are
// converted to what WebCrypto verifies.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToP1363, parseCertificate } from '../../web/src/der.js';
import { importLogKey, verifierKey } from '../../web/src/keys.js';
import { leafHash, rootFromInclusionProof, verifyConsistency } from '../../web/src/merkle.js';
import { classify } from '../../web/src/search.js';
import { loadPrivateKey, verifierKeyString } from '../../src/note/index.js';
import { ReferenceTree, refNodeHash } from '../merkle/reference.js';
import { certSigner, IDENTITY } from './fixtures.js';

const MAX = 33;
const tree = new ReferenceTree();
for (let i = 0; i < MAX; i++) tree.push(Uint8Array.of(i, i >> 8));

const flip = (proof: Uint8Array[], i: number, bit: number) => proof.map((h, j) => (j === i ? h.map((b, k) => (k === bit >> 3 ? b ^ (1 << (bit & 7)) : b)) : h));

describe('explorer Merkle checks (web/src/merkle.ts)', () => {
  it('leafHash is SHA-256(0x00 || data)', async () => {
    expect(Buffer.from(await leafHash(Uint8Array.of(0, 0)))).toEqual(Buffer.from(tree.leafHashes[0]));
  });

  // (A wrong tree size can lead to the same root, e.g. leaf 0 of trees 3 and 4: the size is bound
  // by the checkpoint, which the page compares separately.)
  it(`verifies every inclusion proof in trees of 1..${MAX} and refuses each flipped bit, a wrong index, an extra hash`, async () => {
    for (let n = 1; n <= MAX; n++) {
      const root = tree.mth(0, n);
      for (let m = 0; m < n; m++) {
        const proof = tree.inclusion(m, n);
        expect(Buffer.from((await rootFromInclusionProof(m, n, tree.leafHashes[m], proof)) as Uint8Array)).toEqual(Buffer.from(root));
        for (let i = 0; i < proof.length; i++) {
          const got = await rootFromInclusionProof(m, n, tree.leafHashes[m], flip(proof, i, (m * 7 + i) % 256));
          expect(got).not.toEqual(root);
        }
        if (n > 1) expect(await rootFromInclusionProof((m + 1) % n, n, tree.leafHashes[m], proof)).not.toEqual(root);
        expect(typeof (await rootFromInclusionProof(m, n, tree.leafHashes[m], [...proof, root]))).toBe('string');
      }
      expect(typeof (await rootFromInclusionProof(n, n, tree.leafHashes[0], []))).toBe('string');
    }
  });

  it(`verifies every consistency proof between trees of 1..${MAX} and refuses corrupted ones`, async () => {
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistency(m, n);
        const [r1, r2] = [tree.mth(0, m), tree.mth(0, n)];
        expect(await verifyConsistency(m, n, r1, r2, m === n ? [] : proof)).toBeUndefined();
        if (m === n) continue;
        for (let i = 0; i < proof.length; i++) expect(await verifyConsistency(m, n, r1, r2, flip(proof, i, (n + i) % 256))).toBeDefined();
        expect(await verifyConsistency(m, n, r2, r1, proof)).toBeDefined();
        expect(await verifyConsistency(m, n, r1, r2, proof.slice(1))).toBeDefined();
        expect(await verifyConsistency(m, n, r1, r2, [...proof, r1])).toBeDefined();
      }
    }
  });

  it('handles indexes above 2^32 without 32-bit arithmetic (the last leaf of a tree of 2^33 + 5)', async () => {
    // Leaf 2^33 + 4 is alone in the tree's last subtree: its siblings are MTH(2^33 .. 2^33 + 4),
    // then MTH(0 .. 2^33). With `>>` the index would wrap to 4 and a one-hash path be expected.
    const size = 2 ** 33 + 5;
    const leaf = new Uint8Array(32);
    const [p0, p1] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const want = refNodeHash(p1, refNodeHash(p0, leaf));
    expect(Buffer.from((await rootFromInclusionProof(size - 1, size, leaf, [p0, p1])) as Uint8Array)).toEqual(Buffer.from(want));
    expect(typeof (await rootFromInclusionProof(size - 1, size, leaf, [p0]))).toBe('string');
    expect(typeof (await rootFromInclusionProof(size - 1, size, leaf, [p0, p1, p1]))).toBe('string');
  });
});

describe('explorer keys and signatures (web/src/keys.ts, der.ts)', () => {
  it.each(['ed25519', 'ecdsa-p256'] as const)('verifies %s signatures as Cairn makes them, and its vkey matches the server\'s', async (type) => {
    const pair = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const logKey = loadPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const key = await importLogKey(logKey.publicKeyPem);
    const msg = Buffer.from('origin\n1\nroot\n');
    const sig = logKey.sign(msg);
    expect(await key.verify(msg, sig)).toBe(true);
    expect(await key.verify(Buffer.from('origin\n2\nroot\n'), sig)).toBe(false);
    expect(await key.verify(msg, sig.subarray(1))).toBe(false);
    expect(await verifierKey('log.example/a', key)).toBe(verifierKeyString('log.example/a', logKey));
    expect(Buffer.from(key.logId)).toEqual(Buffer.from(logKey.logId));
  });

  it('converts DER ECDSA signatures to P1363 and refuses non-canonical DER', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // 200 signatures: about one in 128 has an r or s short enough to need left padding.
    for (let i = 0; i < 200; i++) {
      const der = sign('sha256', Buffer.from([i]), privateKey);
      const p1363 = derToP1363(der, 32);
      expect(p1363.length).toBe(64);
      expect(verify('sha256', Buffer.from([i]), { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(true);
    }
    expect(Buffer.from(derToP1363(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07), 32))).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.from([5]), Buffer.alloc(31), Buffer.from([7])]));
    expect(() => derToP1363(Uint8Array.of(0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x07), 32)).toThrow(/non-minimal/);
    expect(() => derToP1363(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x07), 32)).toThrow(/negative/);
    expect(() => derToP1363(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00), 32)).toThrow(/trailing/);
  });

  it('decodes a Fulcio-like certificate: SANs, issuer, validity, OIDC issuer', () => {
    const { certPem } = certSigner();
    const der = Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const c = parseCertificate(der);
    expect(c.sans).toEqual([{ type: 'email', value: IDENTITY.email }, { type: 'URI', value: IDENTITY.uri }]);
    expect(c.issuer).toBe(`O=Cairn tests, CN=${IDENTITY.issuerCn}`);
    expect(c.oidcIssuer).toBe(IDENTITY.oidcIssuer);
    expect(c.notAfter.toISOString()).toBe('2036-01-01T00:00:00.000Z');
    expect(c.keyAlgorithm).toBe('ECDSA P-256');
    expect(() => parseCertificate(der.subarray(0, der.length - 1))).toThrow();
  });
});

describe('explorer search box (web/src/search.ts)', () => {
  it.each([
    ['sha256:' + 'AB'.repeat(32), 'sha256'],
    ['ab'.repeat(32), 'sha256'],
    ['ab'.repeat(40), 'entryId'],
    ['42', 'index'],
    ['99999999999999999', 'unknown'],
    ['alice@example.org', 'email'],
    ['https://github.com/o/r/.github/workflows/w.yml@refs/heads/main', 'uri'],
    ['-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----', 'pem'],
    ['hello', 'unknown'],
  ])('classifies %s as %s', (q, kind) => {
    expect(classify(q).kind).toBe(kind);
  });
});
