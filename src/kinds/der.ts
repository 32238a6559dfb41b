/**
 * A minimal DER reader (X.690 §10) for the few structures kinds look inside: certificates (to
 * find the SubjectPublicKeyInfo and subjectAltName), SPKIs (EC point form) and ECDSA signatures.
 * Definite, minimal lengths only; every read is bounds-checked and failures return undefined.
 */

/** Tlv is one DER element of buf: tag byte, content [start, end). */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  at: number;
  start: number;
  end: number;
}

export const SEQUENCE = 0x30;
export const INTEGER = 0x02;
export const BIT_STRING = 0x03;
export const OCTET_STRING = 0x04;
export const OID = 0x06;
export const BOOLEAN = 0x01;

/** readTlv returns the element at offset at of buf, ending at or before limit, or undefined. */
export function readTlv(buf: Uint8Array, at: number, limit = buf.length): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = buf[at];
  if ((tag & 0x1f) === 0x1f) return undefined; // high tag numbers appear nowhere we look
  let len = buf[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    // DER: the shortest length form, no leading zero octets.
    if (len < 0x80 || buf[start] === 0) return undefined;
    start += n;
  }
  const end = start + len;
  if (end > limit) return undefined;
  return { tag, at, start, end };
}

/** children returns the elements inside a constructed element, or undefined if they do not tile it. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(buf, at, parent.end);
    if (!t) return undefined;
    out.push(t);
    at = t.end;
  }
  return out;
}

/** whole returns the single element spanning all of buf, or undefined. */
export function whole(buf: Uint8Array): Tlv | undefined {
  const t = readTlv(buf, 0);
  return t && t.end === buf.length ? t : undefined;
}

/** bytesOf returns the full encoding (tag, length, content) of t. */
export function bytesOf(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.at, t.end);
}

/** contentOf returns the content octets of t. */
export function contentOf(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.start, t.end);
}

/** oidString returns the dotted form of an OBJECT IDENTIFIER element, or undefined. */
export function oidString(buf: Uint8Array, t: Tlv): string | undefined {
  if (t.tag !== OID || t.end === t.start || t.end - t.start > 64) return undefined;
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    if (v === 0 && buf[i] === 0x80) return undefined; // non-minimal arc
    v = v * 128 + (buf[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if ((buf[i] & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return (buf[t.end - 1] & 0x80) === 0 ? arcs.join('.') : undefined;
}

/** isPositiveInteger reports whether t is a DER INTEGER minimally encoded, positive and not zero (ECDSA r and s must be all three). */
export function isPositiveInteger(buf: Uint8Array, t: Tlv): boolean {
  if (t.tag !== INTEGER || t.end === t.start) return false;
  const first = buf[t.start];
  if (first & 0x80) return false; // negative
  if (t.end - t.start === 1) return first !== 0; // zero
  return first !== 0 || (buf[t.start + 1] & 0x80) !== 0; // else non-minimal
}

/**
 * positiveInteger returns the value of a DER INTEGER that is minimally encoded and positive,
 * or undefined (ECDSA r and s must be both).
 */
export function positiveInteger(buf: Uint8Array, t: Tlv): bigint | undefined {
  if (!isPositiveInteger(buf, t)) return undefined;
  let v = 0n;
  for (let i = t.start; i < t.end; i++) v = (v << 8n) | BigInt(buf[i]);
  return v;
}
