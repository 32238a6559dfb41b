import { createHash, createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admitEntry, canonicalizeEntry, preAuthEncoding } from '../../src/kinds/index.js';
import { leafHash, verifyInclusion } from '../../src/merkle/index.js';
import { b64, expectCode, fixture, fixtureKey, keyPair, publicPem, type KeySpec } from './helpers.js';

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const IN_TOTO = 'application/vnd.in-toto+json';
const STATEMENT = JSON.stringify({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'a.txt', digest: { sha256: 'A0CFC71271D6E278E57CD332FF957C3F7043FDDA354C4CBB190A30D56EFA01BF', md5: 'x' } }],
  predicateType: 'https://slsa.dev/provenance/v0.2',
  predicate: { materials: [{ uri: 'git+https://example.com/repo', digest: { sha1: '0123456789abcdef0123456789abcdef01234567' } }] },
});

/** signPae signs the DSSE PAE the way DSSE signers do: hashing with SHA-256, or pure Ed25519. */
function signPae(key: KeyObject, payloadType: string, payload: Uint8Array): Buffer {
  const pae = preAuthEncoding(payloadType, payload);
  return sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', pae, key);
}

function envelope(payloadType: string, payload: Uint8Array, sigs: Uint8Array[], encode = b64): string {
  return JSON.stringify({ payload: encode(payload), payloadType, signatures: sigs.map((s) => ({ keyid: '', sig: b64(s) })) });
}

function dsseEntry(env: string, verifiers: string[]): Record<string, any> {
  return { apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope: env, verifiers: verifiers.map((v) => b64(v)) } } };
}

