import { createHash, createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admitEntry, canonicalizeEntry, canonicalJson, preAuthEncoding } from '../../src/kinds/index.js';
import { b64, expectCode, fixture, fixtureKey, keyPair, publicPem, type KeySpec } from './helpers.js';

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const IN_TOTO = 'application/vnd.in-toto+json';
const STATEMENT = JSON.stringify({
  _type: 'https://in-toto.io/Statement/v0.1',
  subject: [{ name: 'a.txt', digest: { sha256: 'A0CFC71271D6E278E57CD332FF957C3F7043FDDA354C4CBB190A30D56EFA01BF' } }],
  predicateType: 'https://slsa.dev/provenance/v0.2',
  predicate: { materials: [{ uri: 'git+https://example.com/repo', digest: { sha1: '0123456789abcdef0123456789abcdef01234567' } }] },
});
const payload = new TextEncoder().encode(STATEMENT);

function spkiKey(pem: string): string {
  return `key:${createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

function signPae(key: KeyObject, payloadType: string, body: Uint8Array): Buffer {
  return sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', preAuthEncoding(payloadType, body), key);
}

interface Sig {
  sig: string; // the envelope's signature string
  publicKey: string; // PEM
  keyid?: string;
}

/** v2 returns a proposed intoto v0.0.2 entry the way sigstore-js builds one: payload, sig and key base64 of the envelope's strings. */
function v2(payloadType: string, body: Uint8Array, sigs: Sig[], hash = 'ab'.repeat(32)): Record<string, any> {
  return {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: {
          payloadType,
          payload: b64(b64(body)),
          signatures: sigs.map((s) => ({ ...(s.keyid !== undefined && { keyid: s.keyid }), sig: b64(s.sig), publicKey: b64(s.publicKey) })),
        },
        hash: { algorithm: 'sha256', value: hash },
      },
    },
  };
}

function signed(spec: KeySpec, body = payload, payloadType = IN_TOTO): Sig {
  const { privateKey, publicKey } = keyPair(spec);
  return { sig: b64(signPae(privateKey, payloadType, body)), publicKey: publicPem(publicKey) };
}

describe('intoto v0.0.2: a real public Rekor entry (sigstore-js tests/bundles/bundleV03-intoto.sigstore, logIndex 27244980)', () => {
  const v = JSON.parse(fixture('sigstore-js-intoto-v002.json'));
  const body = Buffer.from(v.canonicalizedBody, 'base64');
  const stored = JSON.parse(body.toString());
  const pem = Buffer.from(stored.spec.content.envelope.signatures[0].publicKey, 'base64').toString();
  // The proposal sigstore-js sent: the envelope, its certificate PEM and its envelope hash.
  const proposal = {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: { payloadType: v.envelope.payloadType, payload: b64(v.envelope.payload), signatures: [{ sig: b64(v.envelope.signatures[0].sig), publicKey: b64(pem) }] },
        hash: stored.spec.content.hash,
        payloadHash: { algorithm: 'sha256', value: sha256hex(Buffer.from(v.envelope.payload, 'base64')) },
      },
    },
  };

  it('stores byte for byte the body Rekor stored', () => {
    const a = admitEntry(proposal);
    expect(a.kind).toBe('intoto/0.0.2');
    expect(Buffer.from(a.body).equals(body)).toBe(true);
  });

  it('the stored hash is what sigstore-js computes over the envelope with its key (checks the vector)', () => {
    const dsse = { payloadType: v.envelope.payloadType, payload: v.envelope.payload, signatures: [{ sig: v.envelope.signatures[0].sig, publicKey: pem }] };
    expect(sha256hex(canonicalJson(dsse))).toBe(stored.spec.content.hash.value);
  });

  it('is indexed by the signer key and email, the payload hash and the statement subject digest', () => {
    const a = admitEntry(proposal);
    const cert = new X509Certificate(pem);
    expect(a.indexKeys).toEqual(
      expect.arrayContaining([
        spkiKey(cert.publicKey.export({ type: 'spki', format: 'pem' }) as string),
        'email:brian@dehamer.com',
        `sha256:${sha256hex(pem + '\n')}`, // Rekor's key index for intoto: sha256 of the canonical PEM (Go's pem.Encode ends in \n)
        `sha256:${stored.spec.content.payloadHash.value}`,
        'sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36',
      ]),
    );
  });

  it('the stored body, given as a search query, canonicalizes to itself without verification', () => {
    expect(Buffer.from(canonicalizeEntry(stored)).equals(body)).toBe(true);
  });
});

describe('intoto v0.0.2: Rekor CLI test vectors (sigstore/rekor cmd/rekor-cli/app/tests)', () => {
  const one = JSON.parse(fixture('rekor-intoto_dsse.json'));
  const multi = JSON.parse(fixture('rekor-intoto_multi_dsse.json'));
  const ecPem = fixture('rekor-intoto_dsse.pem');
  const rsaPem = fixture('rekor-intoto_multi_pub2.pem');
  const payloadOf = (e: any) => Buffer.from(e.payload, 'base64');

  it('one ECDSA signature (intoto_dsse.json): keyid "" dropped, payload hash recomputed', () => {
    const a = admitEntry(v2(one.payloadType, payloadOf(one), [{ sig: one.signatures[0].sig, publicKey: ecPem, keyid: '' }]));
    expect(utf8(a.body)).toBe(
      '{"apiVersion":"0.0.2","kind":"intoto","spec":{"content":{"envelope":{"payloadType":"application/vnd.in-toto+json","signatures":[' +
        `{"publicKey":"${b64(ecPem)}","sig":"${b64(one.signatures[0].sig)}"}]},` +
        `"hash":{"algorithm":"sha256","value":"${'ab'.repeat(32)}"},` +
        '"payloadHash":{"algorithm":"sha256","value":"7ebff188cca1e3300b2e21f4a40b5b5b8c7e8f786bb95ea0c957a2e516636d5d"}}}}',
    );
  });

  it('ECDSA and RSA signatures (intoto_multi_dsse.json), kept in envelope order with their keys', () => {
    const sigs = [
      { sig: multi.signatures[0].sig, publicKey: ecPem },
      { sig: multi.signatures[1].sig, publicKey: rsaPem },
    ];
    const a = admitEntry(v2(multi.payloadType, payloadOf(multi), sigs));
    const got = JSON.parse(utf8(a.body)).spec.content.envelope.signatures;
    expect(got).toEqual(sigs.map((s) => ({ publicKey: b64(s.publicKey), sig: b64(s.sig) })));
    expect(a.indexKeys).toEqual(expect.arrayContaining([spkiKey(ecPem), spkiKey(rsaPem)]));
    // Each key must verify a signature: with the RSA signature's key missing, refused.
    expectCode(() => admitEntry(v2(multi.payloadType, payloadOf(multi), [sigs[0], { ...sigs[1], publicKey: ecPem }])), 'INVALID_ENTRY');
  });
});

describe('intoto v0.0.2: admits what Rekor admits', () => {
  it.each<KeySpec>(['p256', 'p384', 'p521', 'ed25519', 'rsa2048'])('%s signer, keyid kept when not empty', (spec) => {
    const s = { ...signed(spec), keyid: 'k1' };
    const a = admitEntry(v2(IN_TOTO, payload, [s]));
    const body = JSON.parse(utf8(a.body));
    expect(body.spec.content.envelope.signatures).toEqual([{ keyid: 'k1', publicKey: b64(s.publicKey), sig: b64(s.sig) }]);
    expect(body.spec.content.payloadHash).toEqual({ algorithm: 'sha256', value: sha256hex(payload) });
    expect(a.indexKeys.sort()).toEqual(
      [
        spkiKey(s.publicKey),
        `sha256:${sha256hex(s.publicKey)}`,
        `sha256:${sha256hex(payload)}`,
        'sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf',
        'sha1:0123456789abcdef0123456789abcdef01234567',
      ].sort(),
    );
  });

  it('a certificate signer is indexed by its subjectAltNames', () => {
    const leaf = fixture('leaf-p256.pem');
    const sig = b64(signPae(fixtureKey('leaf-p256.key'), IN_TOTO, payload));
    const a = admitEntry(v2(IN_TOTO, payload, [{ sig, publicKey: leaf }]));
    expect(a.indexKeys).toEqual(expect.arrayContaining(['email:alice@example.com', 'uri:https://github.com/Owner/repo/.github/workflows/ci.yml@refs/heads/main']));
  });

  it('not in-toto: no statement digests indexed', () => {
    const s = signed('p256', payload, 'text/plain');
    expect(admitEntry(v2('text/plain', payload, [s])).indexKeys.some((k) => k.startsWith('sha1:'))).toBe(false);
  });

  it('a URL-safe envelope signature string is accepted and stored as given', () => {
    const { privateKey, publicKey } = keyPair('rsa2048');
    let body = payload;
    let sig = signPae(privateKey, IN_TOTO, body);
    for (let i = 0; !/[-_]/.test(sig.toString('base64url')); i++) {
      body = new TextEncoder().encode(STATEMENT + ' '.repeat(i));
      sig = signPae(privateKey, IN_TOTO, body);
    }
    const text = sig.toString('base64url') + '='.repeat((4 - (sig.toString('base64url').length % 4)) % 4);
    const a = admitEntry(v2(IN_TOTO, body, [{ sig: text, publicKey: publicPem(publicKey) }]));
    expect(JSON.parse(utf8(a.body)).spec.content.envelope.signatures[0].sig).toBe(b64(text));
  });

  it('unknown fields are dropped, not refused (the intoto schemas do not forbid them, and Rekor decodes known fields only)', () => {
    const e = v2(IN_TOTO, payload, [signed('p256')]);
    const plain = utf8(admitEntry(e).body);
    e.spec.extra = 1;
    e.spec.content.extra = { a: 1 };
    e.spec.content.envelope.extra = 'x';
    e.spec.content.envelope.signatures[0].extra = true;
    expect(utf8(admitEntry(e).body)).toBe(plain);
  });

  it('a submitted payloadHash equal to the payload\'s is accepted', () => {
    const e = v2(IN_TOTO, payload, [signed('p256')]);
    e.spec.content.payloadHash = { algorithm: 'sha256', value: sha256hex(payload).toUpperCase() };
    expect(JSON.parse(utf8(admitEntry(e).body)).spec.content.payloadHash.value).toBe(sha256hex(payload));
  });
});

describe('intoto v0.0.2: refuses bad input with INVALID_ENTRY', () => {
  const good = () => v2(IN_TOTO, payload, [signed('p256')]);
  const other = signed('p384');
  type Case = [string, (e: Record<string, any>) => void, RegExp];
  const cases: Case[] = [
    ['spec not an object', (e) => (e.spec = 'x'), /spec must be an object/],
    ['content missing', (e) => delete e.spec.content, /spec.content must be an object/],
    ['envelope a string', (e) => (e.spec.content.envelope = 'x'), /envelope must be an object/],
    ['payloadType missing', (e) => delete e.spec.content.envelope.payloadType, /payloadType must be a non-empty string/],
    ['payloadType empty', (e) => (e.spec.content.envelope.payloadType = ''), /payloadType must be a non-empty string/],
    ['payloadType a number', (e) => (e.spec.content.envelope.payloadType = 1), /payloadType/],
    ['payload missing', (e) => delete e.spec.content.envelope.payload, /payload is missing/],
    ['payload a number', (e) => (e.spec.content.envelope.payload = 7), /payload is missing/],
    ['payload not base64', (e) => (e.spec.content.envelope.payload = 'not base64!'), /payload is not valid base64/],
    ['payload single base64 (not double)', (e) => (e.spec.content.envelope.payload = b64(payload)), /envelope payload inside\) is not valid base64/],
    ['signatures missing', (e) => delete e.spec.content.envelope.signatures, /non-empty array/],
    ['signatures empty', (e) => (e.spec.content.envelope.signatures = []), /non-empty array/],
    ['signature null', (e) => (e.spec.content.envelope.signatures = [null]), /signatures\[0\] must be an object/],
    ['17 signatures', (e) => (e.spec.content.envelope.signatures = Array(17).fill(e.spec.content.envelope.signatures[0])), /more than 16/],
    ['sig missing', (e) => delete e.spec.content.envelope.signatures[0].sig, /sig is missing/],
    ['sig not base64', (e) => (e.spec.content.envelope.signatures[0].sig = '%%%%'), /sig is not valid base64/],
    ['sig single base64', (e) => (e.spec.content.envelope.signatures[0].sig = b64(Buffer.from(e.spec.content.envelope.signatures[0].sig, 'base64').toString('latin1') + '\u0001')), /sig/],
    ['keyid a number', (e) => (e.spec.content.envelope.signatures[0].keyid = 5), /keyid must be a string/],
    ['publicKey missing', (e) => delete e.spec.content.envelope.signatures[0].publicKey, /publicKey is missing/],
    ['publicKey not PEM', (e) => (e.spec.content.envelope.signatures[0].publicKey = b64('hello')), /not PEM/],
    ['publicKey another key', (e) => (e.spec.content.envelope.signatures[0].publicKey = b64(other.publicKey)), /verifies no signature/],
    ['hash missing', (e) => delete e.spec.content.hash, /spec.content.hash must be an object/],
    ['hash sha512', (e) => (e.spec.content.hash.algorithm = 'sha512'), /hash.algorithm must be "sha256"/],
    ['hash value not hex', (e) => (e.spec.content.hash.value = 'zz'.repeat(32)), /hash.value must be 64 hex digits/],
    ['payloadHash mismatched', (e) => (e.spec.content.payloadHash = { algorithm: 'sha256', value: '00'.repeat(32) }), /payloadHash does not match/],
    ['payloadHash sha1', (e) => (e.spec.content.payloadHash = { algorithm: 'sha1', value: '00'.repeat(20) }), /payloadHash.algorithm/],
  ];
  it.each(cases)('%s', (_name, mutate, message) => {
    const e = good();
    mutate(e);
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(message);
  });

  it('a signature over another payload does not verify', () => {
    const e = v2(IN_TOTO, payload, [signed('p256', new TextEncoder().encode('other'))]);
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(/verifies no signature/);
  });

  it('a signature over another payloadType does not verify (the PAE binds it)', () => {
    const e = v2(IN_TOTO, payload, [signed('p256', payload, 'text/plain')]);
    expectCode(() => admitEntry(e), 'INVALID_ENTRY');
  });

  it('one key signing twice: its first match claims one signature, the other is unclaimed (as Rekor)', () => {
    const { privateKey, publicKey } = keyPair('p256');
    const pem = publicPem(publicKey);
    const s1 = b64(signPae(privateKey, IN_TOTO, payload));
    const s2 = b64(signPae(privateKey, IN_TOTO, payload));
    const e = v2(IN_TOTO, payload, [{ sig: s1, publicKey: pem }, { sig: s2, publicKey: pem }]);
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(/every envelope signature must be verified/);
  });

  it('a payload over 1 MiB is refused before any signature check', () => {
    const big = new Uint8Array(1024 * 1024 + 1);
    big[0] = 1;
    const e = v2(IN_TOTO, big, [{ sig: 'AAAA', publicKey: signed('p256').publicKey }]);
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(/longer than/);
  });

  it('a stored-form query missing its hashes is refused', () => {
    const stored = JSON.parse(utf8(admitEntry(good()).body));
    delete stored.spec.content.payloadHash;
    expect(expectCode(() => canonicalizeEntry(stored), 'INVALID_ENTRY')).toMatch(/payloadHash must be an object/);
  });
});

describe('intoto v0.0.1 (cosign attest before dsse)', () => {
  const env = fixture('rekor-intoto_dsse.json');
  const multi = fixture('rekor-intoto_multi_dsse.json');
  const ecPem = fixture('rekor-intoto_dsse.pem');
  const rsaPem = fixture('rekor-intoto_multi_pub2.pem');
  const v1 = (envelope: unknown, pem: string): Record<string, any> => ({ apiVersion: '0.0.1', kind: 'intoto', spec: { content: { envelope }, publicKey: b64(pem) } });
  const canonicalPem = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;

  it('Rekor CLI vector intoto_dsse.json: hashes of the envelope text and payload, key re-encoded', () => {
    const a = admitEntry(v1(env, ecPem));
    expect(a.kind).toBe('intoto/0.0.1');
    // sha256 of the file and of its decoded payload, computed by hand (sha256sum, base64 -d).
    expect(utf8(a.body)).toBe(
      '{"apiVersion":"0.0.1","kind":"intoto","spec":{"content":{' +
        '"hash":{"algorithm":"sha256","value":"7fa2e20d48a4c5582c7de504622dc2ea2bdc58f28cd871753c3a345c737eba5e"},' +
        '"payloadHash":{"algorithm":"sha256","value":"7ebff188cca1e3300b2e21f4a40b5b5b8c7e8f786bb95ea0c957a2e516636d5d"}},' +
        `"publicKey":"${b64(canonicalPem(ecPem))}"}}`,
    );
    expect(a.indexKeys).toEqual(
      expect.arrayContaining(['sha256:7fa2e20d48a4c5582c7de504622dc2ea2bdc58f28cd871753c3a345c737eba5e', 'sha256:7ebff188cca1e3300b2e21f4a40b5b5b8c7e8f786bb95ea0c957a2e516636d5d', spkiKey(ecPem)]),
    );
  });

  it('one key verifying any one signature of a multi-signed envelope is enough', () => {
    expect(admitEntry(v1(multi, ecPem)).kind).toBe('intoto/0.0.1');
    expect(admitEntry(v1(multi, rsaPem)).kind).toBe('intoto/0.0.1');
  });

  it('a real public Rekor body (logIndex 3059470, cosign attest; from sigstore/policy-controller tests) canonicalizes to itself', () => {
    const v = JSON.parse(fixture('policy-controller-intoto-v001.json'));
    const body = Buffer.from(v.canonicalizedBody, 'base64');
    const stored = JSON.parse(body.toString());
    expect(stored.spec.publicKey).toMatch(/^LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t/); // a certificate, re-encoded as Rekor does
    expect(Buffer.from(canonicalizeEntry(stored)).equals(body)).toBe(true);
  });

  it('client-sent hashes are ignored, the stored form re-canonicalizes with the key re-encoded', () => {
    const e = v1(env, ecPem);
    e.spec.content.hash = { algorithm: 'sha256', value: 'junk' };
    const a = admitEntry(e);
    const stored = JSON.parse(utf8(a.body));
    expect(stored.spec.content.hash.value).toBe(sha256hex(env));
    stored.spec.publicKey = b64(`\n${ecPem}\n`); // whitespace around the PEM is not canonical
    expect(utf8(canonicalizeEntry(stored))).toBe(utf8(a.body));
  });

  type Case = [string, Record<string, any>, RegExp];
  const cases: Case[] = [
    ['wrong key', v1(env, rsaPem), /verifies no signature/],
    ['envelope not JSON', v1('{', ecPem), /not JSON/],
    ['envelope a number', v1(5, ecPem), /envelope must be a non-empty string/],
    ['no signatures', v1(JSON.stringify({ ...JSON.parse(env), signatures: [] }), ecPem), /non-empty array/],
    ['payload not base64', v1(JSON.stringify({ ...JSON.parse(env), payload: '@@' }), ecPem), /payload is not valid base64/],
    ['publicKey missing', { apiVersion: '0.0.1', kind: 'intoto', spec: { content: { envelope: env } } }, /publicKey is missing/],
    ['hash sha1', { ...v1(env, ecPem), spec: { ...v1(env, ecPem).spec, content: { envelope: env, hash: { algorithm: 'sha1', value: 'x' } } } }, /hash.algorithm/],
  ];
  it.each(cases)('refuses: %s', (_n, e, message) => {
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(message);
  });
});
