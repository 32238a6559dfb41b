import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { admitEntry, canonicalJson } from '../../src/kinds/index.js';
import { leafHash, verifyInclusion } from '../../src/merkle/index.js';
import { b64, digestOf, expectCode, fixture, fixtureKey, hashedrekordEntry, keyPair, publicPem, signArtifact, signEd25519ph, type KeySpec } from './helpers.js';

const ARTIFACT = new TextEncoder().encode('cairn hashedrekord test artifact\n');
const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);

/** expectedBody spells out Rekor's canonical body by hand, independently of our JCS code. */
function expectedBody(alg: string, hex: string, sig: Uint8Array, pem: string): string {
  return (
    `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"${alg}","value":"${hex}"}},` +
    `"signature":{"content":"${b64(sig)}","publicKey":{"content":"${b64(pem)}"}}}}`
  );
}

function spkiKeyOf(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return `key:${createHash('sha256').update(der).digest('hex')}`;
}

describe('hashedrekord: admits what Rekor admits, stores what Rekor stores', () => {
  const cases: [KeySpec, 'sha256' | 'sha384' | 'sha512'][] = [
    ['p256', 'sha256'],
    ['p256', 'sha512'],
    ['p384', 'sha384'],
    ['p384', 'sha256'],
    ['p521', 'sha512'],
    ['p521', 'sha256'],
    ['rsa2048', 'sha256'],
    ['rsa2048', 'sha512'],
    ['rsa3072', 'sha384'],
  ];
  it.each(cases)('%s key, %s digest', (spec, alg) => {
    const { publicKey, privateKey } = keyPair(spec);
    const sig = signArtifact(privateKey, alg, ARTIFACT);
    const hex = digestOf(alg, ARTIFACT).toString('hex');
    const pem = publicPem(publicKey);
    const a = admitEntry(hashedrekordEntry(sig, pem, alg, hex));
    expect(a.kind).toBe('hashedrekord/0.0.1');
    expect(utf8(a.body)).toBe(expectedBody(alg, hex, sig, pem));
    expect(a.indexKeys.sort()).toEqual([`${alg}:${hex}`, spkiKeyOf(pem)].sort());
  });

  it('Ed25519 keys verify as Ed25519ph over a sha512 digest, as Rekor does', async () => {
    const { publicKey, privateKey } = keyPair('ed25519');
    const sig = await signEd25519ph(privateKey, ARTIFACT);
    const hex = digestOf('sha512', ARTIFACT).toString('hex');
    const a = admitEntry(hashedrekordEntry(sig, publicPem(publicKey), 'sha512', hex));
    expect(utf8(a.body)).toBe(expectedBody('sha512', hex, sig, publicPem(publicKey)));
  });

  it('Ed25519 with a sha256 digest is refused (Rekor allows only sha512 for Ed25519ph)', async () => {
    const { publicKey, privateKey } = keyPair('ed25519');
    const sig = await signEd25519ph(privateKey, ARTIFACT);
    const msg = expectCode(() => admitEntry(hashedrekordEntry(sig, publicPem(publicKey), 'sha256', digestOf('sha256', ARTIFACT).toString('hex'))), 'INVALID_ENTRY');
    expect(msg).toMatch(/sha512/);
  });

  it('pure Ed25519 over the artifact is not Ed25519ph and is refused', async () => {
    const { sign } = await import('node:crypto');
    const { publicKey, privateKey } = keyPair('ed25519');
    const sig = sign(null, digestOf('sha512', ARTIFACT), privateKey);
    expectCode(() => admitEntry(hashedrekordEntry(sig, publicPem(publicKey), 'sha512', digestOf('sha512', ARTIFACT).toString('hex'))), 'INVALID_ENTRY');
  });

  it('RSA-4096 is accepted; RSA-PSS is refused as Rekor (PKCS#1 v1.5 only) refuses it', () => {
    const { publicKey, privateKey } = keyPair('rsa4096');
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    admitEntry(hashedrekordEntry(signArtifact(privateKey, 'sha256', ARTIFACT), publicPem(publicKey), 'sha256', hex));
    const pss = signArtifact(privateKey, 'sha256', ARTIFACT, { pss: true });
    expectCode(() => admitEntry(hashedrekordEntry(pss, publicPem(publicKey), 'sha256', hex)), 'INVALID_ENTRY');
  });

  it('an ECDSA signature in IEEE P1363 form (r||s) is accepted, as sigstore-go accepts it', async () => {
    const { sign } = await import('node:crypto');
    const { publicKey, privateKey } = keyPair('p256');
    const sig = sign('sha256', ARTIFACT, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(sig.length).toBe(64);
    admitEntry(hashedrekordEntry(sig, publicPem(publicKey), 'sha256', digestOf('sha256', ARTIFACT).toString('hex')));
  });

  it('a high-S ECDSA signature is accepted (OpenSSL and Go do not normalize S)', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const sig = signArtifact(privateKey, 'sha256', ARTIFACT);
    const parsed = p256.Signature.fromBytes(sig, 'der');
    const n = p256.Point.Fn.ORDER;
    const high = parsed.s > n / 2n ? parsed : new p256.Signature(parsed.r, n - parsed.s);
    expect(high.s > n / 2n).toBe(true);
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    admitEntry(hashedrekordEntry(high.toBytes('der'), publicPem(publicKey), 'sha256', hex));
    const low = new p256.Signature(high.r, n - high.s);
    admitEntry(hashedrekordEntry(low.toBytes('der'), publicPem(publicKey), 'sha256', hex));
  });

  it('keeps the hash value as submitted (Rekor keeps upper case) but indexes it lowercased', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const sig = signArtifact(privateKey, 'sha256', ARTIFACT);
    const hex = digestOf('sha256', ARTIFACT).toString('hex').toUpperCase();
    const a = admitEntry(hashedrekordEntry(sig, publicPem(publicKey), 'sha256', hex));
    expect(utf8(a.body)).toContain(`"value":"${hex}"`);
    expect(a.indexKeys).toContain(`sha256:${hex.toLowerCase()}`);
  });

  it('re-encodes the key PEM as Go does and drops unknown fields, so equal entries give equal bodies', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const sig = signArtifact(privateKey, 'sha256', ARTIFACT);
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    const pem = publicPem(publicKey);
    const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const odd = `\r\n  -----BEGIN PUBLIC KEY----- \r\n${der.match(/.{1,40}/g)!.join(' \t\r\n')}\r\n-----END PUBLIC KEY-----  \n\n`;
    const plain = admitEntry(hashedrekordEntry(sig, pem, 'sha256', hex));
    const e = hashedrekordEntry(sig, odd, 'sha256', hex) as Record<string, any>;
    e.spec.extra = { x: 1 };
    e.spec.signature.publicKey.url = 'https://example.com/key';
    e.spec.data.content = 'aGVsbG8=';
    const again = admitEntry(e);
    expect(utf8(again.body)).toBe(utf8(plain.body));
  });
});

