// Property tests: whatever a client sends, admission either returns or throws a CairnError with
// INVALID_ENTRY or UNSUPPORTED_KIND, never anything else (a crash would be a 500).
import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { admitEntry, canonicalizeEntry, preAuthEncoding, storedSearchKeys } from '../../src/kinds/index.js';
import { isCairnError } from '../../src/errors.js';
import { sigStructure } from '../../src/kinds/cose.js';
import { b64, digestOf, fixture, hashedrekordEntry, keyPair, publicPem, signArtifact } from './helpers.js';

function onlyCodedErrors(json: unknown): void {
  for (const f of [admitEntry, canonicalizeEntry]) {
    try {
      const a = f(json);
      // Whatever admit accepts and says is derivable, storage derives back exactly (no row kept).
      if ('derivedKeys' in a && a.derivedKeys) expect(storedSearchKeys(a.kind, a.body)).toEqual(a.indexKeys);
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

const paeSig = b64(sign('sha256', preAuthEncoding('application/vnd.in-toto+json', payload), privateKey));
const goodIntoto2 = {
  apiVersion: '0.0.2',
  kind: 'intoto',
  spec: {
    content: {
      envelope: { payloadType: 'application/vnd.in-toto+json', payload: b64(b64(payload)), signatures: [{ keyid: 'k', sig: b64(paeSig), publicKey: b64(publicPem(publicKey)) }] },
      hash: { algorithm: 'sha256', value: '00'.repeat(32) },
    },
  },
};
const goodIntoto1 = {
  apiVersion: '0.0.1',
  kind: 'intoto',
  spec: { content: { envelope: goodDsse.spec.proposedContent.envelope }, publicKey: b64(publicPem(publicKey)) },
};
// COSE_Sign1 by hand: d2 84, protected {1: -7} as a byte string, empty unprotected map, payload, r||s.
const coseProtected = Buffer.from('a10126', 'hex');
const coseSig = sign('sha256', sigStructure(coseProtected, new Uint8Array(0), payload), { key: privateKey, dsaEncoding: 'ieee-p1363' });
const coseMessage = Buffer.concat([Buffer.from('d28443', 'hex'), coseProtected, Buffer.from([0xa0, 0x58, payload.length]), payload, Buffer.from([0x58, 0x40]), coseSig]);
const goodCose = { apiVersion: '0.0.1', kind: 'cose', spec: { message: b64(coseMessage), publicKey: b64(publicPem(publicKey)), data: {} } };

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

describe('derivedKeys: only where the stored body gives the keys back', () => {
  it('is set by hashedrekord, equal to storedSearchKeys, and by no other kind', () => {
    const h = admitEntry(goodHashedrekord);
    expect(h.derivedKeys).toBe(true);
    expect(storedSearchKeys(h.kind, h.body)).toEqual(h.indexKeys);
    for (const e of [goodDsse, goodIntoto2, goodIntoto1, goodCose]) expect(admitEntry(e).derivedKeys, e.kind).toBeUndefined();
  });
});

describe('admission never throws anything but coded errors', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.anything(), onlyCodedErrors), { numRuns: 300 });
  });

  it('on arbitrary {kind, apiVersion, spec} shapes', () => {
    fc.assert(
      fc.property(fc.constantFrom('hashedrekord', 'dsse', 'intoto', 'cose', ''), fc.constantFrom('0.0.1', '0.0.2', ''), fc.jsonValue({ maxDepth: 4 }), (kind, apiVersion, spec) =>
        onlyCodedErrors({ kind, apiVersion, spec }),
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['hashedrekord', goodHashedrekord],
    ['dsse', goodDsse],
    ['stored dsse', JSON.parse(new TextDecoder().decode(admitEntry(goodDsse).body))],
    ['intoto 0.0.2', goodIntoto2],
    ['stored intoto 0.0.2', JSON.parse(new TextDecoder().decode(admitEntry(goodIntoto2).body))],
    ['intoto 0.0.1', goodIntoto1],
    ['stored intoto 0.0.1', JSON.parse(new TextDecoder().decode(admitEntry(goodIntoto1).body))],
    ['cose', goodCose],
  ])('on a valid %s entry with one field replaced by junk', (_name, good) => {
    expect(canonicalizeEntry(good).length).toBeGreaterThan(0); // the starting point is valid
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

  it('on COSE messages with bytes changed, cut or added (cbor-x sees every shape)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(coseMessage.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(coseMessage.length), fc.uint8Array({ maxLength: 8 }), (edits, cut, extra) => {
        const b = Buffer.from(coseMessage);
        for (const [at, v] of edits) b[at] = v;
        const e = structuredClone(goodCose);
        e.spec.message = b64(Buffer.concat([b.subarray(0, cut), extra]));
        onlyCodedErrors(e);
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary CBOR after the COSE_Sign1 tag', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const e = structuredClone(goodCose);
        e.spec.message = b64(Buffer.concat([Buffer.from('d284', 'hex'), bytes]));
        onlyCodedErrors(e);
      }),
      { numRuns: 300 },
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
