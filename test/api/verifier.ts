/**
 * An independent client-side verifier of Rekor responses, written from the specs rather than from
 * Cairn's code: RFC 8785 for the four SET fields, RFC 6962 §2.1.1 for inclusion proofs, the
 * signed-note format for checkpoints. Only node:crypto is used.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** verifySig checks a Rekor log key signature: pure Ed25519, or ECDSA over SHA-256 of the message. */
export function verifySig(key: KeyObject, msg: Uint8Array, sig: Uint8Array): boolean {
  return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', msg, key, sig);
}

export interface LogEntryAnon {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    signedEntryTimestamp: string;
  };
}

/** setPayload builds the JCS object of the four fields by hand: keys sorted, no whitespace. */
export function setPayload(e: Pick<LogEntryAnon, 'body' | 'integratedTime' | 'logID' | 'logIndex'>): Buffer {
  return Buffer.from(`{"body":"${e.body}","integratedTime":${e.integratedTime},"logID":"${e.logID}","logIndex":${e.logIndex}}`);
}

export interface ParsedCheckpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
}

/** openRekorNote parses a signed note, checks its one Rekor signature (key hint SHA-256(SPKI)[:4]) and returns the checkpoint. */
export function openRekorNote(note: string, pem: string, origin: string): ParsedCheckpoint {
  const key = createPublicKey(pem);
  const spki = key.export({ format: 'der', type: 'spki' });
  const sep = note.indexOf('\n\n');
  if (sep < 0) throw new Error('note: no blank line');
  const text = note.slice(0, sep + 1);
  const sigLines = note.slice(sep + 2).split('\n');
  if (sigLines.pop() !== '') throw new Error('note: does not end in newline');
  let ok = false;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`note: bad signature line ${line}`);
    const raw = Buffer.from(m[2], 'base64');
    if (m[1] === origin && raw.subarray(0, 4).equals(sha256(spki).subarray(0, 4)) && verifySig(key, Buffer.from(text), raw.subarray(4))) ok = true;
  }
  if (!ok) throw new Error('note: no valid signature by the log key');
  const lines = text.split('\n');
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) throw new Error('note: bad checkpoint body');
  return { origin: lines[0], size: Number(lines[1]), rootHash: Buffer.from(lines[2], 'base64') };
}

/** rootFromInclusion recomputes the root from a leaf hash and audit path (RFC 9162 §2.1.3.2). */
export function rootFromInclusion(index: number, size: number, leaf: Buffer, path: Buffer[]): Buffer {
  if (index >= size) throw new Error('index past size');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Error('proof too long');
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.of(1), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = sha256(Buffer.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('proof too short');
  return r;
}

/**
 * verifyLogEntry checks everything a sigstore client checks of a LogEntry: the key is the entry
 * ID whose tail is the leaf hash of the body, the logID is SHA-256 of the log key, the SET
 * verifies, and the inclusion proof leads to the root the signed checkpoint commits to.
 */
export function verifyLogEntry(id: string, e: LogEntryAnon, pem: string, origin: string): ParsedCheckpoint {
  const key = createPublicKey(pem);
  const body = Buffer.from(e.body, 'base64');
  const leaf = sha256(Buffer.of(0), body);
  if (!/^[0-9a-f]{80}$/.test(id) || id.slice(16) !== leaf.toString('hex')) throw new Error(`entry ID ${id} is not tree ID + leaf hash`);
  if (e.logID !== sha256(key.export({ format: 'der', type: 'spki' })).toString('hex')) throw new Error('logID is not SHA-256 of the SPKI');
  if (!verifySig(key, setPayload(e), Buffer.from(e.verification.signedEntryTimestamp, 'base64'))) throw new Error('SET does not verify');
  const p = e.verification.inclusionProof;
  if (p.logIndex !== e.logIndex) throw new Error('proof index differs');
  const cp = openRekorNote(p.checkpoint, pem, origin);
  if (cp.size !== p.treeSize || cp.rootHash.toString('hex') !== p.rootHash) throw new Error('checkpoint does not match proof');
  const root = rootFromInclusion(p.logIndex, p.treeSize, leaf, p.hashes.map((h) => Buffer.from(h, 'hex')));
  if (!root.equals(cp.rootHash)) throw new Error('inclusion proof does not lead to the checkpoint root');
  return cp;
}