describe('hashedrekord with certificates', () => {
  const leafPem = fixture('leaf-p256.pem');
  const leafKey = fixtureKey('leaf-p256.key');

  it('stores the certificate PEM and indexes its key and subjectAltNames', () => {
    const sig = signArtifact(leafKey, 'sha256', ARTIFACT);
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    const a = admitEntry(hashedrekordEntry(sig, leafPem, 'sha256', hex));
    expect(utf8(a.body)).toBe(expectedBody('sha256', hex, sig, leafPem));
    const spki = new X509Certificate(leafPem).publicKey.export({ type: 'spki', format: 'der' });
    expect(a.indexKeys.sort()).toEqual(
      [
        `sha256:${hex}`,
        `key:${createHash('sha256').update(spki).digest('hex')}`,
        'email:alice@example.com',
        'subject:alice@example.com',
        'uri:https://github.com/Owner/repo/.github/workflows/ci.yml@refs/heads/main',
        'subject:https://github.com/owner/repo/.github/workflows/ci.yml@refs/heads/main',
        'subject:cairn.example',
        'subject:192.0.2.7',
        'subject:2001:db8::1',
      ].sort(),
    );
  });

  it('the certificate and its bare key give the same key search key', () => {
    const sig = signArtifact(leafKey, 'sha256', ARTIFACT);
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    const bare = publicPem(new X509Certificate(leafPem).publicKey);
    const k1 = admitEntry(hashedrekordEntry(sig, leafPem, 'sha256', hex)).indexKeys.find((k) => k.startsWith('key:'));
    const k2 = admitEntry(hashedrekordEntry(sig, bare, 'sha256', hex)).indexKeys.find((k) => k.startsWith('key:'));
    expect(k1).toBe(k2);
  });

  it('accepts a valid chain leaf-first and refuses it out of order', () => {
    const chain = fixture('chain.pem');
    const sig = signArtifact(fixtureKey('chain-leaf.key'), 'sha256', ARTIFACT);
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    const a = admitEntry(hashedrekordEntry(sig, chain, 'sha256', hex));
    expect(utf8(a.body)).toBe(expectedBody('sha256', hex, sig, chain));
    expect(a.indexKeys).toContain('email:bob@example.com');
    const swapped = fixture('chain-leaf.pem') + fixture('root.pem') + fixture('inter.pem');
    expectCode(() => admitEntry(hashedrekordEntry(sig, swapped, 'sha256', hex)), 'INVALID_ENTRY');
  });

  it('refuses a chain whose issuer is not a CA', () => {
    const sig = signArtifact(fixtureKey('chain-leaf.key'), 'sha256', ARTIFACT);
    const hex = digestOf('sha256', ARTIFACT).toString('hex');
    const notCa = fixture('chain-leaf.pem') + leafPem;
    expectCode(() => admitEntry(hashedrekordEntry(sig, notCa, 'sha256', hex)), 'INVALID_ENTRY');
  });
});

