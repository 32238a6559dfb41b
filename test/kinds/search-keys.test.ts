import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admitEntry, emailKey, hashKey, publicKeyKey, spkiKey, subjectKey, uriKey } from '../../src/kinds/index.js';
import { ipString } from '../../src/kinds/san.js';
import { digestOf, expectCode, fixture, fixtureKey, hashedrekordEntry, keyPair, publicPem, signArtifact } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const keyOfSpki = (der: Uint8Array) => `key:${createHash('sha256').update(der).digest('hex')}`;

describe('hashKey', () => {
  it.each([
    ['sha1', 40],
    ['sha256', 64],
    ['sha384', 96],
    ['sha512', 128],
  ] as const)('%s: lowercases %i hex digits', (alg, n) => {
    expect(hashKey(alg, 'AB'.repeat(n / 2))).toBe(`${alg}:${'ab'.repeat(n / 2)}`);
  });
  it.each([
    ['md5', 'ab'.repeat(16), /unsupported hash algorithm md5/],
    ['sha256', 'ab'.repeat(31), /64 hex digits/],
    ['sha256', 'zz'.repeat(32), /64 hex digits/],
    ['SHA256', 'ab'.repeat(32), /unsupported/],
    ['__proto__', '', /unsupported/],
  ])('%s %s → BAD_REQUEST', (alg, hex, msg) => {
    expect(expectCode(() => hashKey(alg, hex), 'BAD_REQUEST')).toMatch(msg);
  });
});

describe('publicKeyKey', () => {
  const certPem = fixture('leaf-p256.pem');
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });

  it('x509: a PEM key, its certificate and a chain led by it give the SPKI hash', () => {
    const bare = publicPem(new X509Certificate(certPem).publicKey);
    expect(publicKeyKey('x509', enc(bare))).toBe(keyOfSpki(spki));
    expect(publicKeyKey('x509', enc(certPem))).toBe(keyOfSpki(spki));
    const chainLeafSpki = new X509Certificate(fixture('chain-leaf.pem')).publicKey.export({ type: 'spki', format: 'der' });
    expect(publicKeyKey('x509', enc(fixture('chain.pem')))).toBe(keyOfSpki(chainLeafSpki));
  });

  it('equals the key an admitted entry is indexed under (one definition for both sides)', () => {
    const sig = signArtifact(fixtureKey('leaf-p256.key'), 'sha256', enc('x'));
    const a = admitEntry(hashedrekordEntry(sig, certPem, 'sha256', digestOf('sha256', enc('x')).toString('hex')));
    expect(a.indexKeys).toContain(publicKeyKey('x509', enc(certPem)));
    expect(spkiKey(spki)).toBe(publicKeyKey('x509', enc(certPem)));
  });

  it('ssh: ecdsa-sha2-nistp256 and ssh-rsa lines (made by ssh-keygen) give the same key as x509', () => {
    expect(publicKeyKey('ssh', enc(fixture('leaf-p256.ssh.pub')))).toBe(keyOfSpki(spki));
    const rsaSpki = createPublicKey(fixtureKey('rsa-2048.key')).export({ type: 'spki', format: 'der' });
    expect(publicKeyKey('ssh', enc(fixture('rsa-2048.ssh.pub')))).toBe(keyOfSpki(rsaSpki));
  });

  it('ssh: ssh-ed25519 with a comment', () => {
    const { publicKey } = keyPair('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const line = `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} alice@host\n`;
    expect(publicKeyKey('ssh', enc(line))).toBe(keyOfSpki(publicKey.export({ type: 'spki', format: 'der' })));
  });

  it.each([
    ['pgp', enc('-----BEGIN PGP PUBLIC KEY BLOCK-----'), /unsupported public key format pgp/],
    ['minisign', enc('x'), /unsupported public key format/],
    ['x509', enc('not pem'), /not PEM/],
    ['x509', enc(`-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n`), /does not parse/],
    ['ssh', enc('ssh-ed25519'), /expected/],
    ['ssh', enc('ssh-rsa AAAAB3NzaC1lZDI1NTE5AAAAIA=='), /ssh public key/],
    ['ssh', enc('ssh-dss AAAAB3NzaC1kc3MAAAA='), /ssh public key/],
  ])('%s %#: BAD_REQUEST', (format, content, msg) => {
    expect(expectCode(() => publicKeyKey(format, content), 'BAD_REQUEST')).toMatch(msg);
  });
});

describe('identity keys', () => {
  it('emailKey lowercases, uriKey keeps the URI, subjectKey lowercases', () => {
    expect(emailKey('Alice@Example.COM')).toBe('email:alice@example.com');
    expect(uriKey('https://GitHub.com/Owner/x')).toBe('uri:https://GitHub.com/Owner/x');
    expect(subjectKey('https://GitHub.com/Owner/x')).toBe('subject:https://github.com/owner/x');
  });

  it.each([
    ['c0000207', '192.0.2.7'],
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000ffffc0000207', '192.0.2.7'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000100000001000000000001', '2001:db8:1:0:1::1'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000000000000000000', 'fe80::'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
  ])('IP SAN %s renders as Go does: %s', (hex, text) => {
    expect(ipString(Buffer.from(hex, 'hex'))).toBe(text);
  });
});

describe('index keys are deduplicated', () => {
  it('one entry never lists a key twice', () => {
    const { publicKey, privateKey } = keyPair('p256');
    const a = admitEntry(hashedrekordEntry(signArtifact(privateKey, 'sha256', enc('x')), publicPem(publicKey), 'sha256', digestOf('sha256', enc('x')).toString('hex')));
    expect(new Set(a.indexKeys).size).toBe(a.indexKeys.length);
  });
});
