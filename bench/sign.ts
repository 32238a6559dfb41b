/**
 * Signing benchmark: node:crypto (OpenSSL) against @noble/curves for the signatures Cairn makes
 * and checks on every checkpoint. Prints the median ops/s of repeated timed runs for each, and the
 * node/noble ratio. src/note/keys.ts uses whichever is faster (node:crypto, as measured), and for
 * Ed25519 libsodium where it loads (src/note/ed25519.ts). The last table times what the log does
 * for every upload's SET, encoding its payload and signing it, against the generic JCS encoder
 * and node:crypto.
 *
 *   npx tsx bench/sign.ts [runs=9] [msPerRun=250]
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { canonicalJson } from '../src/kinds/index.js';
import { entryTimestampPayload } from '../src/log/index.js';
import { sodiumSigner } from '../src/note/ed25519.js';

const runs = Number(process.argv[2] ?? 9);
const msPerRun = Number(process.argv[3] ?? 250);

// A realistic message: a checkpoint body of a log with a few million entries.
const msg = new TextEncoder().encode('cairn.example/log\n4294967311\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');

/** opsPerSecond returns the median, over `runs` runs of about msPerRun each, of fn calls per second. */
function opsPerSecond(fn: () => unknown): number {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT and OpenSSL's tables
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < msPerRun) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
      elapsed = performance.now() - start;
    }
    rates.push((n * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

function rawEd25519(priv: KeyObject): { seed: Uint8Array; pub: Uint8Array } {
  const jwk = priv.export({ format: 'jwk' });
  return { seed: Buffer.from(jwk.d!, 'base64url'), pub: Buffer.from(jwk.x!, 'base64url') };
}

function rawP256(priv: KeyObject): { d: Uint8Array; pub: Uint8Array } {
  const jwk = priv.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return { d: Buffer.from(jwk.d!, 'base64url'), pub: Buffer.concat([Buffer.from([4]), x, y]) };
}

interface Row {
  op: string;
  node: number;
  noble: number;
}

function bench(): Row[] {
  const ed = generateKeyPairSync('ed25519');
  const edPriv = createPrivateKey(ed.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const edPub = createPublicKey(edPriv);
  const { seed, pub } = rawEd25519(edPriv);
  const edSig = sign(null, msg, edPriv);
  if (!ed25519.verify(edSig, msg, pub) || !verify(null, msg, edPub, ed25519.sign(msg, seed))) {
    throw new Error('bench: node and noble Ed25519 disagree');
  }

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { d, pub: ecPubRaw } = rawP256(ec.privateKey);
  const ecSig = sign('sha256', msg, ec.privateKey);
  if (!p256.verify(ecSig, msg, ecPubRaw, { format: 'der', lowS: false })) {
    throw new Error('bench: node and noble ECDSA disagree');
  }

  return [
    {
      op: 'ed25519 sign',
      node: opsPerSecond(() => sign(null, msg, edPriv)),
      noble: opsPerSecond(() => ed25519.sign(msg, seed)),
    },
    {
      op: 'ed25519 verify',
      node: opsPerSecond(() => verify(null, msg, edPub, edSig)),
      noble: opsPerSecond(() => ed25519.verify(edSig, msg, pub)),
    },
    {
      op: 'ecdsa-p256 sign',
      node: opsPerSecond(() => sign('sha256', msg, ec.privateKey)),
      noble: opsPerSecond(() => p256.sign(msg, d, { format: 'der' })),
    },
    {
      op: 'ecdsa-p256 verify',
      node: opsPerSecond(() => verify('sha256', msg, ec.publicKey, ecSig)),
      noble: opsPerSecond(() => p256.verify(ecSig, msg, ecPubRaw, { format: 'der', lowS: false })),
    },
  ];
}

const rows = bench();
console.log(`median of ${runs} runs x ${msPerRun} ms, ${msg.length}-byte message, node ${process.version}`);
console.log('op                  node:crypto ops/s   @noble ops/s   node/noble');
for (const r of rows) {
  console.log(
    `${r.op.padEnd(20)}${r.node.toFixed(0).padStart(17)}${r.noble.toFixed(0).padStart(15)}${(r.node / r.noble).toFixed(2).padStart(12)}x`,
  );
}

// What the log does for every upload's SET: encode the payload, sign it.
const ed = generateKeyPairSync('ed25519').privateKey;
const sodium = sodiumSigner(ed);
const fields = { body: Buffer.alloc(600, 7).toString('base64'), integratedTime: 1765000000, logID: 'ab'.repeat(32), logIndex: 123456 };
const payload = entryTimestampPayload(fields);
if (!sodium || !Buffer.from(sodium(payload)).equals(sign(null, payload, ed))) throw new Error('bench: libsodium and node:crypto disagree');
const generic = () => Buffer.from(canonicalJson({ body: fields.body, integratedTime: fields.integratedTime, logID: fields.logID, logIndex: fields.logIndex }), 'utf8');
console.log(`\nan upload's SET (${payload.length}-byte payload)     Cairn µs   node:crypto / generic JCS µs`);
const us = (ops: number) => (1e6 / ops).toFixed(2).padStart(8);
console.log(`ed25519 sign (libsodium)          ${us(opsPerSecond(() => sodium(payload)))}   ${us(opsPerSecond(() => sign(null, payload, ed)))}`);
console.log(`payload (spelled-out JCS)         ${us(opsPerSecond(() => entryTimestampPayload(fields)))}   ${us(opsPerSecond(generic))}`);
