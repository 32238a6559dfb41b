// Hostile HTTP requests for every Cairn endpoint, as fast-check arbitraries, and a raw node:http
// sender (supertest would normalize the "../" and odd encodings we want to send). Shared by
// test/reliability/fuzz.test.ts (in-process app) and bench/soak.ts (the real server process).
import fc from 'fast-check';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { pem, san, selfSignedCert, seq, tlv } from './cert-gen.js';
import { badSignature, hashedrekord, newSigner, type ProposedHashedrekord } from './hashedrekord-gen.js';

/** BODY_LIMIT is the body limit the fuzzed app must be configured with (some requests straddle it). */
export const BODY_LIMIT = 64 * 1024;

export interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Write the body this many bytes at a time (slow or split clients). */
  chunk?: number;
  /** Malformed at the HTTP level: Node's parser may refuse it before the app sees it. */
  malformedHttp?: boolean;
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** send makes one request to 127.0.0.1:port; rejects if there is no complete answer within timeoutMs. */
export function send(port: number, r: Req, timeoutMs = 5_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    const headers: Record<string, string> = { ...r.headers };
    if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) headers['content-length'] = String(body.length);
    const req = httpRequest({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (!body) return void req.end();
    if (!r.chunk) return void req.end(body);
    for (let i = 0; i < body.length; i += r.chunk) req.write(body.subarray(i, i + r.chunk));
    req.end();
  });
}


const signer = newSigner();
const { privateKey: certKey, publicKey: certPub } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const certSpki = certPub.export({ type: 'spki', format: 'der' });
/** A pool of valid entries made up front (fast-check picks from it, so runs are reproducible by seed). */
export const VALID: ProposedHashedrekord[] = Array.from({ length: 64 }, (_, i) => hashedrekord(signer, Buffer.from(`artifact ${i}`)));
const BAD_SIG: ProposedHashedrekord[] = Array.from({ length: 8 }, () => badSignature(signer));
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

const hugeNumbers = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -1, -0, 0.5, 2 ** 64, 1e-320, -(2 ** 63));
const oddStrings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '\uFEFF', '\uD800', '../../etc/passwd', '%00', 'null', 'true', '[]', '{}', '__proto__', 'constructor', 'sha256', 'SHA256', 'x'.repeat(5000)),
  fc.constantFrom('@@@@', 'abc', 'a===', '====', 'YQ', 'YQ=', 'YQ==\n', 'Y Q = =', '-_-_', 'aGVsbG8', '!!'), // invalid/odd base64
  fc.stringMatching(/^[0-9a-fA-F]{0,130}$/), // hex of every length and case
  fc.uint8Array({ maxLength: 300 }).map((b) => b64(b)), // base64 of random bytes: not DER, not PEM
  fc.constantFrom(
    b64('-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n'),
    b64('-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n'),
    b64('-----BEGIN PUBLIC KEY-----\n'),
    b64('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n'),
    b64(`-----BEGIN PUBLIC KEY-----\n${b64(Buffer.alloc(91, 0x30))}\n-----END PUBLIC KEY-----\n`),
    b64(`-----BEGIN CERTIFICATE-----\n${b64(seq(seq(), seq()))}\n-----END CERTIFICATE-----\n`),
    b64(pem('PUBLIC KEY', Buffer.from(certSpki).subarray(0, 40))),
    b64(pem('PUBLIC KEY', Buffer.from(certSpki)).repeat(3)),
  ),
);
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  hugeNumbers,
  oddStrings,
  fc.constant(null),
  fc.array(oddStrings, { maxLength: 3 }),
  fc.dictionary(oddStrings, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

const ENTRY_PATHS: string[][] = [
  ['apiVersion'], ['kind'], ['spec'], ['spec', 'data'], ['spec', 'data', 'hash'], ['spec', 'data', 'hash', 'algorithm'],
  ['spec', 'data', 'hash', 'value'], ['spec', 'signature'], ['spec', 'signature', 'content'], ['spec', 'signature', 'publicKey'],
  ['spec', 'signature', 'publicKey', 'content'], ['spec', 'extra'], ['__proto__'], ['spec', 'data', 'hash', '__proto__'],
];

/** mutate returns a deep copy of e with the value at path replaced (undefined: deleted). */
function mutate(e: unknown, path: string[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  let o: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete o[last];
  else Object.defineProperty(o, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Certificates with subjectAltNames no CA would issue, carried as the entry's "public key". */
const oddSan = fc.oneof(
  fc.constant(seq()), // empty GeneralNames
  fc.constant(Buffer.from([0x30, 0x80, 0, 0])), // indefinite length (BER, not DER)
  fc.constant(tlv(0x04, Buffer.from('not a sequence'))),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), // arbitrary bytes
  fc.array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => san.email(s)),
      fc.string({ maxLength: 30 }).map((s) => san.uri(s)),
      fc.constantFrom('a\u0000b@example.com', 'ünïcödé@example.com', '@', 'x'.repeat(2000) + '@e.com').map((s) => san.email(s)),
      fc.constantFrom('https://example.com/%00', 'javascript:alert(1)', '', 'urn:' + 'x'.repeat(3000)).map((s) => san.uri(s)),
      fc.uint8Array({ maxLength: 20 }).map((b) => san.ip(b)), // IP addresses of every length
      fc.uint8Array({ maxLength: 20 }).map((b) => san.dns(b)),
      fc.constant(san.other([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07], tlv(0x0c, Buffer.from('user\u0000name')))), // Fulcio username
      fc.constant(san.other([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07], tlv(0x04, Buffer.from([1, 2])))), // wrong inner type
      fc.constant(san.other([], Buffer.alloc(0))), // empty OID
      fc.constant(san.raw(Buffer.from([0x81, 0x85, 0xff, 0xff, 0xff, 0xff, 0xff]))), // absurd length
      fc.constant(san.raw(tlv(0xa4, seq()))), // directoryName, empty
    ),
    { minLength: 1, maxLength: 4 },
  ).map((names) => seq(...names)),
);
const certEntry = fc.tuple(oddSan, fc.boolean(), fc.boolean()).map(([sanValue, critical, signed]) => {
  const der = selfSignedCert(certKey, certSpki, sanValue, { critical });
  const artifact = randomBytes(16);
  const e = hashedrekord(signer, artifact);
  e.spec.signature.publicKey.content = b64(pem('CERTIFICATE', der));
  // Signed by the certificate's key (may be admitted) or by another key (must not verify).
  if (signed) e.spec.signature.content = b64(sign('sha256', artifact, certKey));
  return e as unknown;
});

