/**
 * An entry decoded for display: the Rekor body (hashedrekord or dsse v0.0.1), the artifact hash,
 * the signatures and their verification material (PEM keys or certificates, decoded), and the
 * identity to show in lists.
 */
import type { RawEntry } from './api.js';
import { fromBase64, fromUtf8, sha256, toHex } from './bytes.js';
import { parseCertificate, spkiAlgorithm, type Certificate } from './der.js';
import { pemBlocks } from './keys.js';

/** Signer is one signature and what verifies it. */
export interface Signer {
  signature: string;
  /** The PEM as the entry holds it. */
  pem: string;
  certificate?: Certificate;
  /** For a bare public key: its algorithm and SHA-256 fingerprint of the SPKI. */
  key?: { algorithm: string; fingerprint: string };
  error?: string;
}

/** Entry is a decoded log entry. */
export interface Entry {
  id: string;
  /** The leaf hash part of the ID (the last 64 hex digits). */
  uuid: string;
  raw: RawEntry;
  body: Uint8Array;
  json?: Record<string, unknown>;
  kind: string;
  version: string;
  artifactHash?: { algorithm: string; value: string; label: string };
  signers: Signer[];
  /** A short identity for lists: the first SAN, or the key fingerprint. */
  identity: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

async function signer(signature: string, pemB64: string): Promise<Signer> {
  const pem = fromUtf8(fromBase64(pemB64) ?? new Uint8Array()) ?? '';
  const s: Signer = { signature, pem };
  try {
    const block = pemBlocks(pem)[0];
    if (!block) throw new Error('no PEM block');
    if (block.label === 'CERTIFICATE') s.certificate = parseCertificate(block.der);
    else s.key = { algorithm: spkiAlgorithm(block.der), fingerprint: toHex(await sha256(block.der)) };
  } catch (e) {
    s.error = `could not decode: ${(e as Error).message}`;
  }
  return s;
}

/** decodeEntry returns e decoded; fields the page cannot read are left out, never guessed. */
export async function decodeEntry(e: RawEntry): Promise<Entry> {
  const body = fromBase64(e.anon.body) ?? new Uint8Array();
  let json: Obj | undefined;
  try {
    json = obj(JSON.parse(fromUtf8(body) ?? ''));
  } catch {
    json = undefined;
  }
  const kind = str(json?.kind) || 'unknown';
  const spec = obj(json?.spec);
  const out: Entry = { id: e.id, uuid: e.id.slice(-64), raw: e, body, json, kind, version: str(json?.apiVersion), signers: [], identity: '' };
  if (kind === 'hashedrekord') {
    const hash = obj(obj(spec.data).hash);
    out.artifactHash = { algorithm: str(hash.algorithm), value: str(hash.value), label: 'Artifact hash' };
    const sig = obj(spec.signature);
    out.signers.push(await signer(str(sig.content), str(obj(sig.publicKey).content)));
  } else if (kind === 'dsse') {
    const payload = obj(spec.payloadHash);
    out.artifactHash = { algorithm: str(payload.algorithm), value: str(payload.value), label: 'Payload hash' };
    for (const s of Array.isArray(spec.signatures) ? spec.signatures : []) out.signers.push(await signer(str(obj(s).signature), str(obj(s).verifier)));
  }
  const first = out.signers[0];
  const san = first?.certificate?.sans[0];
  out.identity = san ? san.value : first?.certificate ? first.certificate.subject : first?.key ? `${first.key.algorithm} key ${first.key.fingerprint.slice(0, 16)}…` : '';
  return out;
}
