/**
 * Verification benchmark for entry admission: signatures over a given digest (what hashedrekord
 * needs; src/kinds/prehashed.ts) against node:crypto's verify, which hashes the message itself and
 * so is only a reference for what OpenSSL costs. Prints median verifications/s over repeated runs.
 *
 *   npx tsx bench/verify.ts [runs=5] [msPerRun=300]
 */
import { constants, createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { admitEntry, verifyDigest } from '../src/kinds/index.js';
import { fmt, machine, median } from './lib.js';

const runs = Math.max(5, Number(process.argv[2] ?? 5));
const msPerRun = Number(process.argv[3] ?? 300);

const msg = new TextEncoder().encode('a 1 KiB artifact stands in for any artifact: only its digest is signed'.padEnd(1024, '.'));
const digest = (alg: string) => createHash(alg).update(msg).digest();

/** rate returns the median, over `runs` runs of about msPerRun each, of fn calls per second. */
function rate(fn: () => boolean): number {
  for (let i = 0; i < 20; i++) if (!fn()) throw new Error('bench: signature does not verify');
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < msPerRun) {
      for (let i = 0; i < 10; i++) fn();
      n += 10;
      elapsed = performance.now() - start;
    }
    rates.push((n * 1000) / elapsed);
  }
  return median(rates);
}

interface Row {
  what: string;
  ours: number;
  reference?: number;
}

function ecdsa(curve: string, alg: 'sha256' | 'sha384' | 'sha512'): Row {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const sig = sign(alg, msg, privateKey);
  const d = digest(alg);
  return {
    what: `ECDSA ${curve} ${alg}`,
    ours: rate(() => verifyDigest(publicKey, alg, d, sig)),
    reference: rate(() => verify(alg, msg, publicKey, sig)),
  };
}

function rsa(bits: number): Row[] {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const d = digest('sha256');
  const pkcs1 = sign('sha256', msg, privateKey);
  const pss = sign('sha256', msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return [
    { what: `RSA-${bits} PKCS#1 v1.5 sha256`, ours: rate(() => verifyDigest(publicKey, 'sha256', d, pkcs1)), reference: rate(() => verify('sha256', msg, publicKey, pkcs1)) },
    {
      what: `RSA-${bits} PSS sha256`,
      ours: rate(() => verifyDigest(publicKey, 'sha256', d, pss, { rsaPadding: 'pss' })),
      reference: rate(() => verify('sha256', msg, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss)),
    },
  ];
}

function ed25519(): Row[] {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const phSig = ed25519ph.sign(msg, seed);
  const pureSig = sign(null, msg, privateKey);
  return [
    // hashedrekord: Ed25519ph over the SHA-512 digest (pure JS); node cannot do Ed25519ph.
    { what: 'Ed25519ph over sha512 digest', ours: rate(() => verifyDigest(publicKey, 'sha512', digest('sha512'), phSig)) },
    // dsse: pure Ed25519 over the PAE goes straight to node:crypto.
    { what: 'Ed25519 (node, dsse path)', ours: rate(() => verify(null, msg, publicKey, pureSig)) },
  ];
}

function admission(key: KeyObject, priv: KeyObject): Row {
  const pem = key.export({ type: 'spki', format: 'pem' }) as string;
  const entry = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      signature: { content: sign('sha256', msg, priv).toString('base64'), publicKey: { content: Buffer.from(pem).toString('base64') } },
      data: { hash: { algorithm: 'sha256', value: digest('sha256').toString('hex') } },
    },
  };
  return { what: 'admitEntry hashedrekord P-256 (parse, verify, JCS)', ours: rate(() => admitEntry(entry).body.length > 0) };
}

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rows: Row[] = [
  ecdsa('P-256', 'sha256'),
  ecdsa('P-384', 'sha384'),
  ecdsa('P-521', 'sha512'),
  ...ed25519(),
  ...rsa(2048),
  admission(p256.publicKey, p256.privateKey),
];

console.log(`verify benchmark: median of ${runs} runs x ${msPerRun} ms; ${machine()}`);
console.log(`${'operation'.padEnd(52)} ${'ours/s'.padStart(10)} ${'node:crypto/s'.padStart(14)}`);
for (const r of rows) {
  console.log(`${r.what.padEnd(52)} ${fmt(r.ours).padStart(10)} ${(r.reference === undefined ? '-' : fmt(r.reference)).padStart(14)}`);
}
console.log('ours = over a given digest (src/kinds/prehashed.ts); node:crypto = hashing verify of the message, for reference.');
