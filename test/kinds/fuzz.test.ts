// Property tests: whatever a client sends, admission either returns or throws a CairnError with
// INVALID_ENTRY or UNSUPPORTED_KIND, never anything else (a crash would be a 500).
import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { admitEntry, canonicalizeEntry, preAuthEncoding } from '../../src/kinds/index.js';
import { isCairnError } from '../../src/errors.js';
import { b64, digestOf, fixture, hashedrekordEntry, keyPair, publicPem, signArtifact } from './helpers.js';

function onlyCodedErrors(json: unknown): void {
  for (const f of [admitEntry, canonicalizeEntry]) {
    try {
      f(json);
    } catch (e) {
      if (!isCairnError(e) || !['INVALID_ENTRY', 'UNSUPPORTED_KIND'].includes(e.code)) throw e;
      // An uncaught bug would surface as the generic fallback message; none is expected.
      expect(e.message).not.toBe('entry could not be processed');
    }
  }
}

const artifact = new TextEncoder().encode('fuzz');
const { publicKey, privateKey } = keyPair('p256');
const goodHashedrekord = hashedrekordEntry(signArtifact(privateKey, 'sha256', artifact), publicPem(publicKey), 'sha256', digestOf('sha256', artifact).toString('hex'));
const payload = new TextEncoder().encode('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');
const goodDsse = {
  apiVersion: '0.0.1',
  kind: 'dsse',
  spec: {
    proposedContent: {
      envelope: JSON.stringify({ payload: b64(payload), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: b64(sign('sha256', preAuthEncoding('application/vnd.in-toto+json', payload), privateKey)) }] }),
      verifiers: [b64(publicPem(publicKey))],
    },
  },
};

/** paths lists every [object, key] slot inside v, so a mutation can target any field. */
function slots(v: unknown, out: [Record<string | number, unknown>, string | number][] = []): [Record<string | number, unknown>, string | number][] {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
      slots((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.base64String({ maxLength: 80 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => b64(b)),
  fc.uint8Array({ maxLength: 300 }).map((b) => b64(`-----BEGIN CERTIFICATE-----\n${b64(b)}\n-----END CERTIFICATE-----\n`)),
  fc.uint8Array({ maxLength: 300 }).map((b) => b64(`-----BEGIN PUBLIC KEY-----\n${b64(b)}\n-----END PUBLIC KEY-----\n`)),
  fc.constantFrom(null, undefined, [], {}, '', 0, -1, 1e308, '__proto__', 'constructor'),
);

describe('admission never throws anything but coded errors', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.anything(), onlyCodedErrors), { numRuns: 300 });
  });

  it('on arbitrary {kind, apiVersion, spec} shapes', () => {
    fc.assert(
      fc.property(fc.constantFrom('hashedrekord', 'dsse', 'intoto', ''), fc.constantFrom('0.0.1', '0.0.2', ''), fc.jsonValue({ maxDepth: 4 }), (kind, apiVersion, spec) =>
        onlyCodedErrors({ kind, apiVersion, spec }),
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['hashedrekord', goodHashedrekord],
    ['dsse', goodDsse],
    ['stored dsse', JSON.parse(new TextDecoder().decode(admitEntry(goodDsse).body))],
  ])('on a valid %s entry with one field replaced by junk', (_name, good) => {
    const n = slots(structuredClone(good)).length;
    fc.assert(
      fc.property(fc.nat(n - 1), junkValue, (i, junk) => {
        const e = structuredClone(good);
        const [obj, key] = slots(e)[i];
        obj[key] = junk;
        onlyCodedErrors(e);
      }),
      { numRuns: 200 },
    );
  });

  it('on a dsse envelope with junk in it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (env) => {
        const e = structuredClone(goodDsse);
        e.spec.proposedContent.envelope = JSON.stringify(env) ?? 'null';
        onlyCodedErrors(e);
      }),
      { numRuns: 200 },
    );
  });

  it('on DER-like bytes in certificate PEM (mutated real certificates)', () => {
    const der = Buffer.from(fixture('leaf-p256.pem').replace(/-----[A-Z ]+-----|\n/g, ''), 'base64');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const b = Buffer.from(der);
        for (const [at, v] of edits) b[at] = v;
        const e = structuredClone(goodHashedrekord);
        e.spec.signature.publicKey.content = b64(`-----BEGIN CERTIFICATE-----\n${b.toString('base64')}\n-----END CERTIFICATE-----\n`);
        onlyCodedErrors(e);
      }),
      { numRuns: 200 },
    );
  });
});
