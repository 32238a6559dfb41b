import { createHash, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import {
  appendSignatures,
  c2spSigner,
  c2spVerifier,
  cosign,
  cosignatureKeyId,
  cosignatureMessage,
  cosignatureSigner,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignerKeyString,
  formatCheckpoint,
  generateKey,
  loadPrivateKey,
  openCheckpoint,
  openNote,
  parseSignatureLine,
  parseVerifierKey,
  signNote,
  splitNote,
  verifyCosignature,
} from '../../src/note/index.js';
import { ARCHE_TEXT, REMORA_SIG, REMORA_TIME, REMORA_VKEY, SPEC_CHECKPOINT_TEXT, SPEC_LOG_SIG, SPEC_WITNESS_SIG } from './vectors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isCairnError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const remoraKey = Buffer.from(REMORA_VKEY.split('+')[2], 'base64').subarray(1);
const witnessKey = loadPrivateKey(generateKey('ed25519'));
const W = 'witness.example/w1';
const checkpoint = formatCheckpoint({ origin: 'cairn.example/log', size: 42, rootHash: new Uint8Array(32).fill(7) });

describe('cosignature/v1 vectors', () => {
  it('a real witness cosignature (remora.n621.de) verifies and yields its timestamp', () => {
    expect(verifyCosignature(ARCHE_TEXT, REMORA_SIG, 'remora.n621.de', remoraKey)).toBe(REMORA_TIME);
    expect(Buffer.from(cosignatureKeyId('remora.n621.de', remoraKey)).toString('hex')).toBe('da77ade7');
    expect(cosignerKeyString('remora.n621.de', remoraKey)).toBe(REMORA_VKEY);
  });

  it('the real cosignature fails for another checkpoint or time', () => {
    const other = ARCHE_TEXT.replace('1432088532', '1432088533');
    expect(codeOf(() => verifyCosignature(other, REMORA_SIG, 'remora.n621.de', remoraKey))).toBe('BAD_SIGNATURE');
    const raw = parseSignatureLine(REMORA_SIG.slice(0, -1));
    const later = Buffer.concat([raw.keyId, raw.signature]);
    later[11] ^= 1; // low byte of the timestamp
    const line = `— remora.n621.de ${later.toString('base64')}`;
    expect(codeOf(() => verifyCosignature(ARCHE_TEXT, line, 'remora.n621.de', remoraKey))).toBe('BAD_SIGNATURE');
  });

  it('the signed message is the one the tlog-cosignature spec shows', () => {
    expect(new TextDecoder().decode(cosignatureMessage(SPEC_CHECKPOINT_TEXT, 1679315147))).toBe(
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });

  it("the spec example's witness line carries the spec's example time", () => {
    const note = splitNote(SPEC_CHECKPOINT_TEXT + '\n' + SPEC_LOG_SIG + SPEC_WITNESS_SIG);
    const w = note.signatures[1];
    expect(w.name).toBe('witness.example.com/w1');
    expect(cosignatureTimestamp(w.signature)).toBe(1679315147);
  });
});

describe('cosign', () => {
  it('lays out keyID || u64be(time) || Ed25519(message) and verifies', () => {
    const line = cosign(checkpoint, witnessKey, W, 1_700_000_000);
    expect(line.endsWith('\n')).toBe(true);
    const sig = parseSignatureLine(line.slice(0, -1));
    expect(sig.name).toBe(W);
    const keyId = createHash('sha256').update(Buffer.concat([Buffer.from(W + '\n'), Buffer.from([4]), witnessKey.rawPublicKey])).digest();
    expect(sig.keyId).toEqual(new Uint8Array(keyId.subarray(0, 4)));
    expect(sig.signature.length).toBe(72);
    expect(Buffer.from(sig.signature.subarray(0, 8)).readBigUInt64BE()).toBe(1_700_000_000n);
    const msg = Buffer.from(`cosignature/v1\ntime 1700000000\n${checkpoint}`);
    expect(nodeVerify(null, msg, witnessKey.publicKeyPem, sig.signature.subarray(8))).toBe(true);
    expect(verifyCosignature(checkpoint, line, W, witnessKey)).toBe(1_700_000_000);
  });

  it('signs extension lines too', () => {
    const withExt = formatCheckpoint({ origin: 'o', size: 1, rootHash: new Uint8Array(32), extensions: ['ext'] });
    const line = cosign(withExt, witnessKey, W, 5);
    expect(verifyCosignature(withExt, line, W, witnessKey.rawPublicKey)).toBe(5);
    expect(codeOf(() => verifyCosignature(withExt.replace('ext', 'exu'), line, W, witnessKey))).toBe('BAD_SIGNATURE');
  });

  it.each<[string, () => unknown, string]>([
    ['text that is not a checkpoint', () => cosign('hello\n', witnessKey, W, 1), 'MALFORMED_NOTE'],
    ['a negative time', () => cosign(checkpoint, witnessKey, W, -1), 'BAD_REQUEST'],
    ['a fractional time', () => cosign(checkpoint, witnessKey, W, 1.5), 'BAD_REQUEST'],
    ['an ECDSA key', () => cosign(checkpoint, loadPrivateKey(generateKey('ecdsa-p256')), W, 1), 'CONFIG'],
    ['a name with a space', () => cosign(checkpoint, witnessKey, 'bad name', 1), 'CONFIG'],
  ])('rejects %s', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it.each<[string, () => unknown, string]>([
    ['another name', () => verifyCosignature(checkpoint, cosign(checkpoint, witnessKey, W, 1), 'other.example', witnessKey), 'BAD_SIGNATURE'],
    ['another key', () => verifyCosignature(checkpoint, cosign(checkpoint, witnessKey, W, 1), W, loadPrivateKey(generateKey('ed25519'))), 'BAD_SIGNATURE'],
    ['a garbled line', () => verifyCosignature(checkpoint, '— w AAA', W, witnessKey), 'MALFORMED_NOTE'],
    [
      'a plain Ed25519 note signature by the same key',
      () => {
        const plain = parseSignatureLine(signNote(checkpoint, [c2spSigner(W, witnessKey)]).split('\n')[4]);
        const forged = `— ${W} ${Buffer.concat([cosignatureKeyId(W, witnessKey.rawPublicKey), Buffer.alloc(8), plain.signature]).toString('base64')}`;
        return verifyCosignature(checkpoint, forged, W, witnessKey);
      },
      'BAD_SIGNATURE',
    ],
  ])('verifyCosignature rejects %s', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it('cosignatureTimestamp rejects wrong sizes and timestamps beyond 2^53 - 1', () => {
    expect(codeOf(() => cosignatureTimestamp(new Uint8Array(71)))).toBe('MALFORMED_NOTE');
    const big = new Uint8Array(72);
    new DataView(big.buffer).setBigUint64(0, 2n ** 63n - 1n);
    expect(codeOf(() => cosignatureTimestamp(big))).toBe('MALFORMED_NOTE');
  });
});

describe('witnessing a checkpoint', () => {
  it('log note + witness response → note verified by both, with the injected time', () => {
    const logKey = loadPrivateKey(generateKey('ed25519'));
    const logNote = signNote(checkpoint, [c2spSigner('cairn.example/log', logKey)]);
    let now = 1_800_000_000;
    const signer = cosignatureSigner(W, witnessKey, () => now);
    // What a tlog-witness add-checkpoint response body holds: signature lines only.
    const response = signNote(splitNote(logNote).text, [signer]).split('\n\n')[1];
    const witnessed = appendSignatures(logNote, response);
    const vkey = cosignerKeyString(W, witnessKey);
    expect(vkey.split('+')[2]).toMatch(/^B[A-P]/); // 0x04 type byte
    const o = openCheckpoint(witnessed, [c2spVerifier('cairn.example/log', logKey), parseVerifierKey(vkey)]);
    expect(o.verified.map((s) => s.name)).toEqual(['cairn.example/log', W]);
    expect(cosignatureTimestamp(o.verified[1].signature)).toBe(1_800_000_000);
    now += 60;
    expect(cosignatureTimestamp(splitNote(signNote(checkpoint, [signer])).signatures[0].signature)).toBe(1_800_000_060);
  });

  it('a cosignature verifier rejects a note whose text is not a checkpoint', () => {
    const v = cosignatureVerifier(W, witnessKey);
    const forged = `hello\n\n— ${W} ${Buffer.concat([v.keyId, Buffer.alloc(72)]).toString('base64')}\n`;
    expect(codeOf(() => openNote(forged, [v]))).toBe('BAD_SIGNATURE');
  });
});
