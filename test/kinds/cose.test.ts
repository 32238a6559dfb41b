import { constants, createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { admitEntry, canonicalizeEntry } from '../../src/kinds/index.js';
import { sigStructure } from '../../src/kinds/cose.js';
import { b64, expectCode, fixture, fixtureKey, FIXTURES, keyPair, publicPem, type KeySpec } from './helpers.js';

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const enc = new Encoder({ mapsAsObjects: false, useRecords: false });
const spkiKey = (pem: string) => `key:${createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('hex')}`;
const canonicalPem = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;

/** sign1 returns a tagged COSE_Sign1 message (tag 18 = 0xd2) over the given parts. */
function sign1(protectedBytes: Uint8Array, unprotected: Map<unknown, unknown>, payload: Uint8Array | null, sig: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0xd2]), enc.encode([Buffer.from(protectedBytes), unprotected, payload === null ? null : Buffer.from(payload), Buffer.from(sig)])]);
}

/** signCose signs the Sig_structure as ES256 (P-256, r||s) or PS256 (RSA-PSS, 32-byte salt). */
function signCose(key: KeyObject, protectedBytes: Uint8Array, payload: Uint8Array, aad = new Uint8Array(0), saltLength = 32): Buffer {
  const tbs = sigStructure(protectedBytes, aad, payload);
  if (key.asymmetricKeyType === 'rsa') return sign('sha256', tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  return sign('sha256', tbs, { key, dsaEncoding: 'ieee-p1363' });
}

function coseEntry(message: Uint8Array, pem: string, data: Record<string, unknown> = {}): Record<string, any> {
  return { apiVersion: '0.0.1', kind: 'cose', spec: { message: b64(message), publicKey: b64(pem), data } };
}

const ES256 = enc.encode(new Map([[1, -7]]));
const PS256 = enc.encode(new Map([[1, -37]]));
const payload = new TextEncoder().encode('hello cose');

function good(spec: KeySpec = 'p256', prot = spec.startsWith('rsa') ? PS256 : ES256, body = payload) {
  const { privateKey, publicKey } = keyPair(spec);
  return { message: sign1(prot, new Map(), body, signCose(privateKey, prot, body)), pem: publicPem(publicKey) };
}

describe('cose: the Rekor CLI test vector (sigstore/rekor cmd/rekor-cli/app/tests/test_cose.cbor, aad "test aad")', () => {
  const message = readFileSync(join(FIXTURES, 'rekor-test_cose.cbor'));
  const pem = fixture('rekor-test_cose.pub');
  const entry = coseEntry(message, pem, { aad: b64('test aad') });

  it('stores the body Rekor stores', () => {
    const a = admitEntry(entry);
    expect(a.kind).toBe('cose/0.0.1');
    // Hashes computed by hand: sha256sum of the file and of "hello world", its payload; the
    // signature checked with openssl over the Sig_structure written out byte by byte.
    expect(utf8(a.body)).toBe(
      '{"apiVersion":"0.0.1","kind":"cose","spec":{"data":{' +
        '"envelopeHash":{"algorithm":"sha256","value":"8891a9e353db7c489b77148b054555fba456086dad01da1a195f94f0fb94d398"},' +
        '"payloadHash":{"algorithm":"sha256","value":"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"}},' +
        `"publicKey":"${b64(canonicalPem(pem))}"}}`,
    );
    expect(a.indexKeys.sort()).toEqual(
      [spkiKey(pem), 'sha256:8891a9e353db7c489b77148b054555fba456086dad01da1a195f94f0fb94d398', 'sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'].sort(),
    );
  });

  it('the Sig_structure is the one RFC 9052 §4.4 defines, byte by byte', () => {
    const protectedBytes = message.subarray(3, 6); // d2 84 43 | a1 01 26 | …
    expect(Buffer.from(sigStructure(protectedBytes, Buffer.from('test aad'), Buffer.from('hello world'))).toString('hex')).toBe(
      '84' + '6a' + Buffer.from('Signature1').toString('hex') + '43a10126' + '48' + Buffer.from('test aad').toString('hex') + '4b' + Buffer.from('hello world').toString('hex'),
    );
  });

  it('without its aad the signature does not verify (as Rekor: "valid cose, missing aad" fails)', () => {
    expect(expectCode(() => admitEntry(coseEntry(message, pem)), 'INVALID_ENTRY')).toMatch(/signature does not verify/);
  });

  it('with another aad it does not verify', () => {
    expectCode(() => admitEntry(coseEntry(message, pem, { aad: b64('other aad') })), 'INVALID_ENTRY');
  });

  it('cannot be canonicalized from its stored form (Rekor needs the message too)', () => {
    const stored = JSON.parse(utf8(admitEntry(entry).body));
    expect(expectCode(() => canonicalizeEntry(stored), 'INVALID_ENTRY')).toMatch(/spec.message is missing/);
  });
});

describe('cose: admits what Rekor admits', () => {
  it.each<KeySpec>(['p256', 'rsa2048', 'rsa3072', 'rsa4096'])('%s key', (spec) => {
    const { message, pem } = good(spec);
    const a = admitEntry(coseEntry(message, pem));
    const body = JSON.parse(utf8(a.body));
    expect(body.spec.data.envelopeHash.value).toBe(sha256hex(message));
    expect(body.spec.data.payloadHash.value).toBe(sha256hex(payload));
    expect(body.spec.publicKey).toBe(b64(pem));
  });

  it('a certificate key is stored as its PEM and indexed by its subjectAltNames', () => {
    const leaf = fixture('leaf-p256.pem');
    const message = sign1(ES256, new Map(), payload, signCose(fixtureKey('leaf-p256.key'), ES256, payload));
    const a = admitEntry(coseEntry(message, leaf));
    expect(JSON.parse(utf8(a.body)).spec.publicKey).toBe(b64(leaf));
    expect(a.indexKeys).toEqual(expect.arrayContaining(['email:alice@example.com']));
  });

  it('an in-toto payload (content type in the protected header) is indexed by its subject digests only', () => {
    const statement = new TextEncoder().encode(
      JSON.stringify({
        subject: [{ name: 'x', digest: { sha256: 'AB'.repeat(32) } }],
        predicate: { materials: [{ digest: { sha1: '12'.repeat(20) } }] },
      }),
    );
    const prot = enc.encode(new Map<number, unknown>([[1, -7], [3, 'application/vnd.in-toto+json']]));
    const { message, pem } = good('p256', prot, statement);
    const keys = admitEntry(coseEntry(message, pem)).indexKeys;
    expect(keys).toContain(`sha256:${'ab'.repeat(32)}`);
    expect(keys).not.toContain(`sha1:${'12'.repeat(20)}`);
  });

  it('no alg in the protected header is accepted when aad is given (go-cose rule)', () => {
    const { privateKey, publicKey } = keyPair('p256');
    const prot = enc.encode(new Map([[4, Buffer.from('kid')]]));
    const aad = Buffer.from('context');
    const message = sign1(prot, new Map(), payload, signCose(privateKey, prot, payload, aad));
    expect(admitEntry(coseEntry(message, publicPem(publicKey), { aad: b64(aad) })).kind).toBe('cose/0.0.1');
    expect(expectCode(() => admitEntry(coseEntry(sign1(prot, new Map(), payload, signCose(privateKey, prot, payload)), publicPem(publicKey))), 'INVALID_ENTRY')).toMatch(/no alg/);
  });

  it('unknown fields are dropped, not refused (the cose schema does not forbid them)', () => {
    const { message, pem } = good();
    const plain = utf8(admitEntry(coseEntry(message, pem)).body);
    const e = coseEntry(message, pem, { extra: 1 });
    e.spec.extra = 'x';
    expect(utf8(admitEntry(e).body)).toBe(plain);
  });

  it('client-sent hashes are checked for shape and ignored', () => {
    const { message, pem } = good();
    const a = admitEntry(coseEntry(message, pem, { payloadHash: { algorithm: 'sha256', value: 'junk' } }));
    expect(JSON.parse(utf8(a.body)).spec.data.payloadHash.value).toBe(sha256hex(payload));
  });
});

describe('cose: refuses bad input with INVALID_ENTRY', () => {
  const { privateKey, publicKey } = keyPair('p256');
  const pem = publicPem(publicKey);
  const sig = signCose(privateKey, ES256, payload);
  const msg = sign1(ES256, new Map(), payload, sig);
  const flipped = Buffer.from(sig);
  flipped[10] ^= 1;
  const der = sign('sha256', sigStructure(ES256, new Uint8Array(0), payload), privateKey); // DER, not r||s
  const dupLabel = Buffer.from('a20126' + '0126', 'hex'); // {1: -7, 1: -7}
  type Case = [string, Record<string, any>, RegExp];
  const cases: Case[] = [
    ['spec not an object', { apiVersion: '0.0.1', kind: 'cose', spec: [] }, /spec must be an object/],
    ['publicKey missing', { ...coseEntry(msg, pem), spec: { message: b64(msg), data: {} } }, /publicKey is missing/],
    ['publicKey not PEM', coseEntry(msg, 'nope'), /not PEM/],
    ['message missing', { ...coseEntry(msg, pem), spec: { publicKey: b64(pem), data: {} } }, /message is missing/],
    ['message a number', { ...coseEntry(msg, pem), spec: { message: 5, publicKey: b64(pem), data: {} } }, /message is missing/],
    ['message not base64', { ...coseEntry(msg, pem), spec: { message: '@@@@', publicKey: b64(pem), data: {} } }, /message is not valid base64/],
    ['data missing', { ...coseEntry(msg, pem), spec: { message: b64(msg), publicKey: b64(pem) } }, /spec.data must be an object/],
    ['aad not base64', coseEntry(msg, pem, { aad: '!!' }), /aad is not valid base64/],
    ['payloadHash sha512', coseEntry(msg, pem, { payloadHash: { algorithm: 'sha512', value: 'x' } }), /payloadHash must be/],
    ['untagged message', coseEntry(msg.subarray(1), pem), /not a tagged COSE_Sign1/],
    ['COSE_Sign (tag 98)', coseEntry(Buffer.concat([Buffer.from([0xd8, 0x62]), msg.subarray(1)]), pem), /not a tagged COSE_Sign1/],
    ['array of three', coseEntry(Buffer.concat([Buffer.from([0xd2]), enc.encode([ES256, new Map(), payload])]), pem), /not a tagged COSE_Sign1|array of four/],
    ['not CBOR after the tag', coseEntry(Buffer.from('d284ff', 'hex'), pem), /not well-formed CBOR/],
    ['truncated', coseEntry(msg.subarray(0, msg.length - 5), pem), /not well-formed CBOR/],
    ['trailing bytes', coseEntry(Buffer.concat([msg, Buffer.from([0])]), pem), /not well-formed CBOR/],
    ['protected header a map, not a byte string', coseEntry(Buffer.concat([Buffer.from([0xd2]), enc.encode([new Map([[1, -7]]), new Map(), payload, sig])]), pem), /protected header must be a byte string/],
    ['protected header not a map', coseEntry(sign1(Buffer.from([0x01]), new Map(), payload, sig), pem), /definite-length map/],
    ['protected header duplicate label', coseEntry(sign1(dupLabel, new Map(), payload, signCose(privateKey, dupLabel, payload)), pem), /duplicate label/],
    ['unprotected header not a map', coseEntry(Buffer.concat([Buffer.from([0xd2]), enc.encode([ES256, [], payload, sig])]), pem), /unprotected header must be a map/],
    ['crit in the unprotected header', coseEntry(sign1(ES256, new Map([[2, [1]]]), payload, sig), pem), /crit is only allowed/],
    ['content type not type/subtype', coseEntry(sign1(enc.encode(new Map<number, unknown>([[1, -7], [3, 'text']])), new Map(), payload, sig), pem), /content type/],
    ['kid not a byte string', coseEntry(sign1(ES256, new Map([[4, 'kid']]), payload, sig), pem), /label 4 must be a byte string/],
    ['detached payload', coseEntry(sign1(ES256, new Map(), null, sig), pem), /detached/],
    ['empty signature', coseEntry(sign1(ES256, new Map(), payload, new Uint8Array(0)), pem), /signature must be a non-empty byte string/],
    ['signature with a flipped bit', coseEntry(sign1(ES256, new Map(), payload, flipped), pem), /signature does not verify/],
    ['DER ECDSA signature (COSE wants r||s)', coseEntry(sign1(ES256, new Map(), payload, der), pem), /signature does not verify/],
    ['header alg PS256 with a P-256 key', coseEntry(sign1(PS256, new Map(), payload, sig), pem), /alg -37 does not match the key/],
    ['header alg as text', coseEntry(sign1(enc.encode(new Map([[1, 'ES256']])), new Map(), payload, sig), pem), /unsupported alg/],
    ['P-384 key', coseEntry(msg, publicPem(keyPair('p384').publicKey)), /ECDSA P-256 \(ES256\) or RSA \(PS256\)/],
    ['Ed25519 key', coseEntry(msg, publicPem(keyPair('ed25519').publicKey)), /ECDSA P-256 \(ES256\) or RSA \(PS256\)/],
    ['message over 1 MiB', coseEntry(Buffer.alloc(1024 * 1024 + 3), pem), /longer than/],
  ];
  it.each(cases)('%s', (_name, e, message) => {
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(message);
  });

  it('an RSA-PSS signature with a salt other than 32 bytes is refused (RFC 8230, as go-cose)', () => {
    const rsa = keyPair('rsa2048');
    const m = sign1(PS256, new Map(), payload, signCose(rsa.privateKey, PS256, payload, new Uint8Array(0), 20));
    expect(expectCode(() => admitEntry(coseEntry(m, publicPem(rsa.publicKey))), 'INVALID_ENTRY')).toMatch(/signature does not verify/);
  });

  it('a signature by another P-256 key is refused', () => {
    const other = sign1(ES256, new Map(), payload, signCose(fixtureKey('leaf-p256.key'), ES256, payload));
    expect(expectCode(() => admitEntry(coseEntry(other, pem)), 'INVALID_ENTRY')).toMatch(/signature does not verify/);
  });
});
