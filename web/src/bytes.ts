/** Byte helpers for the explorer: hex, base64, UTF-8 and SHA-256 through WebCrypto. */

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** utf8 returns the UTF-8 bytes of s. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** fromUtf8 returns b decoded as UTF-8, or undefined when b is not valid UTF-8. */
export function fromUtf8(b: Uint8Array): string | undefined {
  try {
    return dec.decode(b);
  } catch {
    return undefined;
  }
}

/** toHex returns b as lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** fromHex returns the bytes of an even-length hex string, or undefined if it is not one. */
export function fromHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** toBase64 returns standard padded base64 of b. */
export function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** fromBase64 returns the bytes of standard base64 s, or undefined if s is not base64. */
export function fromBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** concat returns the parts joined. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** equal reports whether a and b hold the same bytes. */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** sha256 returns SHA-256 of the parts joined. */
export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts) as Uint8Array<ArrayBuffer>));
}
