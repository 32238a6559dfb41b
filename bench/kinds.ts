// Admission throughput per entry kind: admitEntry (parse, verify, canonicalize, index keys) on one
// thread, median of repeated runs, P-256 keys. Kinds the checkout does not support are skipped,
// so the same script measures an older checkout as a baseline (copy it into that checkout's bench/).
// Run: npx tsx bench/kinds.ts [runs=7] [msPerRun=1000]
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { loadavg } from 'node:os';
import { admitEntry, preAuthEncoding, supportedKinds } from '../src/kinds/index.js';
import { fmt, machine, median, withServerFlags } from './lib.js';

withServerFlags();
const runs = Number(process.argv[2] ?? 7);
const msPerRun = Number(process.argv[3] ?? 1000);

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
const IN_TOTO = 'application/vnd.in-toto+json';
const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'a', digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'x', predicate: {} }));
const paeSig = sign('sha256', preAuthEncoding(IN_TOTO, statement), privateKey);
const artifact = Buffer.from('artifact');

const entries: Record<string, unknown> = {
  'hashedrekord 0.0.1': {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: { signature: { content: b64(sign('sha256', artifact, privateKey)), publicKey: { content: b64(pem) } }, data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') } } },
  },
  'dsse 0.0.1': {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope: JSON.stringify({ payload: b64(statement), payloadType: IN_TOTO, signatures: [{ sig: b64(paeSig) }] }), verifiers: [b64(pem)] } },
  },
  'intoto 0.0.2': {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: { content: { envelope: { payloadType: IN_TOTO, payload: b64(b64(statement)), signatures: [{ sig: b64(b64(paeSig)), publicKey: b64(pem) }] }, hash: { algorithm: 'sha256', value: '00'.repeat(32) } } },
  },
  'cose 0.0.1': coseEntry(),
};

function coseEntry(): unknown {
  const prot = Buffer.from('a10126', 'hex'); // {1: -7}: ES256
  const payload = Buffer.from('hello cose');
  // Sig_structure ["Signature1", prot, h'', payload] (RFC 9052 §4.4), written out.
  const tbs = Buffer.concat([Buffer.from('846a', 'hex'), Buffer.from('Signature1'), Buffer.from([0x43]), prot, Buffer.from([0x40, 0x40 + payload.length]), payload]);
  const sig = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const message = Buffer.concat([Buffer.from('d28443', 'hex'), prot, Buffer.from([0xa0, 0x40 + payload.length]), payload, Buffer.from([0x58, 0x40]), sig]);
  return { apiVersion: '0.0.1', kind: 'cose', spec: { message: b64(message), publicKey: b64(pem), data: {} } };
}

function rate(entry: unknown): number {
  const xs: number[] = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const end = performance.now() + msPerRun;
    while (performance.now() < end) for (let i = 0; i < 50; i++, n++) admitEntry(entry);
    xs.push(n / (msPerRun / 1000));
  }
  return median(xs);
}

const supported = supportedKinds();
console.log(`kinds benchmark: admitEntry/s, median of ${runs} runs x ${msPerRun} ms; ${machine()}; load ${loadavg()[0].toFixed(1)}`);
for (const [name, entry] of Object.entries(entries)) {
  const [kind, version] = name.split(' ');
  if (!new RegExp(`\\b${kind} [0-9./]*${version}`).test(supported)) {
    console.log(`${name.padEnd(20)} (not supported by this checkout)`);
    continue;
  }
  console.log(`${name.padEnd(20)} ${fmt(rate(entry)).padStart(8)}`);
}
