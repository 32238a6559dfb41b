import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import {
  c2spSigner,
  c2spVerifier,
  cosignerKeyString,
  generateKey,
  loadPrivateKey,
  openNote,
  parseVerifierKey,
  publicKeyFromPem,
  rekorSigner,
  rekorVerifier,
  signNote,
  verifierKeyString,
  type KeyType,
  type LogKey,
} from '../../src/note/index.js';
import { ed25519FromSeed, ENOCH_VKEY, PETER_SEED, PETER_VKEY, REKOR_CHECKPOINTS, REKOR_PEM, REKOR_VKEY, REMORA_VKEY, SPEC_VKEY } from './vectors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isCairnError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const sha256 = (...parts: (Uint8Array | string)[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const keys: Record<KeyType, LogKey> = {
  ed25519: loadPrivateKey(generateKey('ed25519')),
  'ecdsa-p256': loadPrivateKey(generateKey('ecdsa-p256')),
};
const text = 'cairn.example/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

/**
 * sigstoreStyleVerify mimics @sigstore/verify's checkpoint check (tlog/checkpoint.ts): split at
 * the first blank line, find "— name base64" lines, match each signature's first 4 bytes to the
 * first 4 bytes of a trusted log's logID (SHA-256 of its SPKI DER), and require every signature to
 * verify with crypto.verify(null, …) over the note text.
 */
function sigstoreStyleVerify(envelope: string, tlogs: { logID: Buffer; publicKey: KeyObject }[]): boolean {
  const split = envelope.indexOf('\n\n');
  if (split < 0) return false;
  const note = Buffer.from(envelope.slice(0, split + 1), 'utf-8');
  const sigs = [...envelope.slice(split + 2).matchAll(/\u2014 (\S+) (\S+)\n/g)].map((m) => Buffer.from(m[2], 'base64'));
  if (sigs.length === 0) return false;
  return sigs.every((sig) => {
    const tlog = tlogs.find((t) => t.logID.subarray(0, 4).equals(sig.subarray(0, 4)));
    return tlog !== undefined && nodeVerify(null, note, tlog.publicKey, sig.subarray(4));
  });
}

describe('key IDs', () => {
  it('c2sp Ed25519: SHA-256(name || 0x0A || 0x01 || pubkey)[:4]', () => {
    const k = keys.ed25519;
    const want = sha256('cairn.example/log', Uint8Array.of(0x0a, 0x01), k.rawPublicKey).subarray(0, 4);
    expect(hex(c2spSigner('cairn.example/log', k).keyId)).toBe(hex(want));
    expect(hex(c2spVerifier('cairn.example/log', k.rawPublicKey).keyId)).toBe(hex(want));
  });

  it('c2sp ECDSA (type 0x02): SHA-256(SPKI DER)[:4], no name', () => {
    const k = keys['ecdsa-p256'];
    const want = sha256(k.spkiDer).subarray(0, 4);
    expect(hex(c2spSigner('a', k).keyId)).toBe(hex(want));
    expect(hex(c2spSigner('b', k).keyId)).toBe(hex(want));
  });

  it.each<KeyType>(['ed25519', 'ecdsa-p256'])('rekor %s: SHA-256(SPKI DER)[:4] = logID[:4]', (type) => {
    const k = keys[type];
    expect(hex(rekorSigner('x', k).keyId)).toBe(hex(sha256(k.spkiDer).subarray(0, 4)));
    expect(rekorSigner('x', k).keyId).toEqual(k.logId.slice(0, 4));
    expect(rekorVerifier('x', k.publicKeyPem).keyId).toEqual(k.keyHint);
  });

  it('for ECDSA the C2SP and Rekor conventions coincide; passing both verifiers is fine', () => {
    const k = keys['ecdsa-p256'];
    const note = signNote(text, [c2spSigner('log', k)]);
    expect(openNote(note, [c2spVerifier('log', k)]).verified[0].keyId).toEqual(k.keyHint);
    const o = openNote(note, [c2spVerifier('log', k), rekorVerifier('log', k.publicKeyPem)]);
    expect(o.verified).toHaveLength(1);
  });

  it('rejects invalid signer names with CONFIG', () => {
    expect(codeOf(() => c2spSigner('a b', keys.ed25519))).toBe('CONFIG');
    expect(codeOf(() => rekorSigner('', keys.ed25519))).toBe('CONFIG');
    expect(codeOf(() => c2spVerifier('a+b', keys.ed25519))).toBe('CONFIG');
  });
});

describe('Rekor-style notes', () => {
  it.each<KeyType>(['ed25519', 'ecdsa-p256'])('%s: a rekorSigner note verifies the way sigstore-js checks it', (type) => {
    const k = keys[type];
    const note = signNote(text, [rekorSigner('cairn.example', k)]);
    const tlog = { logID: Buffer.from(k.logId), publicKey: createPublicKey(k.publicKeyPem) };
    expect(sigstoreStyleVerify(note, [tlog])).toBe(true);
    expect(sigstoreStyleVerify(note.replace('\n3\n', '\n4\n'), [tlog])).toBe(false);
    expect(openNote(note, [rekorVerifier('cairn.example', k.publicKeyPem)]).text).toBe(text);
  });

  it('an Ed25519 C2SP note does not pass the sigstore-js check (hence the separate Rekor note)', () => {
    const k = keys.ed25519;
    const note = signNote(text, [c2spSigner('cairn.example', k)]);
    expect(sigstoreStyleVerify(note, [{ logID: Buffer.from(k.logId), publicKey: createPublicKey(k.publicKeyPem) }])).toBe(false);
  });

  it('the mimic accepts real Rekor checkpoints, so it checks what sigstore-js checks', () => {
    const pub = publicKeyFromPem(REKOR_PEM);
    for (const cp of REKOR_CHECKPOINTS) {
      expect(sigstoreStyleVerify(cp, [{ logID: Buffer.from(pub.logId), publicKey: createPublicKey(REKOR_PEM) }])).toBe(true);
    }
  });
});

