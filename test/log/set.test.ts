import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/kinds/index.js';
import { entryTimestampPayload } from '../../src/log/index.js';

const jcs = (f: { body: string; integratedTime: number; logID: string; logIndex: number }) =>
  Buffer.from(canonicalJson({ body: f.body, integratedTime: f.integratedTime, logID: f.logID, logIndex: f.logIndex }), 'utf8');

describe('entryTimestampPayload', () => {
  it('is the RFC 8785 form of the four fields, for base64 and hex as written and for any other strings', () => {
    const base64 = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));
    const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
    fc.assert(
      fc.property(
        fc.oneof(base64, fc.string({ unit: 'binary' })),
        fc.oneof(hex, fc.string({ unit: 'grapheme' })),
        fc.maxSafeInteger(),
        fc.oneof(fc.maxSafeNat(), fc.integer()),
        (body, logID, integratedTime, logIndex) => {
          const f = { body, integratedTime, logID, logIndex };
          // Lone surrogates have no JCS form: both refuse them.
          let want: Buffer | undefined;
          try {
            want = jcs(f);
          } catch {
            expect(() => entryTimestampPayload(f)).toThrow();
            return;
          }
          expect(Buffer.from(entryTimestampPayload(f))).toEqual(want);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses fields that are not safe integers', () => {
    expect(() => entryTimestampPayload({ body: '', integratedTime: 1.5, logID: '', logIndex: 0 })).toThrow(/non-integer/);
    expect(() => entryTimestampPayload({ body: '', integratedTime: 0, logID: '', logIndex: 2 ** 53 })).toThrow(/non-integer/);
  });
});