function spkiKey(pem: string): string {
  return `key:${createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

describe('dsse: admits what Rekor admits, stores what Rekor stores', () => {
  const payload = new TextEncoder().encode(STATEMENT);
  it.each<KeySpec>(['p256', 'p384', 'p521', 'ed25519', 'rsa2048'])('%s verifier', (spec) => {
    const { publicKey, privateKey } = keyPair(spec);
    const sig = signPae(privateKey, IN_TOTO, payload);
    const env = envelope(IN_TOTO, payload, [sig]);
    const pem = publicPem(publicKey);
    const a = admitEntry(dsseEntry(env, [pem]));
    expect(a.kind).toBe('dsse/0.0.1');
    expect(utf8(a.body)).toBe(
      `{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":"${sha256hex(env)}"},` +
        `"payloadHash":{"algorithm":"sha256","value":"${sha256hex(payload)}"},` +
        `"signatures":[{"signature":"${b64(sig)}","verifier":"${b64(pem)}"}]}}`,
    );
    expect(a.indexKeys.sort()).toEqual(
      [
        `sha256:${sha256hex(payload)}`,
        `sha256:${sha256hex(env)}`,
        spkiKey(pem),
        'sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf',
        'sha1:0123456789abcdef0123456789abcdef01234567',
      ].sort(),
    );
  });

  it('two signers: signatures sorted by their string, each with its own verifier, whatever the order given', () => {
    const a = keyPair('p256');
    const b = keyPair('ed25519');
    const payload2 = new TextEncoder().encode('hello');
    const sa = signPae(a.privateKey, 'text/plain', payload2);
    const sb = signPae(b.privateKey, 'text/plain', payload2);
    const env = envelope('text/plain', payload2, [sa, sb]);
    const one = admitEntry(dsseEntry(env, [publicPem(a.publicKey), publicPem(b.publicKey)]));
    const two = admitEntry(dsseEntry(env, [publicPem(b.publicKey), publicPem(a.publicKey)]));
    expect(utf8(one.body)).toBe(utf8(two.body));
    const sigs = JSON.parse(utf8(one.body)).spec.signatures as { signature: string; verifier: string }[];
    expect(sigs.map((s) => s.signature)).toEqual([b64(sa), b64(sb)].sort());
    for (const s of sigs) expect(s.verifier).toBe(b64(publicPem(s.signature === b64(sa) ? a.publicKey : b.publicKey)));
    expect(one.indexKeys).toContain(spkiKey(publicPem(a.publicKey)));
    expect(one.indexKeys).toContain(spkiKey(publicPem(b.publicKey)));
    expect(one.indexKeys.some((k) => k.startsWith('sha1:'))).toBe(false); // not in-toto: no subject keys
  });

  it('a certificate verifier is stored as certificate PEM and indexed by key and subjectAltNames', () => {
    const leaf = fixture('leaf-p256.pem');
    const sig = signPae(fixtureKey('leaf-p256.key'), IN_TOTO, payload);
    const a = admitEntry(dsseEntry(envelope(IN_TOTO, payload, [sig]), [leaf]));
    expect(JSON.parse(utf8(a.body)).spec.signatures[0].verifier).toBe(b64(leaf));
    expect(a.indexKeys).toContain(spkiKey(new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'pem' }) as string));
    expect(a.indexKeys).toContain('email:alice@example.com');
    expect(a.indexKeys).toContain('uri:https://github.com/Owner/repo/.github/workflows/ci.yml@refs/heads/main');
  });

  it('verifiers after every signature is claimed are not read (as in Rekor), so junk there is harmless', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const env = envelope('text/plain', payload, [signPae(privateKey, 'text/plain', payload)]);
    const e = dsseEntry(env, [publicPem(publicKey)]);
    e.spec.proposedContent.verifiers.push('not base64!');
    expect(utf8(admitEntry(e).body)).toBe(utf8(admitEntry(dsseEntry(env, [publicPem(publicKey)])).body));
  });

  it('a verifier that verifies no signature is refused even if others cover them all (Rekor order)', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const env = envelope('text/plain', payload, [signPae(privateKey, 'text/plain', payload)]);
    expect(expectCode(() => admitEntry(dsseEntry(env, [publicPem(keyPair('p384').publicKey), publicPem(publicKey)])), 'INVALID_ENTRY')).toMatch(
      /verifiers\[0\] verifies no signature/,
    );
  });

  it('one key signing twice is refused, as Rekor refuses it (a verifier claims one signature)', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const s1 = signPae(privateKey, 'text/plain', payload);
    const s2 = signPae(privateKey, 'text/plain', payload); // ECDSA: a different signature
    expect(b64(s1)).not.toBe(b64(s2));
    const env = envelope('text/plain', payload, [s1, s2]);
    expectCode(() => admitEntry(dsseEntry(env, [publicPem(publicKey)])), 'INVALID_ENTRY');
    expectCode(() => admitEntry(dsseEntry(env, [publicPem(publicKey), publicPem(publicKey)])), 'INVALID_ENTRY');
  });

  it('an IEEE P1363 (r||s) ECDSA signature verifies, as in Rekor', () => {
    const { publicKey, privateKey } = keyPair('p384');
    const sig = sign('sha256', preAuthEncoding('text/plain', payload), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(sig.length).toBe(96);
    const a = admitEntry(dsseEntry(envelope('text/plain', payload, [sig]), [publicPem(publicKey)]));
    expect(JSON.parse(utf8(a.body)).spec.signatures[0].signature).toBe(b64(sig));
  });

  it('the same signature string twice is one stored signature', () => {
    const { publicKey, privateKey } = keyPair('ed25519');
    const s = signPae(privateKey, 'text/plain', payload);
    const a = admitEntry(dsseEntry(envelope('text/plain', payload, [s, s]), [publicPem(publicKey)]));
    expect(JSON.parse(utf8(a.body)).spec.signatures).toHaveLength(1);
  });

  it('accepts URL-safe base64 payloads (DSSE allows either alphabet) and hashes the decoded payload', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const bytes = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)); // has + and / in base64
    const env = envelope('application/octet-stream', bytes, [signPae(privateKey, 'application/octet-stream', bytes)], (b) =>
      Buffer.from(b).toString('base64url').padEnd(Math.ceil(b.length / 3) * 4, '='),
    );
    expect(env).toMatch(/[-_]/);
    const a = admitEntry(dsseEntry(env, [publicPem(publicKey)]));
    expect(JSON.parse(utf8(a.body)).spec.payloadHash.value).toBe(sha256hex(bytes));
  });

  it('envelopeHash is over the envelope string exactly as submitted', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const env = envelope('text/plain', payload, [signPae(privateKey, 'text/plain', payload)]);
    const spaced = JSON.stringify(JSON.parse(env), null, 2);
    const a = admitEntry(dsseEntry(env, [publicPem(publicKey)]));
    const b = admitEntry(dsseEntry(spaced, [publicPem(publicKey)]));
    expect(JSON.parse(utf8(a.body)).spec.envelopeHash.value).toBe(sha256hex(env));
    expect(JSON.parse(utf8(b.body)).spec.envelopeHash.value).toBe(sha256hex(spaced));
  });
});

