/**
 * ECDSA P-256 verify over a given digest (hashedrekord's case): the native addon
 * (native/prehashed.c) against @noble/curves in pure JS, with node:crypto's verify (which hashes
 * the message itself, so it cannot serve hashedrekord) as the OpenSSL reference. Every call uses
 * another key, as with keyless (Fulcio) signing where each entry brings a fresh key.
 * Prints each method's median ops/s over the runs (methods interleaved within a run, so load
 * from other processes hits all of them alike) and the ratios.
 *
 *   npx tsx bench/verify-native.ts [runs=7] [msPerRun=300]
 */
import { p256 } from '@noble/curves/nist.js';
import { createHash, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { verifyDigest } from '../src/kinds/index.js';
import { nativeVerifyDigest, nativeVerifyEcdsa } from '../src/kinds/native.js';
import { fmt, machine, median } from './lib.js';

const runs = Number(process.argv[2] ?? 7);
const msPerRun = Number(process.argv[3] ?? 300);
const KEYS = 256;

if (!nativeVerifyDigest || !nativeVerifyEcdsa) {
  process.stderr.write('native addon not available: run `node scripts/build-native.mjs` (and unset CAIRN_NO_NATIVE)\n');
  process.exit(1);
}
const native = nativeVerifyDigest;
const nativeParts = nativeVerifyEcdsa;

interface Case {
  key: KeyObject;
  spki: Uint8Array;
  point: Uint8Array;
  data: Uint8Array;
  digest: Uint8Array;
  sig: Uint8Array;
  r: bigint;
  s: bigint;
}

const cases: Case[] = Array.from({ length: KEYS }, () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const data = randomBytes(64); // the artifact stands in as its digest's preimage; size barely matters
  const sig = new Uint8Array(sign('sha256', data, privateKey));
  const { r, s } = p256.Signature.fromBytes(sig, 'der');
  return {
    key: publicKey,
    spki,
    point: spki.subarray(spki.length - 65),
    data,
    digest: new Uint8Array(createHash('sha256').update(data).digest()),
    sig,
    r,
    s,
  };
});

const methods: Record<string, (c: Case) => boolean> = {
  'native addon (SPKI DER, digest)': (c) => native(c.spki, c.digest, c.sig),
  'native via nativeVerifyEcdsa (point, r, s)': (c) => nativeParts('prime256v1', c.point, c.digest, c.r, c.s),
  // The kinds' entry point: includes its (r, s) parse and whatever SPKI export it does per key.
  'kinds verifyDigest(KeyObject, ...)': (c) => verifyDigest(c.key, 'sha256', c.digest, c.sig),
  'native addon + KeyObject SPKI export': (c) => native(new Uint8Array(c.key.export({ type: 'spki', format: 'der' })), c.digest, c.sig),
  '@noble/curves p256 (pure JS, digest)': (c) => p256.verify(c.sig, c.digest, c.point, { lowS: false, prehash: false, format: 'der' }),
  'node:crypto verify (KeyObject, hashes data)': (c) => verify('sha256', c.data, c.key, c.sig),
};

// Every method must accept every case before its speed means anything.
for (const [name, fn] of Object.entries(methods)) {
  if (!cases.every(fn)) throw new Error(`${name} rejected a valid signature`);
}

const rates: Record<string, number[]> = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
for (let r = 0; r < runs; r++) {
  for (const [name, fn] of Object.entries(methods)) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < msPerRun) {
      for (let i = 0; i < 16; i++) fn(cases[(n + i) % KEYS]);
      n += 16;
      elapsed = performance.now() - start;
    }
    rates[name].push((n * 1000) / elapsed);
  }
}

const med = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
const nobleRate = med['@noble/curves p256 (pure JS, digest)'];
const nodeRate = med['node:crypto verify (KeyObject, hashes data)'];
console.log(`ECDSA P-256 verify, ${KEYS} keys round-robin, ${runs} runs x ${msPerRun} ms; ${machine()}`);
console.log('method'.padEnd(46) + 'median ops/s'.padStart(14) + 'x noble'.padStart(10) + 'x node'.padStart(9) + '   min..max');
for (const [name, rate] of Object.entries(med)) {
  const v = rates[name];
  console.log(
    name.padEnd(46) +
      fmt(rate).padStart(14) +
      (rate / nobleRate).toFixed(2).padStart(10) +
      (rate / nodeRate).toFixed(2).padStart(9) +
      `   ${fmt(Math.min(...v))}..${fmt(Math.max(...v))}`,
  );
}
