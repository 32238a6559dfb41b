// Entries for the explorer tests: hashedrekords signed by a bare P-256 key, and one signed with a
// Fulcio-like certificate (e-mail and URI SANs, the sigstore OIDC issuer extension) built by hand.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { pem, seq, tlv } from '../helpers/cert-gen.js';

const oid = (dotted: string) => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const enc = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) enc.unshift(0x80 | (v & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
};
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s));
const set = (...p: Uint8Array[]) => tlv(0x31, Buffer.concat(p));
const name = (cn: string, o: string) => seq(set(seq(oid('2.5.4.10'), utf8(o))), set(seq(oid('2.5.4.3'), utf8(cn))));
const ext = (id: string, value: Uint8Array) => seq(oid(id), tlv(0x04, value));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** Identity is what the certificate says about its signer. */
export const IDENTITY = {
  email: 'alice@example.org',
  uri: 'https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main',
  oidcIssuer: 'https://token.actions.example.com',
  issuerCn: 'cairn-test-ca',
};

/** Artifact is a signed artifact and the proposed hashedrekord entry for it. */
export interface Artifact {
  bytes: Buffer;
  sha256: string;
  entry: object;
}

function hashedrekord(bytes: Buffer, privateKey: Parameters<typeof sign>[2], publicPem: string): Artifact {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const entry = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: sha256 } },
      signature: { content: sign('sha256', bytes, privateKey).toString('base64'), publicKey: { content: Buffer.from(publicPem).toString('base64') } },
    },
  };
  return { bytes, sha256, entry };
}

/** keySigner returns a bare-key signer: its PEM and a maker of artifacts. */
export function keySigner() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { publicPem, artifact: (bytes: Buffer) => hashedrekord(bytes, privateKey, publicPem) };
}

/** certSigner returns a signer whose certificate carries IDENTITY. */
export function certSigner() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const sans = seq(tlv(0x81, Buffer.from(IDENTITY.email)), tlv(0x86, Buffer.from(IDENTITY.uri)));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([0x01, 0x23, 0x45])),
    ECDSA_SHA256,
    name(IDENTITY.issuerCn, 'Cairn tests'),
    seq(tlv(0x17, Buffer.from('260101000000Z')), tlv(0x17, Buffer.from('360101000000Z'))),
    seq(), // empty subject, as Fulcio certificates have
    spki,
    tlv(0xa3, seq(ext('2.5.29.17', sans), ext('1.3.6.1.4.1.57264.1.8', utf8(IDENTITY.oidcIssuer)))),
  );
  const cert = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), sign('sha256', tbs, privateKey)])));
  const certPem = pem('CERTIFICATE', cert);
  return { certPem, artifact: (bytes: Buffer) => hashedrekord(bytes, privateKey, certPem) };
}