describe('hashedrekord refuses bad entries with INVALID_ENTRY', () => {
  const { publicKey, privateKey } = keyPair('p256');
  const sig = signArtifact(privateKey, 'sha256', ARTIFACT);
  const hex = digestOf('sha256', ARTIFACT).toString('hex');
  const pem = publicPem(publicKey);
  const good = () => hashedrekordEntry(sig, pem, 'sha256', hex) as Record<string, any>;
  const flipped = Buffer.from(sig);
  flipped[flipped.length - 5] ^= 1;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const compressed = createPublicKey(pem).export({ format: 'jwk' });
  const point = p256.Point.fromAffine({ x: BigInt('0x' + Buffer.from(compressed.x!, 'base64url').toString('hex')), y: BigInt('0x' + Buffer.from(compressed.y!, 'base64url').toString('hex')) });
  // SPKI with a compressed point: same prefix shape, 33-byte point (Go rejects these).
  const compressedSpki = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), point.toBytes(true)]);
  const pemOf = (type: string, bytes: Uint8Array) => `-----BEGIN ${type}-----\n${b64(bytes)}\n-----END ${type}-----\n`;
  const rsa1024 = publicPem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
  const cases: [string, (e: Record<string, any>) => void, RegExp][] = [
    ['wrong digest', (e) => (e.spec.data.hash.value = digestOf('sha256', new Uint8Array([1])).toString('hex')), /does not verify/],
    ['wrong key', (e) => (e.spec.signature.publicKey.content = b64(publicPem(keyPair('p384').publicKey))), /does not verify/],
    ['flipped signature bit', (e) => (e.spec.signature.content = b64(flipped)), /does not verify/],
    ['empty signature', (e) => (e.spec.signature.content = ''), /signature.content is missing/],
    ['signature not base64', (e) => (e.spec.signature.content = 'MEUC!!=='), /signature.content is not valid base64/],
    ['signature base64 with newline', (e) => (e.spec.signature.content = b64(sig).slice(0, 8) + '\n' + b64(sig).slice(8)), /base64/],
    ['signature non-canonical base64', (e) => (e.spec.signature.content = 'QR=='), /canonical/],
    ['signature too long', (e) => (e.spec.signature.content = b64(new Uint8Array(5000))), /longer than/],
    ['key not base64', (e) => (e.spec.signature.publicKey.content = '%%%'), /publicKey.content is not valid base64/],
    ['key not PEM', (e) => (e.spec.signature.publicKey.content = b64('hello')), /not PEM/],
    ['key PEM with garbage DER', (e) => (e.spec.signature.publicKey.content = b64(pemOf('PUBLIC KEY', new Uint8Array([0x30, 3, 1, 2, 3])))), /does not parse/],
    ['key PEM with trailing text', (e) => (e.spec.signature.publicKey.content = b64(pem + 'junk')), /not PEM/],
    ['certificate PEM holding garbage', (e) => (e.spec.signature.publicKey.content = b64(pemOf('CERTIFICATE', der))), /certificate does not parse/],
    ['private key PEM', (e) => (e.spec.signature.publicKey.content = b64(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)), /cannot handle PEM type PRIVATE KEY/],
    ['compressed EC point', (e) => (e.spec.signature.publicKey.content = b64(pemOf('PUBLIC KEY', compressedSpki))), /uncompressed point/],
    ['RSA-1024 key', (e) => (e.spec.signature.publicKey.content = b64(rsa1024)), /unsupported public key \(rsa 1024 bits\)/],
    ['RSA exponent above 2^31-1', (e) => (e.spec.signature.publicKey.content = b64(publicPem(createPublicKey(fixtureKey('rsa-2048-big-e.key'))))), /exponent 4294967291/],
    ['more than 10 PEM blocks', (e) => (e.spec.signature.publicKey.content = b64(fixture('leaf-p256.pem').repeat(11))), /more than 10/],
    ['hash algorithm sha1', (e) => (e.spec.data.hash.algorithm = 'sha1'), /algorithm must be one of/],
    ['hash algorithm upper case', (e) => (e.spec.data.hash.algorithm = 'SHA256'), /algorithm must be one of/],
    ['hash value short', (e) => (e.spec.data.hash.value = hex.slice(2)), /64 hex digits/],
    ['hash value not hex', (e) => (e.spec.data.hash.value = 'z' + hex.slice(1)), /not a hex string/],
    ['hash value a number', (e) => (e.spec.data.hash.value = 5), /hex digits/],
    ['sha384 with a sha256-length value', (e) => (e.spec.data.hash.algorithm = 'sha384'), /96 hex digits/],
    ['missing data', (e) => delete e.spec.data, /spec.data must be an object/],
    ['missing hash', (e) => (e.spec.data = {}), /spec.data.hash must be an object/],
    ['missing signature', (e) => delete e.spec.signature, /spec.signature must be an object/],
    ['missing publicKey', (e) => delete e.spec.signature.publicKey, /publicKey must be an object/],
    ['signature is a string', (e) => (e.spec.signature = 'abc'), /spec.signature must be an object/],
    ['spec is an array', (e) => (e.spec = []), /spec must be an object/],
    ['spec is null', (e) => (e.spec = null), /spec must be an object/],
    ['publicKey.content is a number', (e) => (e.spec.signature.publicKey.content = 12), /publicKey.content is missing/],
  ];
  it.each(cases)('%s', (_name, mutate, message) => {
    const e = good();
    mutate(e);
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(message);
  });

  it('the unmodified entry is admitted (the table above starts from a good entry)', () => {
    expect(admitEntry(good()).kind).toBe('hashedrekord/0.0.1');
  });
});

