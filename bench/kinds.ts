// Admission throughput per entry kind: admitEntry (parse, verify, canonicalize, index keys) on one
// thread, P-256 keys. With a baseline checkout's path, its src/kinds is loaded into the same
// process and the two are run in alternation, run by run, so load on a shared machine hits both
// alike; the ratio reported is the median of the per-pair ratios.
// Run: npx tsx bench/kinds.ts [runs=15] [msPerRun=400] [baseline checkout, e.g. a `git worktree` of main]
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ours from '../src/kinds/index.js';
import { fmt, machine, median, withServerFlags } from './lib.js';

withServerFlags();
const runs = Number(process.argv[2] ?? 15);
const msPerRun = Number(process.argv[3] ?? 400);
const baseDir = process.argv[4];
type Kinds = Pick<typeof ours, 'admitEntry' | 'supportedKinds'>;
const base: Kinds | undefined = baseDir ? await import(pathToFileURL(join(resolve(baseDir), 'src/kinds/index.ts')).href) : undefined;
const { preAuthEncoding } = ours;

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

function rate(k: Kinds, entry: unknown): number {
  let n = 0;
  const end = performance.now() + msPerRun;
  while (performance.now() < end) for (let i = 0; i < 20; i++, n++) k.admitEntry(entry);
  return n / (msPerRun / 1000);
}

const supports = (k: Kinds, name: string) => {
  const [kind, version] = name.split(' ');
  return new RegExp(`\\b${kind} [0-9./]*${version}`).test(k.supportedKinds());
};

console.log(`kinds benchmark: admitEntry/s, median of ${runs} runs x ${msPerRun} ms; ${machine()}; load ${loadavg()[0].toFixed(1)}`);
console.log(`${'kind'.padEnd(20)} ${'this/s'.padStart(8)}${base ? ` ${'baseline/s'.padStart(11)} ${'ratio'.padStart(6)}` : ''}`);
for (const [name, entry] of Object.entries(entries)) {
  const mine: number[] = [];
  const theirs: number[] = [];
  const withBase = base && supports(base, name);
  for (let r = 0; r < runs; r++) {
    // Alternate which goes first, so warm-up and drift favour neither.
    if (withBase && r % 2) theirs.push(rate(base, entry));
    mine.push(rate(ours, entry));
    if (withBase && !(r % 2)) theirs.push(rate(base, entry));
  }
  const ratio = withBase ? median(mine.map((m, i) => m / theirs[i])).toFixed(2) : '-';
  console.log(`${name.padEnd(20)} ${fmt(median(mine)).padStart(8)}${base ? ` ${(withBase ? fmt(median(theirs)) : '-').padStart(11)} ${ratio.padStart(6)}` : ''}`);
}
