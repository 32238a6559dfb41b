/**
 * A small strict DER reader (ITU-T X.690) for what the explorer decodes: X.509 certificates
 * (RFC 5280), SubjectPublicKeyInfo, and ASN.1 ECDSA signatures, which WebCrypto wants as
 * IEEE P1363 r || s instead. Every read is bounds-checked; malformed input throws DerError.
 */
import { fromUtf8, toHex } from './bytes.js';

/** DerError is thrown for bytes that are not the DER expected. */
export class DerError extends Error {}

/** Tlv is one DER element: its tag, and where its contents lie in the buffer. */
export interface Tlv {
  tag: number;
  /** The contents. */
  value: Uint8Array;
  /** The whole element, header included. */
  raw: Uint8Array;
}

/** readTlv returns the element at off in b and the offset after it. */
export function readTlv(b: Uint8Array, off = 0): { tlv: Tlv; next: number } {
  if (off + 2 > b.length) throw new DerError('truncated element');
  const tag = b[off];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used here');
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > b.length) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    if (len < 0x80 || (n > 1 && b[p] === 0)) throw new DerError('non-minimal length');
    p += n;
  }
  if (p + len > b.length) throw new DerError('truncated contents');
  return { tlv: { tag, value: b.subarray(p, p + len), raw: b.subarray(off, p + len) }, next: p + len };
}

/** children returns the elements inside a constructed element's contents. */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < t.value.length; ) {
    const r = readTlv(t.value, off);
    out.push(r.tlv);
    off = r.next;
  }
  return out;
}

/** parseOne returns the single element b holds, refusing trailing bytes. */
export function parseOne(b: Uint8Array): Tlv {
  const r = readTlv(b, 0);
  if (r.next !== b.length) throw new DerError('trailing bytes');
  return r.tlv;
}

/** oidString returns an OBJECT IDENTIFIER's contents in dotted form. */
export function oidString(v: Uint8Array): string {
  const arcs: number[] = [];
  let n = 0;
  for (const x of v) {
    n = n * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      arcs.push(n);
      n = 0;
    }
  }
  if (arcs.length === 0) throw new DerError('empty OID');
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;

function expect(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) throw new DerError(`${what}: unexpected tag 0x${t.tag.toString(16)}`);
  return t;
}

/**
 * derToP1363 returns an ASN.1 DER ECDSA signature, SEQUENCE { r INTEGER, s INTEGER }, as the
 * fixed-size r || s WebCrypto verifies (each size bytes, 32 for P-256).
 */
export function derToP1363(sig: Uint8Array, size: number): Uint8Array {
  const seq = expect(parseOne(sig), SEQUENCE, 'signature');
  const parts = children(seq);
  if (parts.length !== 2) throw new DerError('signature: want two integers');
  const out = new Uint8Array(2 * size);
  parts.forEach((p, i) => {
    let v = expect(p, INTEGER, 'signature').value;
    if (v.length === 0 || v[0] & 0x80) throw new DerError('signature: negative or empty integer');
    if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError('signature: non-minimal integer');
    if (v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw new DerError('signature: integer too large');
    out.set(v, (i + 1) * size - v.length);
  });
  return out;
}

/** KeyAlg is a public key algorithm the explorer names. */
export type KeyAlg = 'Ed25519' | 'ECDSA P-256' | 'ECDSA P-384' | 'ECDSA P-521' | 'RSA' | string;

const CURVES: Record<string, string> = { '1.2.840.10045.3.1.7': 'ECDSA P-256', '1.3.132.0.34': 'ECDSA P-384', '1.3.132.0.35': 'ECDSA P-521' };

/** spkiAlgorithm returns the algorithm of a DER SubjectPublicKeyInfo. */
export function spkiAlgorithm(spki: Uint8Array): KeyAlg {
  const [alg] = children(expect(parseOne(spki), SEQUENCE, 'SubjectPublicKeyInfo'));
  const [oid, param] = children(expect(alg, SEQUENCE, 'AlgorithmIdentifier'));
  const o = oidString(expect(oid, 0x06, 'algorithm').value);
  if (o === '1.3.101.112') return 'Ed25519';
  if (o === '1.2.840.113549.1.1.1') return 'RSA';
  if (o === '1.2.840.10045.2.1' && param?.tag === 0x06) return CURVES[oidString(param.value)] ?? `EC ${oidString(param.value)}`;
  return o;
}

const NAME_ATTRS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function stringValue(t: Tlv): string {
  return fromUtf8(t.value) ?? toHex(t.value);
}

/** nameString returns an X.501 Name as "CN=…, O=…". */
function nameString(name: Tlv): string {
  const parts: string[] = [];
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      const o = oidString(type.value);
      parts.push(`${NAME_ATTRS[o] ?? o}=${stringValue(value)}`);
    }
  }
  return parts.join(', ') || '(empty)';
}