/** DSSE entries: a valid envelope signed over the PAE, and hostile envelopes and verifiers. */
function dsse(envelope: string, verifiers: unknown): unknown {
  return { apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope, verifiers } } };
}
function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
}
const dssePem = b64(certPub.export({ type: 'spki', format: 'pem' }) as string);
function dsseEnvelope(payload: Buffer, type = 'application/vnd.in-toto+json', sigs?: unknown[]): string {
  const sig = sign('sha256', pae(type, payload), certKey).toString('base64');
  return JSON.stringify({ payload: payload.toString('base64'), payloadType: type, signatures: sigs ?? [{ keyid: '', sig }] });
}
const dsseEntry: fc.Arbitrary<unknown> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 100 }).map((p) => dsse(dsseEnvelope(Buffer.from(p)), [dssePem])), // valid
  fc.uint8Array({ minLength: 1, maxLength: 100 }).map((p) => dsse(dsseEnvelope(Buffer.from(p)), [b64(signer.publicKeyContent)])), // wrong verifier
  fc.tuple(fc.uint8Array({ maxLength: 50 }), fc.array(fc.record({ keyid: jsonish, sig: oddStrings }, { requiredKeys: [] }), { maxLength: 4 })).map(([p, sigs]) => dsse(dsseEnvelope(Buffer.from(p), 'x', sigs), [dssePem])),
  fc.tuple(oddStrings, fc.oneof(fc.array(oddStrings, { maxLength: 3 }), jsonish)).map(([env, v]) => dsse(env, v)),
  fc.constantFrom(
    dsse(deepString(5_000), [dssePem]),
    dsse(JSON.stringify({ payload: 'YQ==', payloadType: 'x', signatures: Array.from({ length: 500 }, () => ({ sig: 'YQ==' })) }), [dssePem]),
    dsse(dsseEnvelope(Buffer.from('x')), Array.from({ length: 200 }, () => dssePem)),
    dsse(dsseEnvelope(Buffer.from('x')), [dssePem, dssePem]),
    dsse(dsseEnvelope(Buffer.from('x')).replace('"payload"', '"payload":1,"payload"'), [dssePem]),
  ),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.constantFrom(...ENTRY_PATHS.slice(0, 3)), jsonish).map(([p, path, v]) => mutate(dsse(dsseEnvelope(Buffer.from(p)), [dssePem]), path, v)),
);
function deepString(n: number): string {
  return '{"payload":'.repeat(n) + '1' + '}'.repeat(n);
}

