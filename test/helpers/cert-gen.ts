// Minimal DER writer for self-signed ECDSA P-256 X.509 v3 certificates with arbitrary
// subjectAltName contents, for hostile-input tests (odd SANs that real CAs would never issue).
import { sign, type KeyObject } from 'node:crypto';

/** tlv encodes one DER element: tag, definite length, content. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}

export const seq = (...parts: Uint8Array[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Uint8Array[]) => tlv(0x31, Buffer.concat(parts));
const oid = (bytes: number[]) => tlv(0x06, Buffer.from(bytes));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s));
const utc = (s: string) => tlv(0x17, Buffer.from(s));

const ECDSA_SHA256 = seq(oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
const CN = [0x55, 0x04, 0x03];
const SAN = [0x55, 0x1d, 0x11];

/** GeneralName encoders (RFC 5280 §4.2.1.6), with bytes taken as given: nothing is validated. */
export const san = {
  email: (s: string | Uint8Array) => tlv(0x81, Buffer.from(s)),
  dns: (s: string | Uint8Array) => tlv(0x82, Buffer.from(s)),
  uri: (s: string | Uint8Array) => tlv(0x86, Buffer.from(s)),
  ip: (b: Uint8Array) => tlv(0x87, b),
  /** otherName: type-id OID bytes and an [0] EXPLICIT value. */
  other: (typeOid: number[], value: Uint8Array) => tlv(0xa0, Buffer.concat([oid(typeOid), tlv(0xa0, value)])),
  raw: (b: Uint8Array) => Buffer.from(b),
};

/**
 * selfSignedCert returns the DER of a certificate for key's public half, signed by key, whose
 * subjectAltName extension value is exactly sanValue (normally seq(...generalNames), but any bytes).
 */
export function selfSignedCert(key: KeyObject, publicSpkiDer: Uint8Array, sanValue: Uint8Array | undefined, opts: { critical?: boolean; cn?: string } = {}): Buffer {
  const name = seq(set(seq(oid(CN), utf8(opts.cn ?? 'cairn fuzz'))));
  const ext = sanValue === undefined
    ? Buffer.alloc(0)
    : tlv(0xa3, seq(seq(oid(SAN), ...(opts.critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, sanValue))));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, Buffer.from([1, 2, 3, 4])),
    ECDSA_SHA256,
    name,
    seq(utc('250101000000Z'), utc('350101000000Z')),
    name,
    Buffer.from(publicSpkiDer),
    ext,
  );
  const sig = sign('sha256', tbs, key);
  return seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
}

/** pem wraps DER in PEM armor. */
export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}
