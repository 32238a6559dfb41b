import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import {
  appendSignatures,
  c2spSigner,
  c2spVerifier,
  generateKey,
  loadPrivateKey,
  openNote,
  parseVerifierKey,
  signNote,
  splitNote,
  type NoteSigner,
  type NoteVerifier,
} from '../../src/note/index.js';
import {
  ed25519FromSeed,
  ENOCH_SIG,
  ENOCH_VKEY,
  GO_TEXT,
  PETER_SEED,
  PETER_SIG,
  PETER_VKEY,
  QUASIMODO_NOTE,
  SPEC_NOTE,
  SPEC_VKEY,
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

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);
const edKey = loadPrivateKey(generateKey('ed25519'));
const ecKey = loadPrivateKey(generateKey('ecdsa-p256'));
const edSigner = c2spSigner('cairn.example/ed', edKey);
const ecSigner = c2spSigner('cairn.example/ec', ecKey);
const edVerifier = c2spVerifier('cairn.example/ed', edKey);
const ecVerifier = c2spVerifier('cairn.example/ec', ecKey.publicKeyPem);

describe('spec and Go vectors', () => {
  it('the signed-note spec example verifies with its vkey', () => {
    const n = openNote(SPEC_NOTE, [parseVerifierKey(SPEC_VKEY)]);
    expect(n.text).toBe('This is an example message.\n');
    expect(n.verified.map((s) => s.name)).toEqual(['example.com/foo']);
    expect(Buffer.from(n.verified[0].keyId).toString('hex')).toBe('530d903a');
    expect(n.unverified).toEqual([]);
  });

  it('the spec opening example splits at the last blank line', () => {
    const s = splitNote(QUASIMODO_NOTE);
    expect(s.text).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n');
    expect(s.signatures).toHaveLength(1);
    expect(s.signatures[0].name).toBe('quasimodo.example/salvatore');
    expect(codeOf(() => openNote(QUASIMODO_NOTE, [peter]))).toBe('BAD_SIGNATURE'); // no known key
  });

  it("signing reproduces sumdb/note's PeterNeumann note byte for byte", () => {
    const signer = c2spSigner('PeterNeumann', ed25519FromSeed(PETER_SEED));
    expect(Buffer.from(signer.keyId).toString('hex')).toBe('c74f20a3');
    expect(signNote(GO_TEXT, [signer])).toBe(GO_TEXT + '\n' + PETER_SIG);
  });

  it('verifies both Go signatures, or one with the other kept unverified', () => {
    const msg = GO_TEXT + '\n' + PETER_SIG + ENOCH_SIG;
    const both = openNote(msg, [peter, enoch]);
    expect(both.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    const one = openNote(msg, [peter]);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => s.line + '\n')).toEqual([ENOCH_SIG]);
    expect(codeOf(() => openNote(msg, []))).toBe('BAD_SIGNATURE');
  });

  it('a known key whose signature fails rejects the whole note, even beside a valid one', () => {
    const bad = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60);
    expect(codeOf(() => openNote(GO_TEXT + '\n' + bad, [peter]))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => openNote(GO_TEXT + '\n' + ENOCH_SIG + bad, [peter, enoch]))).toBe('BAD_SIGNATURE');
    // Unknown to the verifier set, the same bad line is ignored.
    expect(openNote(GO_TEXT + '\n' + bad + ENOCH_SIG, [enoch]).unverified).toHaveLength(1);
  });

  it('duplicate lines are checked once and listed once', () => {
    const n = openNote(GO_TEXT + '\n' + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG, [peter]);
    expect(n.verified).toHaveLength(1);
    expect(n.unverified).toHaveLength(1);
  });
});

describe('unknown keys are ignored', () => {
  const text = 'hello\n';
  const note = signNote(text, [edSigner]);
  const renamed: NoteVerifier = { ...edVerifier, name: 'cairn.example/other' };
  const rekeyed: NoteVerifier = { ...edVerifier, keyId: Uint8Array.of(1, 2, 3, 4) };
  it.each<[string, NoteVerifier[]]>([
    ['same key ID, other name', [renamed]],
    ['same name, other key ID', [rekeyed]],
  ])('%s: the line is unknown, so no known key signed', (_name, verifiers) => {
    expect(codeOf(() => openNote(note, verifiers))).toBe('BAD_SIGNATURE');
  });

  it('a note with an unknown signature and a valid known one opens', () => {
    const both = signNote(text, [ecSigner, edSigner]);
    const n = openNote(both, [edVerifier]);
    expect(n.verified.map((s) => s.name)).toEqual(['cairn.example/ed']);
    expect(n.unverified.map((s) => s.name)).toEqual(['cairn.example/ec']);
  });

  it('a verifier that throws counts as a failed signature', () => {
    const throwing: NoteVerifier = { ...edVerifier, verify: () => { throw new Error('boom'); } };
    expect(codeOf(() => openNote(note, [throwing]))).toBe('BAD_SIGNATURE');
  });
});

