/**
 * subjectAltNames of a certificate, rendered as Go's x509 package renders them, because Rekor's
 * Subjects() (and so its search index) uses those strings: RFC 5280 §4.2.1.6 GeneralNames, of
 * which email, DNS, URI, IP and Fulcio's username otherName are kept.
 */
import { OCTET_STRING, SEQUENCE, children, contentOf, oidString, readTlv, type Tlv } from './der.js';
import { invalid } from './encoding.js';

// Fulcio's username otherName SAN, the only otherName sigstore's GetSubjectAlternateNames reads.
const FULCIO_USERNAME_OID = '1.3.6.1.4.1.57264.1.7';
const SAN_OID = '2.5.29.17';

/** San is one subjectAltName of a certificate, its value as Go's x509 package renders it. */
export interface San {
  type: 'dns' | 'email' | 'ip' | 'uri' | 'othername';
  value: string;
}

/** subjectAltNames reads the SAN extension from a TBSCertificate's [3] extensions (none: []). */
export function subjectAltNames(der: Uint8Array, explicit: Tlv, field: string): San[] {
  const seq = children(der, explicit);
  const exts = seq?.length === 1 && seq[0].tag === SEQUENCE ? children(der, seq[0]) : undefined;
  if (!exts) throw invalid(`${field}: certificate extensions do not parse`);
  for (const e of exts) {
    const parts = e.tag === SEQUENCE ? children(der, e) : undefined;
    if (!parts || parts.length < 2 || oidString(der, parts[0]) !== SAN_OID) continue;
    const value = parts[parts.length - 1];
    const names = value.tag === OCTET_STRING ? readTlv(der, value.start, value.end) : undefined;
    const list = names?.tag === SEQUENCE && names.end === value.end ? children(der, names) : undefined;
    if (!list) throw invalid(`${field}: subjectAltName does not parse`);
    return list.flatMap((n) => generalName(der, n, field));
  }
  return [];
}

// GeneralName (RFC 5280 §4.2.1.6), implicitly tagged.
function generalName(der: Uint8Array, n: Tlv, field: string): San[] {
  const c = contentOf(der, n);
  switch (n.tag) {
    case 0x81:
      return [{ type: 'email', value: ia5(c, field) }];
    case 0x82:
      return [{ type: 'dns', value: ia5(c, field) }];
    case 0x86:
      return [{ type: 'uri', value: ia5(c, field) }];
    case 0x87:
      if (c.length !== 4 && c.length !== 16) throw invalid(`${field}: subjectAltName IP address has length ${c.length}`);
      return [{ type: 'ip', value: ipString(c) }];
    case 0xa0: {
      const v = otherName(der, n);
      return v === undefined ? [] : [{ type: 'othername', value: v }];
    }
    default:
      return [];
  }
}

function otherName(der: Uint8Array, n: Tlv): string | undefined {
  const parts = children(der, n);
  if (!parts || parts.length !== 2 || oidString(der, parts[0]) !== FULCIO_USERNAME_OID || parts[1].tag !== 0xa0) return undefined;
  const inner = children(der, parts[1]);
  if (inner?.length !== 1 || inner[0].tag !== 0x0c) return undefined; // UTF8String
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(contentOf(der, inner[0]));
  } catch {
    return undefined;
  }
}

function ia5(c: Uint8Array, field: string): string {
  if (c.some((b) => b > 0x7f)) throw invalid(`${field}: subjectAltName is not an IA5String`);
  return Buffer.from(c).toString('latin1');
}

/** ipString renders an address as Go's net.IP.String does (IPv4-mapped as dotted, RFC 5952 otherwise). */
export function ipString(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.subarray(12).join('.');
  const g = Array.from({ length: 8 }, (_, i) => b[2 * i] * 256 + b[2 * i + 1]);
  let best = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: never compress a single zero group
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