describe('dsse refuses bad entries with INVALID_ENTRY', () => {
  const { publicKey, privateKey } = keyPair('p256');
  const payload = new TextEncoder().encode('hello dsse');
  const sig = signPae(privateKey, 'text/plain', payload);
  const env = JSON.parse(envelope('text/plain', payload, [sig]));
  const pem = publicPem(publicKey);
  const withEnv = (mutate: (env: any) => void) => (e: Record<string, any>) => {
    const copy = structuredClone(env);
    mutate(copy);
    e.spec.proposedContent.envelope = JSON.stringify(copy);
  };
  const flipped = Buffer.from(sig);
  flipped[10] ^= 0x40;
  const cases: [string, (e: Record<string, any>) => void, RegExp][] = [
    ['payload changed', withEnv((x) => (x.payload = b64('hello dssf'))), /verifies no signature/],
    ['payloadType changed', withEnv((x) => (x.payloadType = 'text/html')), /verifies no signature/],
    ['flipped signature bit', withEnv((x) => (x.signatures[0].sig = b64(flipped))), /verifies no signature/],
    ['wrong verifier', (e) => (e.spec.proposedContent.verifiers = [b64(publicPem(keyPair('p384').publicKey))]), /verifies no signature/],
    ['envelope not JSON', (e) => (e.spec.proposedContent.envelope = '{"payload":'), /not JSON/],
    ['envelope a JSON array', (e) => (e.spec.proposedContent.envelope = '[]'), /envelope must be an object/],
    ['envelope empty', (e) => (e.spec.proposedContent.envelope = ''), /non-empty string/],
    ['envelope too long', (e) => (e.spec.proposedContent.envelope = ' '.repeat(1024 * 1024 + 1)), /longer than/],
    ['no signatures', withEnv((x) => (x.signatures = [])), /non-empty array/],
    ['signatures not an array', withEnv((x) => (x.signatures = { sig: b64(sig) })), /non-empty array/],
    ['17 signatures', withEnv((x) => (x.signatures = Array(17).fill({ sig: b64(sig) }))), /more than 16/],
    ['signature not base64', withEnv((x) => (x.signatures[0].sig = 'MEUC*')), /sig is not valid base64/],
    ['signature empty', withEnv((x) => (x.signatures[0].sig = '')), /non-empty string/],
    ['signature entry a string', withEnv((x) => (x.signatures[0] = 'abc')), /signatures\[0\] must be an object/],
    ['payload not base64', withEnv((x) => (x.payload = 'a b')), /payload is not valid base64/],
    ['payload a number', withEnv((x) => (x.payload = 5)), /payload must be a base64 string/],
    ['payloadType a number', withEnv((x) => (x.payloadType = 5)), /payloadType must be a string/],
    ['verifiers missing', (e) => delete e.spec.proposedContent.verifiers, /verifiers must be a non-empty array/],
    ['verifiers empty', (e) => (e.spec.proposedContent.verifiers = []), /verifiers must be a non-empty array/],
    ['17 verifiers', (e) => (e.spec.proposedContent.verifiers = Array(17).fill(b64(pem))), /more than 16/],
    ['verifier not base64', (e) => (e.spec.proposedContent.verifiers = ['@@']), /verifiers\[0\] is not valid base64/],
    ['verifier not PEM', (e) => (e.spec.proposedContent.verifiers = [b64('nope')]), /not PEM/],
    ['verifier a number', (e) => (e.spec.proposedContent.verifiers = [3]), /verifiers\[0\] must be a non-empty base64 string/],
    ['proposedContent missing', (e) => delete e.spec.proposedContent, /proposedContent must be an object/],
    ['server fields submitted', (e) => (e.spec.envelopeHash = { algorithm: 'sha256', value: '00' }), /envelopeHash is computed by the log/],
    ['signatures submitted', (e) => (e.spec.signatures = [{ signature: b64(sig) }]), /signatures is computed by the log/],
  ];
  it.each(cases)('%s', (_name, mutate, message) => {
    const e = dsseEntry(JSON.stringify(env), [pem]);
    mutate(e);
    expect(expectCode(() => admitEntry(e), 'INVALID_ENTRY')).toMatch(message);
  });

  it('the unmodified entry is admitted (the table above starts from a good entry)', () => {
    expect(admitEntry(dsseEntry(JSON.stringify(env), [pem])).kind).toBe('dsse/0.0.1');
  });

  it('server fields Rekor would not read (null, empty list, non-objects) are ignored as Rekor ignores them', () => {
    const e = dsseEntry(JSON.stringify(env), [pem]);
    Object.assign(e.spec, { signatures: [], envelopeHash: null, payloadHash: 'x' });
    expect(utf8(admitEntry(e).body)).toBe(utf8(admitEntry(dsseEntry(JSON.stringify(env), [pem])).body));
  });

  it('a stored canonical dsse body is not insertable (Rekor needs proposedContent)', () => {
    const body = JSON.parse(utf8(admitEntry(dsseEntry(JSON.stringify(env), [pem])).body));
    expectCode(() => admitEntry(body), 'INVALID_ENTRY');
  });
});