const validEntry = fc.constantFrom(...VALID);
const proposedEntry: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(validEntry, fc.constantFrom(...ENTRY_PATHS), fc.option(jsonish, { nil: undefined })).map(([e, p, v]) => mutate(e, p, v)) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_SIG) },
  { weight: 2, arbitrary: certEntry },
  { weight: 2, arbitrary: fc.tuple(validEntry, fc.constantFrom('dsse', 'rekord', 'intoto', 'HASHEDREKORD', 'hashedrekord ', 'toString', '__proto__'), fc.constantFrom('0.0.1', '0.0.2', '0.1', '', '0.0.1\n', '1')).map(([e, kind, apiVersion]) => ({ ...e, kind, apiVersion })) },
  { weight: 1, arbitrary: validEntry.map((e) => mutate(e, ['spec', 'signature', 'content'], e.spec.signature.content.slice(0, 20))) },
  { weight: 1, arbitrary: fc.tuple(validEntry, validEntry).map(([a, b]) => mutate(a, ['spec', 'signature'], b.spec.signature)) }, // another entry's signature
  { weight: 1, arbitrary: validEntry.map((e) => mutate(e, ['spec', 'data', 'hash', 'value'], e.spec.data.hash.value.toUpperCase())) },
  { weight: 1, arbitrary: validEntry.map((e) => mutate(e, ['spec', 'data', 'hash', 'algorithm'], 'sha512')) },
  { weight: 3, arbitrary: dsseEntry },
  { weight: 1, arbitrary: jsonish },
);

const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);
const rawJson = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '', '{', '}', '[', 'null', 'true', '0', '"x"', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '\uFEFF{}', '{"kind":"hashedrekord"', '1e999999', '-', '[1,2', '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"x":1}}}', deep(10_000, '[', ']'), deep(10_000, '{"a":', '}'), deep(3_000, '{"spec":', '}', '{}'),
    `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":${deep(5_000, '{"data":', '}', '{}')}}`,
    JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: 'a'.repeat(BODY_LIMIT - 200) } } } }),
    'x'.repeat(BODY_LIMIT + 10), // past the body limit: 413
  ),
  proposedEntry.map((e) => JSON.stringify(e)).chain((s) => fc.nat(Math.max(0, s.length - 1)).map((n) => s.slice(0, n))), // truncated
);
const rawBody = fc.oneof(rawJson.map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.constant(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])), fc.constant(Buffer.from('{"a":"\xff\xfe"}', 'latin1')));

const contentType = fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '');
const withType = (body: string | Buffer, t: string | undefined): Pick<Req, 'body' | 'headers'> => ({ body, headers: t === undefined ? {} : { 'content-type': t } });

/** Numbers as a query might spell them. */
const queryNumber = fc.oneof(
  fc.integer({ min: -5, max: 300 }).map(String),
  fc.constantFrom('-1', '1.5', '1e3', '0x10', '', ' 1', '1 ', 'NaN', 'Infinity', '-0', '00', '9007199254740993', '99999999999999999999999', '1%00', '%31', '١', '+1', '1,2'),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
/** esc percent-encodes what an HTTP client could not put in a request line, keeping everything else raw. */
const esc = (s: string) => s.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c).replace(/%25/g, '%'));
const q = (name: string) => fc.oneof(
  queryNumber.map((v) => `${name}=${esc(v)}`),
  fc.tuple(queryNumber, queryNumber).map(([a, b]) => `${name}=${esc(a)}&${name}=${esc(b)}`),
  fc.constantFrom(`${name}[a]=1`, `${name}[]=1`, `${name}`, ''),
);
const uuidish = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[0-9a-f]{80}$/), fc.stringMatching(/^[0-9a-fA-F]{0,100}$/),
  fc.string({ maxLength: 100 }).map(encodeURIComponent), fc.constantFrom('..', '%2e%2e', '%2F', '%00', '%ZZ', '%', 'x'.repeat(5000), '0'.repeat(16) + 'a'.repeat(64)),
);
const tileSeg = fc.oneof(fc.integer({ min: 0, max: 1200 }).map((n) => String(n).padStart(3, '0')), fc.constantFrom('x000', 'x001', '000.p', '001.p', '-01', '0', '00', '0000', '1.5', 'x999', '%2e%2e', '..', '.', '', '256', 'entries', 'ÿ', '%00', '000.p/0', '000.p/256', '000.p/-1', '000.p/00'));
const tilePath = fc.oneof(
  fc.array(tileSeg, { minLength: 1, maxLength: 5 }).map((s) => esc('/tile/' + s.join('/'))),
  fc.tuple(fc.constantFrom('0', '1', '2', '8', '63', '64', 'entries', '-1', '%30'), fc.array(tileSeg, { minLength: 1, maxLength: 4 })).map(([l, s]) => esc(`/tile/${l}/${s.join('/')}`)),
  fc.constantFrom('/tile/../checkpoint', '/tile/0/../../etc/passwd', '/tile/%2e%2e/%2e%2e/etc/passwd', '/tile//0/000', '/tile/0/000.p/1?x=1', '/tile/0/x001/x002/x003/x004/x005/x006/000', '/tile/0/x' + '999/x'.repeat(30) + '999'),
);

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'PURGE', 'LOCK', 'SEARCH', 'MKCOL'];
const PATHS = ['/api/v1/log', '/api/v1/log/publicKey', '/api/v1/log/proof', '/api/v1/log/entries', '/api/v1/log/entries/retrieve', '/api/v1/index/retrieve', '/checkpoint', '/tile/0/000', '/healthz', '/readyz', '/metrics', '/', '/api', '/api/v2/log'];