describe('admitEntry dispatch', () => {
  const e = () => hashedrekordEntry(new Uint8Array([1]), 'x', 'sha256', '00') as Record<string, unknown>;
  it.each([
    ['unknown kind', { ...e(), kind: 'rekord' }, 'UNSUPPORTED_KIND', /unsupported kind "rekord"; supported: hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.1\/0.0.2, cose 0.0.1/],
    ['unknown version', { ...e(), apiVersion: '0.0.2' }, 'UNSUPPORTED_KIND', /unsupported hashedrekord apiVersion "0.0.2"; supported:/],
    ['kind from the prototype', { ...e(), kind: '__proto__' }, 'UNSUPPORTED_KIND', /unsupported kind/],
    ['kind not a string', { ...e(), kind: 7 }, 'INVALID_ENTRY', /entry.kind/],
    ['missing apiVersion', { kind: 'hashedrekord', spec: {} }, 'INVALID_ENTRY', /entry.apiVersion/],
    ['missing spec', { kind: 'hashedrekord', apiVersion: '0.0.1' }, 'INVALID_ENTRY', /entry.spec is missing/],
    ['array', [], 'INVALID_ENTRY', /entry must be an object/],
    ['string', 'hashedrekord', 'INVALID_ENTRY', /entry must be an object/],
    ['null', null, 'INVALID_ENTRY', /entry must be an object/],
  ] as const)('%s', (_name, json, code, message) => {
    expect(expectCode(() => admitEntry(json), code)).toMatch(message);
  });
});

