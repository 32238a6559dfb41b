/**
 * The log's public key in the browser: imported into WebCrypto from its SPKI, with the
 * identifiers Cairn derives from it (src/note/keys.ts, signers.ts): the Rekor logID and key hint,
 * the C2SP note key ID and verifier key string. Signatures are pure Ed25519, or ASN.1 DER ECDSA
 * P-256 over SHA-256 as Rekor and signed-note type 0x02 make them; WebCrypto wants P1363.
 */
import { concat, fromBase64, sha256, toBase64, toHex, utf8 } from './bytes.js';
import { DerError, derToP1363, spkiAlgorithm } from './der.js';

/** LogKey is a trusted log key. */
export interface LogKey {
  algorithm: 'Ed25519' | 'ECDSA P-256';
  pem: string;
  spki: Uint8Array;
  /** SHA-256 of the SPKI: Rekor's logID. */
  logId: Uint8Array;
  /** verify reports whether sig is the key's signature of msg. */
  verify(msg: Uint8Array, sig: Uint8Array): Promise<boolean>;
}

/** pemBlocks returns the label and DER of each PEM block in text. */
export function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*?)-----END \1-----/g)) {
    const der = fromBase64(m[2].replace(/\s+/g, ''));
    if (der) out.push({ label: m[1], der });
  }
  return out;
}

/** toPem returns der in PEM armor. */
export function toPem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${toBase64(der).replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

const buf = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

/** importLogKey returns the log key in a PUBLIC KEY PEM; it throws for other key types. */
export async function importLogKey(pem: string): Promise<LogKey> {
  const block = pemBlocks(pem).find((b) => b.label === 'PUBLIC KEY');
  if (!block) throw new Error('not a PEM public key');
  const spki = block.der;
  const algorithm = spkiAlgorithm(spki);
  const logId = await sha256(spki);
  if (algorithm === 'Ed25519') {
    const key = await crypto.subtle.importKey('spki', buf(spki), { name: 'Ed25519' }, false, ['verify']);
    const verify = async (msg: Uint8Array, sig: Uint8Array) => sig.length === 64 && crypto.subtle.verify({ name: 'Ed25519' }, key, buf(sig), buf(msg));
    return { algorithm, pem, spki, logId, verify };
  }
  if (algorithm === 'ECDSA P-256') {
    const key = await crypto.subtle.importKey('spki', buf(spki), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const verify = async (msg: Uint8Array, sig: Uint8Array) => {
      let p1363: Uint8Array;
      try {
        p1363 = derToP1363(sig, 32);
      } catch (e) {
        if (e instanceof DerError) return false;
        throw e;
      }
      return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, buf(p1363), buf(msg));
    };
    return { algorithm, pem, spki, logId, verify };
  }
  throw new Error(`the log key is ${algorithm}; Cairn logs sign with Ed25519 or ECDSA P-256`);
}

// c2sp.org/signed-note signature types: 0x01 Ed25519; 0x02 ECDSA with the SPKI as key (transparency-dev/witness).
const NOTE_TYPE_ED25519 = 0x01;
const NOTE_TYPE_ECDSA = 0x02;

function noteKey(key: LogKey): { type: number; bytes: Uint8Array } {
  // The Ed25519 SPKI is a fixed 12-byte prefix and the 32-byte key (RFC 8410).
  return key.algorithm === 'Ed25519' ? { type: NOTE_TYPE_ED25519, bytes: key.spki.subarray(12) } : { type: NOTE_TYPE_ECDSA, bytes: key.spki };
}

/**
 * c2spKeyId returns the key ID of the log's C2SP note signatures: SHA-256(name || 0x0A || 0x01 ||
 * key)[:4] for Ed25519 (c2sp.org/signed-note), SHA-256(SPKI)[:4] for ECDSA (type 0x02, as
 * transparency-dev/witness and src/note/signers.ts define it).
 */
export async function c2spKeyId(name: string, key: LogKey): Promise<Uint8Array> {
  const k = noteKey(key);
  if (k.type === NOTE_TYPE_ECDSA) return key.logId.slice(0, 4);
  return (await sha256(utf8(name), Uint8Array.of(0x0a, k.type), k.bytes)).slice(0, 4);
}

/** verifierKey returns the C2SP vkey "<name>+<hex key ID>+<base64(type || key)>". */
export async function verifierKey(name: string, key: LogKey): Promise<string> {
  const k = noteKey(key);
  return `${name}+${toHex(await c2spKeyId(name, key))}+${toBase64(concat(Uint8Array.of(k.type), k.bytes))}`;
}