/** request generates one hostile (or, sometimes, valid) request for any endpoint. */
export const request = fc.oneof(
  // Writes: proposed entries, broken JSON, odd content types, byte-at-a-time bodies.
  { weight: 12, arbitrary: fc.tuple(proposedEntry, contentType).map(([e, t]) => ({ method: 'POST', path: '/api/v1/log/entries', ...withType(JSON.stringify(e) ?? 'undefined', t ?? 'application/json') })) },
  { weight: 5, arbitrary: fc.tuple(rawBody, contentType).map(([b, t]) => ({ method: 'POST', path: '/api/v1/log/entries', ...withType(b, t) })) },
  { weight: 1, arbitrary: fc.tuple(proposedEntry, fc.integer({ min: 1, max: 7 })).map(([e, chunk]) => ({ method: 'POST', path: '/api/v1/log/entries', body: JSON.stringify(e) ?? '', headers: { 'content-type': 'application/json' }, chunk })) },
  { weight: 1, arbitrary: fc.constantFrom<Req>(
    { method: 'POST', path: '/api/v1/log/entries', headers: { 'content-length': '99999999999' }, body: '{}' }, // declared huge
    { method: 'POST', path: '/api/v1/log/entries', headers: { 'content-length': '-1' }, malformedHttp: true },
    { method: 'GET', path: '/tile/\u00ff/000', malformedHttp: true },
    { method: 'GET', path: '/api/v1/log/entries/' + 'a'.repeat(20_000), malformedHttp: true }, // request line past Node's header limit
    { method: 'GET', path: '/api/v1/log', headers: { 'x-filler': 'b'.repeat(20_000) }, malformedHttp: true },
    { method: 'GET', path: '/api/v1/log/entries?' + Array.from({ length: 800 }, (_, i) => `logIndex=${i}`).join('&') },
    { method: 'GET', path: '/api/v1/log/proof?' + Array.from({ length: 1200 }, (_, i) => `p${i}=1`).join('&') + '&firstSize=1&lastSize=2' },
    { method: 'POST', path: '/api/v1/log/entries', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' }, body: 'zz\r\n{}\r\n0\r\n\r\n', malformedHttp: true },
    { method: 'POST', path: '/api/v1/log/entries/retrieve', headers: { 'content-type': 'application/json', 'content-length': '5' }, body: '{"entryUUIDs":[]}', malformedHttp: true }, // the rest is a garbage second request
    { method: 'GET', path: '/api/v1/log/entries/%F0%9F%92%A9' },
    { method: 'GET', path: '/api/v1/log/entries/%C0%AE%C0%AE' }, // overlong UTF-8 dots
    { method: 'POST', path: '/api/v1/log/entries', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' }, body: 'x'.repeat(BODY_LIMIT * 2), chunk: 16384 },
    { method: 'POST', path: '/api/v1/log/entries', headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, body: Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]) },
    { method: 'POST', path: '/api/v1/log/entries', headers: { 'content-encoding': 'br', 'content-type': 'application/json' }, body: '{}' },
  ) },
  // Retrieve by UUID, index or proposed entry; index search.
  { weight: 5, arbitrary: fc.record({ entryUUIDs: fc.option(fc.oneof(fc.array(fc.oneof(uuidish.map(decodeURIComponentSafe), jsonish), { maxLength: 12 }), jsonish), { nil: undefined }), logIndexes: fc.option(fc.oneof(fc.array(fc.oneof(fc.integer({ min: -3, max: 100 }), hugeNumbers, jsonish), { maxLength: 12 }), jsonish), { nil: undefined }), entries: fc.option(fc.oneof(fc.array(proposedEntry, { maxLength: 3 }), jsonish), { nil: undefined }) }, { requiredKeys: [] }).map((b) => ({ method: 'POST', path: '/api/v1/log/entries/retrieve', body: JSON.stringify(b), headers: { 'content-type': 'application/json' } })) },
  { weight: 4, arbitrary: fc.record({ hash: jsonish, publicKey: fc.oneof(jsonish, fc.record({ format: fc.constantFrom('x509', 'pgp', 'ssh', 'minisign', 'tuf', 'X509', ''), content: oddStrings })), email: jsonish, subject: jsonish, operator: fc.oneof(fc.constantFrom('and', 'or', 'AND', ''), jsonish) }, { requiredKeys: [] }).map((b) => ({ method: 'POST', path: '/api/v1/index/retrieve', body: JSON.stringify(b), headers: { 'content-type': 'application/json' } })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/api/v1/log/entries/retrieve', '/api/v1/index/retrieve'), rawBody).map(([path, body]) => ({ method: 'POST', path, body, headers: { 'content-type': 'application/json' } })) },
  // Reads with hostile parameters.
  { weight: 4, arbitrary: q('logIndex').map((s) => ({ method: 'GET', path: `/api/v1/log/entries?${s}` })) },
  { weight: 3, arbitrary: uuidish.map((u) => ({ method: 'GET', path: `/api/v1/log/entries/${u}` })) },
  { weight: 4, arbitrary: fc.tuple(q('firstSize'), q('lastSize'), fc.option(q('treeID'), { nil: '' })).map(([a, b, c]) => ({ method: 'GET', path: `/api/v1/log/proof?${[a, b, c].filter(Boolean).join('&')}` })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/api/v1/log', '/api/v1/log/publicKey'), q('treeID')).map(([p, s]) => ({ method: 'GET', path: `${p}?${s}` })) },
  { weight: 5, arbitrary: fc.tuple(tilePath, fc.constantFrom(undefined, 'gzip', 'identity;q=0', '*;q=0')).map(([path, enc]) => ({ method: 'GET', path, headers: enc ? { 'accept-encoding': enc } : {} })) },
  // Every method on every route, and odd paths.
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...PATHS), fc.option(fc.string({ maxLength: 50 }), { nil: undefined })).map(([method, path, body]) => ({ method, path, ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}) })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => ({ method: 'GET', path: '/' + encodeURI(s).replace(/\?/g, '%3F') })) },
) as unknown as fc.Arbitrary<Req>;

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}