describe('verifier keys', () => {
  it.each<[string, string, string]>([
    ['signed-note spec example', SPEC_VKEY, 'example.com/foo'],
    ['sumdb/note PeterNeumann', PETER_VKEY, 'PeterNeumann'],
    ['sumdb/note EnochRoot', ENOCH_VKEY, 'EnochRoot'],
    ['transparency-dev/formats 0x01 key with + in base64', 'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6', 'TEST'],
    ['witness cosignature/v1 (0x04)', REMORA_VKEY, 'remora.n621.de'],
    ['Rekor ECDSA (0x02)', REKOR_VKEY, 'rekor.sigstore.dev'],
  ])('parses %s', (_label, vkey, name) => {
    const v = parseVerifierKey(vkey);
    expect(v.name).toBe(name);
    expect(hex(v.keyId)).toBe(vkey.split('+')[1]);
  });

  it('verifierKeyString of the Go key reproduces its vkey', () => {
    expect(verifierKeyString('PeterNeumann', ed25519FromSeed(PETER_SEED))).toBe(PETER_VKEY);
    expect(verifierKeyString('rekor.sigstore.dev', publicKeyFromPem(REKOR_PEM))).toBe(REKOR_VKEY);
  });

  it.each<KeyType>(['ed25519', 'ecdsa-p256'])('%s: verifierKeyString → parseVerifierKey verifies c2spSigner notes', (type) => {
    const k = keys[type];
    const vkey = verifierKeyString('cairn.example/log', k);
    expect(vkey.split('+')[2]).toMatch(type === 'ed25519' ? /^A[Q-Za-f]/ : /^Aj/); // 0x01 / 0x02 type byte
    const note = signNote(text, [c2spSigner('cairn.example/log', k)]);
    expect(openNote(note, [parseVerifierKey(vkey)]).text).toBe(text);
  });

  const peterKey = Buffer.from(PETER_VKEY.split('+')[2], 'base64');
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
  const withId = (name: string, material: Uint8Array): string =>
    `${name}+${hex(sha256(name, '\n', material).subarray(0, 4))}+${b64(material)}`;
  it.each<[string, string]>([
    ['two parts', 'PeterNeumann+c74f20a3'],
    ['empty', ''],
    ['uppercase key ID', PETER_VKEY.replace('c74f20a3', 'C74F20A3')],
    ['7-digit key ID', PETER_VKEY.replace('c74f20a3', 'c74f20a')],
    ['wrong key ID', PETER_VKEY.replace('c74f20a3', 'c74f20a4')],
    ['name with a space', withId('Peter Neumann', peterKey)],
    ['empty name', withId('', peterKey)],
    ['base64 with bad padding bits', PETER_VKEY.replace('W', 'X')],
    ['base64 without padding', withId('x', peterKey.subarray(0, 32)).replace(/=+$/, '')],
    ['Ed25519 key of 31 bytes', withId('x', peterKey.subarray(0, 32))],
    ['Ed25519 key of 33 bytes', withId('x', Buffer.concat([peterKey, Buffer.from([0])]))],
    ['unknown type 0x03', withId('x', Buffer.concat([Buffer.from([3]), peterKey.subarray(1)]))],
    ['type 0x02 with an Ed25519 SPKI', `x+${hex(keys.ed25519.keyHint)}+${b64(Buffer.concat([Buffer.from([2]), keys.ed25519.spkiDer]))}`],
    ['type 0x02 with garbage DER', `x+00000000+${b64(Buffer.from([2, 0x30, 0x00]))}`],
    ['a private key string', 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'],
  ])('rejects %s with CONFIG', (_label, vkey) => {
    expect(codeOf(() => parseVerifierKey(vkey))).toBe('CONFIG');
  });

  it('rejects every proper substring and every single-byte change of a vkey', () => {
    const b = Buffer.from(PETER_VKEY);
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i === 0 && j === b.length) continue;
        expect(codeOf(() => parseVerifierKey(b.subarray(i, j).toString('latin1'))), `[${i}:${j}]`).toBe('CONFIG');
      }
    }
    for (let i = 0; i < b.length; i++) {
      const m = Buffer.from(b);
      m[i]++;
      expect(codeOf(() => parseVerifierKey(m.toString('latin1'))), `byte ${i}`).toBe('CONFIG');
    }
  });

  it('type 0x01 and 0x04 vkeys of one key have different key IDs', () => {
    const k = keys.ed25519;
    expect(verifierKeyString('w', k).split('+')[1]).not.toBe(cosignerKeyString('w', k).split('+')[1]);
  });
});
