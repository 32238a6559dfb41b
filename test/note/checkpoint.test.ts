import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import {
  c2spSigner,
  c2spVerifier,
  formatCheckpoint,
  generateKey,
  loadPrivateKey,
  openCheckpoint,
  parseCheckpoint,
  parseVerifierKey,
  rekorVerifier,
  signNote,
  splitNote,
  type CheckpointFields,
} from '../../src/note/index.js';
import {
  ARCHE_NOTE,
  ARCHE_TEXT,
  ARCHE_VKEY,
  REKOR_CHECKPOINTS,
  REKOR_PEM,
  REKOR_VKEY,
  REMORA_VKEY,
  SPEC_CHECKPOINT_TEXT,
  SPEC_LOG_SIG,
  noteChar,
} from './vectors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isCairnError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const ROOT = Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64');

describe('checkpoint vectors', () => {
  it('parses the tlog-checkpoint spec example', () => {
    const note = SPEC_CHECKPOINT_TEXT + '\n' + SPEC_LOG_SIG;
    const cp = parseCheckpoint(splitNote(note).text);
    expect(cp).toEqual({ origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: new Uint8Array(ROOT), extensions: [] });
    expect(formatCheckpoint(cp)).toBe(SPEC_CHECKPOINT_TEXT);
  });

  it.each(REKOR_CHECKPOINTS.map((n, i) => [i, n]))('real rekor.sigstore.dev checkpoint %i verifies, both ways Rekor keys are named', (_i, note) => {
    const viaPem = openCheckpoint(note, [rekorVerifier('rekor.sigstore.dev', REKOR_PEM)]);
    expect(viaPem.checkpoint.origin).toBe('rekor.sigstore.dev - 2605736670972794746'); // spaces are allowed
    const viaVkey = openCheckpoint(note, [parseVerifierKey(REKOR_VKEY)]);
    expect(viaVkey.checkpoint).toEqual(viaPem.checkpoint);
    expect(formatCheckpoint(viaPem.checkpoint)).toBe(viaPem.text);
  });

  it('keeps Rekor extension lines', () => {
    const cp = openCheckpoint(REKOR_CHECKPOINTS[0], [rekorVerifier('rekor.sigstore.dev', REKOR_PEM)]).checkpoint;
    expect(cp.size).toBe(21428036);
    expect(cp.extensions).toEqual(['Timestamp: 1688058656037355364']);
  });

  it('a real witnessed transparency.dev checkpoint verifies with the log key and a witness key', () => {
    const o = openCheckpoint(ARCHE_NOTE, [parseVerifierKey(ARCHE_VKEY), parseVerifierKey(REMORA_VKEY)]);
    expect(o.text).toBe(ARCHE_TEXT);
    expect(o.checkpoint.size).toBe(1432088532);
    expect(o.verified.map((s) => s.name)).toEqual(['arche2025h1.staging.ct.transparency.dev', 'remora.n621.de']);
    expect(o.unverified).toHaveLength(4); // the RFC 6962 (type 0x05) line and three other witnesses
  });

  it('a tampered size fails the signature', () => {
    const tampered = REKOR_CHECKPOINTS[1].replace('90244708', '90244709');
    expect(codeOf(() => openCheckpoint(tampered, [rekorVerifier('rekor.sigstore.dev', REKOR_PEM)]))).toBe('BAD_SIGNATURE');
  });
});

describe('formatCheckpoint', () => {
  it('writes origin, size, base64 root and extensions, each newline-terminated', () => {
    expect(formatCheckpoint({ origin: 'o', size: 0, rootHash: new Uint8Array(32) })).toBe(
      'o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n',
    );
    expect(formatCheckpoint({ origin: 'o', size: 2 ** 53 - 1, rootHash: ROOT, extensions: ['x: 1', 'y'] })).toBe(
      'o\n9007199254740991\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx: 1\ny\n',
    );
  });

  const ok: CheckpointFields = { origin: 'o', size: 1, rootHash: ROOT };
  it.each<[string, CheckpointFields]>([
    ['empty origin', { ...ok, origin: '' }],
    ['origin with a newline', { ...ok, origin: 'a\nb' }],
    ['origin with a control character', { ...ok, origin: 'a\u0000' }],
    ['negative size', { ...ok, size: -1 }],
    ['fractional size', { ...ok, size: 1.5 }],
    ['size above 2^53 - 1', { ...ok, size: 2 ** 53 }],
    ['root of 31 bytes', { ...ok, rootHash: new Uint8Array(31) }],
    ['empty extension line', { ...ok, extensions: [''] }],
    ['extension with a newline', { ...ok, extensions: ['a\nb'] }],
  ])('rejects %s', (_name, c) => {
    expect(codeOf(() => formatCheckpoint(c))).toBe('MALFORMED_NOTE');
  });

  it('parseCheckpoint inverts formatCheckpoint', () => {
    const line = fc.string({ unit: noteChar, minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\n'));
    fc.assert(
      fc.property(
        line,
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootHash, extensions) => {
          const c = { origin, size, rootHash, extensions };
          expect(parseCheckpoint(formatCheckpoint(c))).toEqual(c);
        },
      ),
    );
  });
});

describe('malformed checkpoints', () => {
  const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
  it.each<[string, string]>([
    ['two lines', `o\n5\n`],
    ['no final newline', `o\n5\n${root}`],
    ['empty origin', `\n5\n${root}\n`],
    ['empty size', `o\n\n${root}\n`],
    ['size with a leading zero', `o\n01\n${root}\n`],
    ['size 00', `o\n00\n${root}\n`],
    ['negative size', `o\n-1\n${root}\n`],
    ['size with a plus sign', `o\n+1\n${root}\n`],
    ['size in exponent form', `o\n1e3\n${root}\n`],
    ['size in hex', `o\n0x10\n${root}\n`],
    ['size with a space', `o\n 5\n${root}\n`],
    ['size with a fraction', `o\n5.0\n${root}\n`],
    ['size above 2^53 - 1', `o\n9007199254740992\n${root}\n`],
    ['size of 20 digits', `o\n18446744073709551615\n${root}\n`],
    ['root of 31 bytes', `o\n5\n${Buffer.alloc(31).toString('base64')}\n`],
    ['root of 33 bytes', `o\n5\n${Buffer.alloc(33).toString('base64')}\n`],
    ['root without padding', `o\n5\n${root.slice(0, -1)}\n`],
    ['root in hex', `o\n5\n${Buffer.alloc(32).toString('hex')}\n`],
    ['root with non-zero padding bits', `o\n5\n${root.slice(0, -2)}J=\n`],
    ['empty extension line', `o\n5\n${root}\n\n`],
    ['empty line between extensions', `o\n5\n${root}\na\n\nb\n`],
    ['CRLF line endings', `o\r\n5\r\n${root}\r\n`],
    ['control character in the origin', `o\u0001\n5\n${root}\n`],
  ])('%s', (_name, text) => {
    expect(codeOf(() => parseCheckpoint(text))).toBe('MALFORMED_NOTE');
  });

  it('openCheckpoint rejects a validly signed note whose text is not a checkpoint', () => {
    const key = loadPrivateKey(generateKey('ed25519'));
    const note = signNote('not\na checkpoint\n', [c2spSigner('log', key)]);
    expect(codeOf(() => openCheckpoint(note, [c2spVerifier('log', key)]))).toBe('MALFORMED_NOTE');
  });
});