export function describeReq(r: Req): string {
  const b = r.body === undefined ? '' : ` body(${r.body.length}B)=${JSON.stringify(r.body.toString().slice(0, 300))}`;
  return `${r.method} ${r.path.slice(0, 300)}${r.headers && Object.keys(r.headers).length ? ' ' + JSON.stringify(r.headers) : ''}${r.chunk ? ` chunk=${r.chunk}` : ''}${b}`;
}

/**
 * checkAnswer returns what is wrong with res as an answer to r, or undefined: a 5xx, or an error
 * that is not a JSON {code, message} naming the problem.
 */
export function checkAnswer(r: Req, res: Res): string | undefined {
  if (res.status >= 500) return `${res.status} ${res.body.toString().slice(0, 200)}: ${describeReq(r)}`;
  // Node's HTTP parser answers a request line or header it cannot parse with a bare 400 and
  // closes; the app never sees it. Allowed only for requests made malformed on purpose.
  const parserRefusal = r.malformedHttp && (res.status === 400 || res.status === 431) && res.body.length === 0;
  if (res.status < 400 || r.method === 'HEAD' || parserRefusal) return undefined;
  try {
    const j = JSON.parse(res.body.toString()) as { code?: unknown; message?: unknown };
    if (String(res.headers['content-type']).startsWith('application/json') && j.code === res.status && typeof j.message === 'string' && j.message.length > 0 && j.message !== 'internal error') return undefined;
  } catch {
    // not JSON
  }
  return `${res.status} is not a JSON {code, message}: ${JSON.stringify(res.body.toString().slice(0, 200))} (${res.headers['content-type']}) for ${describeReq(r)}`;
}