describe('round trips', () => {
  it.each([
    ['ed25519', [edSigner], [edVerifier]],
    ['ecdsa-p256', [ecSigner], [ecVerifier]],
    ['both', [edSigner, ecSigner], [ecVerifier, edVerifier]],
  ] as [string, NoteSigner[], NoteVerifier[]][])('%s', (_name, signers, verifiers) => {
    const text = 'line one\n\nline three, after a blank line\n';
    const note = signNote(text, signers);
    const n = openNote(note, verifiers);
    expect(n.text).toBe(text);
    expect(n.verified.map((s) => s.name)).toEqual(signers.map((s) => s.name));
    expect(openNote(new TextEncoder().encode(note), verifiers).text).toBe(text);
  });

  it('any text without control characters round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: noteChar, maxLength: 200 }), (raw) => {
        const text = raw + '\n';
        const n = openNote(signNote(text, [edSigner]), [edVerifier]);
        expect(n.text).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts 100 signature lines, the limit', () => {
    const lines = Array.from({ length: 99 }, (_, i) => `— w${i}.example AAAAAAA=\n`).join('');
    const note = signNote(GO_TEXT, [ed25519Peter()]) + lines;
    expect(openNote(note, [peter]).unverified).toHaveLength(99);
  });
});

function ed25519Peter(): NoteSigner {
  return c2spSigner('PeterNeumann', ed25519FromSeed(PETER_SEED));
}