/** timeValue returns a UTCTime or GeneralizedTime as a Date. */
function timeValue(t: Tlv): Date {
  const s = stringValue(t);
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new DerError(`bad time ${s}`);
  let y = Number(m[1]);
  if (t.tag === 0x17) y += y < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** San is one subjectAltName. */
export interface San {
  type: 'email' | 'URI' | 'DNS' | 'IP' | 'other';
  value: string;
}

function sanOf(g: Tlv): San {
  switch (g.tag) {
    case 0x81:
      return { type: 'email', value: stringValue(g) };
    case 0x82:
      return { type: 'DNS', value: stringValue(g) };
    case 0x86:
      return { type: 'URI', value: stringValue(g) };
    case 0x87:
      return { type: 'IP', value: g.value.length === 4 ? [...g.value].join('.') : toHex(g.value) };
    default: {
      // otherName [0] { type-id OID, [0] EXPLICIT value }: show the value's string where it has one.
      const kids = g.tag === 0xa0 ? children(g) : [];
      const inner = kids[1] ? children(kids[1])[0] : undefined;
      return { type: 'other', value: inner ? stringValue(inner) : toHex(g.value) };
    }
  }
}

// Fulcio's certificate extensions (sigstore/fulcio docs/oid-info.md): the OIDC issuer, first as raw
// bytes (.1, deprecated), then as a DER UTF8String (.8).
const OIDC_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OIDC_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const SAN_OID = '2.5.29.17';

/** Certificate is what the explorer shows of an X.509 certificate. */
export interface Certificate {
  serial: string;
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  sans: San[];
  /** The sigstore OIDC issuer extension, where present. */
  oidcIssuer?: string;
  keyAlgorithm: KeyAlg;
  spki: Uint8Array;
}

/** parseCertificate decodes the fields of a DER X.509 certificate the entry view shows. */
export function parseCertificate(der: Uint8Array): Certificate {
  const [tbs] = children(expect(parseOne(der), SEQUENCE, 'certificate'));
  const f = children(expect(tbs, SEQUENCE, 'tbsCertificate'));
  const hasVersion = f[0]?.tag === 0xa0;
  const [serial, , issuer, validity, subject, spki, ...rest] = hasVersion ? f.slice(1) : f;
  if (!spki) throw new DerError('tbsCertificate: too few fields');
  const [nb, na] = children(expect(validity, SEQUENCE, 'validity'));
  const cert: Certificate = {
    serial: toHex(expect(serial, INTEGER, 'serial').value),
    issuer: nameString(issuer),
    subject: nameString(subject),
    notBefore: timeValue(nb),
    notAfter: timeValue(na),
    sans: [],
    keyAlgorithm: spkiAlgorithm(spki.raw),
    spki: spki.raw,
  };
  const exts = rest.find((t) => t.tag === 0xa3);
  for (const ext of exts ? children(children(exts)[0]) : []) {
    const kids = children(ext);
    const oid = oidString(kids[0].value);
    const value = kids[kids.length - 1].value; // extnValue OCTET STRING; critical BOOLEAN may sit between
    if (oid === SAN_OID) cert.sans = children(parseOne(value)).map(sanOf);
    else if (oid === OIDC_ISSUER_V2) cert.oidcIssuer = stringValue(parseOne(value));
    else if (oid === OIDC_ISSUER_V1 && cert.oidcIssuer === undefined) cert.oidcIssuer = fromUtf8(value) ?? toHex(value);
  }
  return cert;
}