interface RekorVector {
  name: string;
  kind: string;
  canonicalizedBody: string;
  inclusionProof: { logIndex: string; treeSize: string; rootHash: string; hashes: string[] };
}

describe('real Rekor entries (sigstore-conformance bundles): byte-identical bodies and leaf hashes', () => {
  const vectors = (JSON.parse(fixture('rekor-entries.json')) as RekorVector[]).filter((v) => v.kind === 'hashedrekord');
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const body = Buffer.from(v.canonicalizedBody, 'base64');
    // Rekor accepts its own canonical body as a proposed entry; so must we, and give it back unchanged.
    const a = admitEntry(JSON.parse(body.toString('utf8')));
    expect(Buffer.from(a.body).equals(body)).toBe(true);
    expect(canonicalJson(JSON.parse(body.toString('utf8')))).toBe(body.toString('utf8'));
    const p = v.inclusionProof;
    const hashes = p.hashes.map((h) => Buffer.from(h, 'base64'));
    expect(() => verifyInclusion(leafHash(a.body), Number(p.logIndex), Number(p.treeSize), hashes, Buffer.from(p.rootHash, 'base64'))).not.toThrow();
  });
  it('has at least one certificate and one bare-key vector', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(2);
  });

  it('indexes the Fulcio certificate\'s URI SAN as OpenSSL reads it', () => {
    const v = vectors.find((x) => x.name === 'happy-path-v0.3')!;
    const spec = JSON.parse(Buffer.from(v.canonicalizedBody, 'base64').toString()).spec;
    const cert = new X509Certificate(Buffer.from(spec.signature.publicKey.content, 'base64'));
    const uri = /^URI:(.*)$/.exec(cert.subjectAltName ?? '')![1];
    const a = admitEntry({ apiVersion: '0.0.1', kind: 'hashedrekord', spec });
    expect(a.indexKeys).toContain(`uri:${uri}`);
    expect(a.indexKeys).toContain(`subject:${uri.toLowerCase()}`);
  });
});

describe('hashedrekord body bound', () => {
  it('refuses, as TOO_LARGE, an entry whose canonical body would not fit a tlog-tiles entry bundle (65535 bytes)', () => {
    // A valid self-signed certificate made large by 1,450 DNS SANs: its PEM stays under the
    // 64 KiB key bound, but base64 inside the body takes the body past 65,535 bytes.
    const dir = mkdtempSync(join(tmpdir(), 'cairn-bigcert-'));
    try {
      const sans = Array.from({ length: 1450 }, (_, i) => `DNS:host-${i}.long.example.com`).join(',');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/CN=big', '-addext', `subjectAltName=${sans}`], { stdio: 'ignore' });
      const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
      expect(pem.length).toBeGreaterThan(50_000);
      expect(pem.length).toBeLessThan(64 * 1024);
      const sig = signArtifact(createPrivateKey(readFileSync(join(dir, 'k.pem'))), 'sha256', ARTIFACT);
      expectCode(() => admitEntry(hashedrekordEntry(sig, pem, 'sha256', digestOf('sha256', ARTIFACT).toString('hex'))), 'TOO_LARGE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hashedrekord EC keys without a KeyObject', () => {
  for (const spec of ['p256', 'p384', 'p521'] as const) {
    it(`${spec}: a canonical key verifies through its point; the same key with a point off the curve is refused`, () => {
      const { privateKey, publicKey } = keyPair(spec);
      const alg = spec === 'p256' ? 'sha256' : spec === 'p384' ? 'sha384' : 'sha512';
      const sig = signArtifact(privateKey, alg, ARTIFACT);
      const digest = digestOf(alg, ARTIFACT).toString('hex');
      const good = admitEntry(hashedrekordEntry(sig, publicPem(publicKey), alg, digest));
      expect(good.kind).toBe('hashedrekord/0.0.1');
      // Flip the last byte of Y: same canonical DER shape, but no longer a point on the curve.
      const der = Buffer.from(publicKey.export({ type: 'spki', format: 'der' }));
      der[der.length - 1] ^= 0x01;
      const offCurve = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PUBLIC KEY-----\n`;
      expectCode(() => admitEntry(hashedrekordEntry(sig, offCurve, alg, digest)), 'INVALID_ENTRY');
    });
  }
});