describe('malformed notes', () => {
  const good = GO_TEXT + '\n' + PETER_SIG;
  const sigBody = PETER_SIG.slice('— PeterNeumann '.length, -1);
  it.each<[string, string | Uint8Array]>([
    ['text only', GO_TEXT],
    ['blank line but no signatures', GO_TEXT + '\n'],
    ['no blank line before signatures', GO_TEXT + PETER_SIG],
    ['signature line without final newline', GO_TEXT + '\n' + PETER_SIG.slice(0, -1)],
    ['blank line after the signatures', good + '\n'],
    ['unexpected line after signatures', good + 'Unexpected line.\n'],
    ['control character U+0001', '\u0001' + good],
    ['tab', good.replace('If you', 'If\tyou')],
    ['CRLF line endings', good.replace(/\n/g, '\r\n')],
    ['CR in the text', good.replace('problem,\n', 'problem,\r\n')],
    ['invalid UTF-8 bytes', Buffer.concat([Buffer.from([0xff]), Buffer.from(good)])],
    ['overlong UTF-8 encoding', Buffer.concat([Buffer.from([0xc0, 0xaf]), Buffer.from(good)])],
    ['lone surrogate', '\ud800' + good],
    ['name with a space', GO_TEXT + '\n— Bad Name ' + sigBody + '\n'],
    ['name with a plus', GO_TEXT + '\n— Peter+Neumann ' + sigBody + '\n'],
    ['name with a no-break space', GO_TEXT + '\n— Peter\u00a0Neumann ' + sigBody + '\n'],
    ['empty name', GO_TEXT + '\n—  ' + sigBody + '\n'],
    ['no signature after the name', GO_TEXT + '\n— PeterNeumann\n'],
    ['empty signature', GO_TEXT + '\n— PeterNeumann \n'],
    ['two spaces before the signature', GO_TEXT + '\n— PeterNeumann  ' + sigBody + '\n'],
    ['trailing space', GO_TEXT + '\n— PeterNeumann ' + sigBody + ' \n'],
    ['hyphen instead of em dash', GO_TEXT + '\n- PeterNeumann ' + sigBody + '\n'],
    ['en dash instead of em dash', GO_TEXT + '\n\u2013 PeterNeumann ' + sigBody + '\n'],
    ['no space after the dash', GO_TEXT + '\n—PeterNeumann ' + sigBody + '\n'],
    ['base64 without padding', GO_TEXT + '\n— PeterNeumann ' + sigBody.replace(/=+$/, '') + '\n'],
    ['base64 with non-zero padding bits', GO_TEXT + '\n— PeterNeumann ' + sigBody.replace('AM=', 'AN=') + '\n'],
    ['base64url alphabet', GO_TEXT + '\n— PeterNeumann ' + sigBody.replace(/\//g, '_') + '\n'],
    ['signature of only a key ID', GO_TEXT + '\n— PeterNeumann x08gow==\n'],
    ['101 signatures', GO_TEXT + '\n' + PETER_SIG.repeat(101)],
    ['larger than 1 MiB', 'a'.repeat(1 << 20) + '\n\n' + PETER_SIG],
  ])('%s', (_name, msg) => {
    expect(codeOf(() => splitNote(msg))).toBe('MALFORMED_NOTE');
    expect(codeOf(() => openNote(msg, [peter]))).toBe('MALFORMED_NOTE');
  });
});

describe('signNote', () => {
  it.each<[string, string, NoteSigner[], string]>([
    ['text without final newline', 'abc', [edSigner], 'MALFORMED_NOTE'],
    ['empty text', '', [edSigner], 'MALFORMED_NOTE'],
    ['control character', 'a\u0007b\n', [edSigner], 'MALFORMED_NOTE'],
    ['no signers', 'abc\n', [], 'MALFORMED_NOTE'],
    ['signer name with a space', 'abc\n', [{ ...edSigner, name: 'bad name' }], 'CONFIG'],
  ])('rejects %s', (_name, text, signers, code) => {
    expect(codeOf(() => signNote(text, signers))).toBe(code);
  });

  it('writes text, a blank line, then one line per signer in order', () => {
    const note = signNote('abc\n', [edSigner, ecSigner]);
    const lines = note.split('\n');
    expect(lines.slice(0, 2)).toEqual(['abc', '']);
    expect(lines[2]).toMatch(/^— cairn\.example\/ed [A-Za-z0-9+/]+=*$/);
    expect(lines[3]).toMatch(/^— cairn\.example\/ec /);
    expect(lines[4]).toBe('');
  });
});

describe('appendSignatures', () => {
  const base = signNote(GO_TEXT, [ed25519Peter()]);
  it('appends a response block and a list of lines, skipping lines already present', () => {
    expect(appendSignatures(base, ENOCH_SIG)).toBe(base + ENOCH_SIG);
    expect(appendSignatures(base, [ENOCH_SIG.slice(0, -1), PETER_SIG])).toBe(base + ENOCH_SIG);
    expect(appendSignatures(base + ENOCH_SIG, ENOCH_SIG)).toBe(base + ENOCH_SIG);
    expect(openNote(appendSignatures(base, ENOCH_SIG), [peter, enoch]).verified).toHaveLength(2);
  });

  it.each<[string, string | string[]]>([
    ['a block without final newline', ENOCH_SIG.slice(0, -1)],
    ['a malformed line', ['— bad name AAAAAAA=']],
    ['a line holding two lines', [ENOCH_SIG + ENOCH_SIG]],
    ['an empty block line', '\n'],
    ['too many lines in all', Array.from({ length: 100 }, (_, i) => `— w${i}.example AAAAAAA=`)],
  ])('rejects %s', (_name, lines) => {
    expect(codeOf(() => appendSignatures(base, lines))).toBe('MALFORMED_NOTE');
  });
});

describe('mangling', () => {
  // A mangled note must never open as a different text: it fails, or opens as the original text.
  const text = 'cairn.example/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  const note = signNote(text, [edSigner, ecSigner]);
  const verifiers = [edVerifier, ecVerifier];
  const alphabet = ['\n', ' ', '—', '+', '=', 'A', 'a', '/', '0', '5', '\u00e8'];
  const edit = fc.oneof(
    fc.record({ op: fc.constant('replace'), at: fc.nat(), ch: fc.constantFrom(...alphabet) }),
    fc.record({ op: fc.constant('insert'), at: fc.nat(), ch: fc.constantFrom(...alphabet) }),
    fc.record({ op: fc.constant('delete'), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ op: fc.constant('duplicate'), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  );
  type Edit = { op: string; at: number; ch?: string; len?: number };
  const apply = (s: string, e: Edit): string => {
    const at = e.at % (s.length + 1);
    switch (e.op) {
      case 'replace':
        return s.slice(0, at) + e.ch + s.slice(at + 1);
      case 'insert':
        return s.slice(0, at) + e.ch + s.slice(at);
      case 'delete':
        return s.slice(0, at) + s.slice(at + (e.len ?? 1));
      default:
        return s.slice(0, at) + s.slice(at, at + (e.len ?? 1)) + s.slice(at);
    }
  };

  it('random edits never verify as a different text', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const mangled = edits.reduce(apply, note);
        let opened: string | undefined;
        try {
          opened = openNote(mangled, verifiers).text;
        } catch (e) {
          if (!isCairnError(e)) throw e;
          return;
        }
        expect(opened).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('every single-character change to the text is rejected', () => {
    for (let i = 0; i < text.length; i++) {
      const mangled = note.slice(0, i) + (note[i] === 'A' ? 'B' : 'A') + note.slice(i + 1);
      expect(codeOf(() => openNote(mangled, verifiers)), `position ${i}`).toMatch(/^(BAD_SIGNATURE|MALFORMED_NOTE)$/);
    }
  });
});