interface Vector {
  name: string;
  kind: string;
  canonicalizedBody: string;
  certificate: string;
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] };
  inclusionProof: { logIndex: string; treeSize: string; rootHash: string; hashes: string[] };
}

describe('real Rekor dsse entry (sigstore-conformance happy-path-intoto-in-dsse-v3)', () => {
  const v = (JSON.parse(fixture('rekor-entries.json')) as Vector[]).find((x) => x.kind === 'dsse')!;
  it('our body equals Rekor\'s byte for byte and its inclusion proof verifies', () => {
    // The client (sigstore-python) posted the envelope as compact JSON in this key order; Rekor's
    // envelopeHash pins the exact string.
    const env = JSON.stringify({ payload: v.dsseEnvelope.payload, payloadType: v.dsseEnvelope.payloadType, signatures: v.dsseEnvelope.signatures.map((s) => ({ sig: s.sig })) });
    const der = Buffer.from(v.certificate, 'base64');
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    const a = admitEntry(dsseEntry(env, [pem]));
    const body = Buffer.from(v.canonicalizedBody, 'base64');
    expect(utf8(a.body)).toBe(body.toString('utf8'));
    const p = v.inclusionProof;
    expect(() =>
      verifyInclusion(leafHash(a.body), Number(p.logIndex), Number(p.treeSize), p.hashes.map((h) => Buffer.from(h, 'base64')), Buffer.from(p.rootHash, 'base64')),
    ).not.toThrow();
    const subject = JSON.parse(Buffer.from(v.dsseEnvelope.payload, 'base64').toString()).subject[0].digest.sha256;
    expect(a.indexKeys).toContain(`sha256:${subject}`);
  });

  it('canonicalizeEntry (search by entry) maps the stored body to itself, as Rekor does', () => {
    const body = Buffer.from(v.canonicalizedBody, 'base64');
    expect(Buffer.from(canonicalizeEntry(JSON.parse(body.toString('utf8')))).equals(body)).toBe(true);
  });
});

describe('canonicalizeEntry for dsse search queries', () => {
  const a = keyPair('p256');
  const b = keyPair('ed25519');
  const payload = new TextEncoder().encode('search me');
  const env = envelope('text/plain', payload, [signPae(a.privateKey, 'text/plain', payload), signPae(b.privateKey, 'text/plain', payload)]);
  const proposal = dsseEntry(env, [publicPem(a.publicKey), publicPem(b.publicKey)]);
  const stored = JSON.parse(utf8(admitEntry(proposal).body));

  it('a proposal canonicalizes to its admitted body; the stored form, shuffled, to the same bytes', () => {
    expect(utf8(canonicalizeEntry(proposal))).toBe(utf8(admitEntry(proposal).body));
    const shuffled = structuredClone(stored);
    shuffled.spec.signatures.reverse();
    shuffled.spec.extra = 1;
    expect(utf8(canonicalizeEntry(shuffled))).toBe(utf8(admitEntry(proposal).body));
  });

  it.each<[string, (e: any) => void]>([
    ['no signatures', (e) => (e.spec.signatures = [])],
    ['signature not base64', (e) => (e.spec.signatures[0].signature = 'a-b_')],
    ['verifier not base64', (e) => (e.spec.signatures[0].verifier = '%')],
    ['envelopeHash algorithm sha512', (e) => (e.spec.envelopeHash.algorithm = 'sha512')],
    ['payloadHash missing', (e) => delete e.spec.payloadHash],
  ])('refuses a stored form with %s', (_n, mutate) => {
    const e = structuredClone(stored);
    mutate(e);
    expectCode(() => canonicalizeEntry(e), 'INVALID_ENTRY');
  });
});
