/**
 * Signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint), read in the
 * browser: the text, its signature lines, the checkpoint fields, and the check of the log's own
 * signature. Witness cosignatures (c2sp.org/tlog-cosignature, keyID || u64 time || Ed25519 sig)
 * are listed with their time.
 */
import { equal, fromBase64, toHex, utf8 } from './bytes.js';
import { c2spKeyId, type LogKey } from './keys.js';

/** SignatureLine is one "— <name> <base64(keyID || signature)>" line. */
export interface SignatureLine {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

/** Note is a parsed signed note. */
export interface Note {
  text: string;
  signatures: SignatureLine[];
}

/** Checkpoint is a parsed checkpoint body. */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
}

/** parseNote returns a note's text and signatures, or a reason it is malformed. */
export function parseNote(note: string): Note | string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return 'not a signed note (no blank line before the signatures)';
  const text = note.slice(0, split + 1);
  const signatures: SignatureLine[] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const b = m && fromBase64(m[2]);
    if (!m || !b || b.length < 5) return `malformed signature line ${JSON.stringify(line)}`;
    signatures.push({ name: m[1], keyId: b.slice(0, 4), signature: b.slice(4) });
  }
  if (signatures.length === 0) return 'the note has no signatures';
  return { text, signatures };
}

/** parseCheckpoint returns a checkpoint body's origin, size and root hash, or a reason it is malformed. */
export function parseCheckpoint(text: string): Checkpoint | string {
  const lines = text.split('\n');
  if (lines.length < 4 || !text.endsWith('\n')) return 'a checkpoint has at least three lines';
  const [origin, sizeLine, rootLine] = lines;
  const size = Number(sizeLine);
  const rootHash = fromBase64(rootLine);
  if (!origin) return 'empty origin';
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(size)) return `bad tree size ${JSON.stringify(sizeLine)}`;
  if (!rootHash || rootHash.length !== 32) return 'the root hash is not 32 bytes of base64';
  return { origin, size, rootHash };
}

/**
 * verifyLogSignature returns undefined if a signature line in note is the log key's valid
 * signature of the text, under the checkpoint's origin, with either key ID Cairn uses (the Rekor
 * hint logID[:4], or the C2SP ID); else the reason.
 */
export async function verifyLogSignature(note: Note, origin: string, key: LogKey): Promise<string | undefined> {
  const ids = [key.logId.slice(0, 4), await c2spKeyId(origin, key)];
  const mine = note.signatures.filter((s) => s.name === origin && ids.some((id) => equal(id, s.keyId)));
  if (mine.length === 0) return `no signature by the trusted key (key IDs ${ids.map(toHex).join(', ')}) under the name ${origin}`;
  for (const s of mine) if (await key.verify(utf8(note.text), s.signature)) return undefined;
  return `the signature with key ID ${toHex(mine[0].keyId)} does not verify with the trusted ${key.algorithm} key`;
}

/** Cosignature is a witness's signature line with its timestamp (when it is a cosignature/v1). */
export interface Cosignature {
  name: string;
  keyId: string;
  /** Unix seconds the witness signed at; undefined for signatures of another type. */
  time?: number;
}

/** cosignatures returns the note's signature lines other than the log's own. */
export function cosignatures(note: Note, origin: string): Cosignature[] {
  return note.signatures
    .filter((s) => s.name !== origin)
    .map((s) => {
      // cosignature/v1: 8-byte big-endian time then a 64-byte Ed25519 signature.
      const time = s.signature.length === 72 ? new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0) : undefined;
      return { name: s.name, keyId: toHex(s.keyId), time: time === undefined ? undefined : Number(time) };
    });
}
