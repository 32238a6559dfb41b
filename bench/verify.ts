/**
 * Verification benchmark for entry admission: signatures over a given digest (what hashedrekord
 * needs; src/kinds/prehashed.ts), the pure-JS path and the verifyDigest entry point, against
 * node:crypto's verify, which hashes the message itself and so is only a reference for what OpenSSL
 * costs. Prints median verifications/s over repeated runs.
 *
 *   npx tsx bench/verify.ts [runs=5] [msPerRun=300]
 */
import { constants, createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { loadavg } from 'node:os';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { admitEntry, verifyDigest } from '../src/kinds/index.js';
import { nativeVerifyEcdsa } from '../src/kinds/native.js';
import { ecdsaSignatureValues, verifyEcdsaNoble, type CurveName } from '../src/kinds/prehashed.js';
import { fmt, machine, median } from './lib.js';

const runs = Math.max(5, Number(process.argv[2] ?? 5));
const msPerRun = Number(process.argv[3] ?? 300);

const msg = new TextEncoder().encode('a 1 KiB artifact stands in for any artifact: only its digest is signed'.padEnd(1024, '.'));
const digest = (alg: string) => createHash(alg).update(msg).digest();

/**
 * rates returns, for each fn, the median over `runs` runs of about msPerRun each of calls per
 * second. Runs of the fns are interleaved so that load changes on a shared machine hit all alike.
 */
function rates(...fns: (() => boolean)[]): number[] {
  for (const fn of fns) for (let i = 0; i < 20; i++) if (!fn()) throw new Error('bench: signature does not verify');
  const per: number[][] = fns.map(() => []);
  for (let r = 0; r < runs; r++) {
    fns.forEach((fn, k) => {
      let n = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < msPerRun) {
        for (let i = 0; i < 5; i++) fn();
        n += 5;
        elapsed = performance.now() - start;
      }
      per[k].push((n * 1000) / elapsed);
    });
  }
  return per.map(median);
}

interface Row {
  what: string;
  /** The pure-JS path (@noble/curves for ECDSA), what runs without the native addon. */
  js: number;
  /** verifyDigest, the entry point kinds call (native ECDSA when the addon is built). */
  ours?: number;
  /** node:crypto's verify over the message (it hashes), for reference. */
  reference?: number;
}

const NOBLE_CURVE: Record<string, CurveName> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

function ecdsa(curve: string, alg: 'sha256' | 'sha384' | 'sha512'): Row {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const sig = sign(alg, msg, privateKey);
  const d = digest(alg);
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const [js, ours, reference] = rates(
    () => {
      const rs = ecdsaSignatureValues(sig);
      return rs !== undefined && verifyEcdsaNoble(NOBLE_CURVE[curve], point, d, rs[0], rs[1]);
    },
    () => verifyDigest(publicKey, alg, d, sig),
    () => verify(alg, msg, publicKey, sig),
  );
  return { what: `ECDSA ${curve} ${alg}`, js, ours, reference };
}

function rsa(bits: number): Row[] {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const d = digest('sha256');
  const pkcs1 = sign('sha256', msg, privateKey);
  const pss = sign('sha256', msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const [pkcs1Js, pkcs1Ref, pssJs, pssRef] = rates(
    () => verifyDigest(publicKey, 'sha256', d, pkcs1),
    () => verify('sha256', msg, publicKey, pkcs1),
    () => verifyDigest(publicKey, 'sha256', d, pss, { rsaPadding: 'pss' }),
    () => verify('sha256', msg, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss),
  );
  return [
    { what: `RSA-${bits} PKCS#1 v1.5 sha256`, js: pkcs1Js, reference: pkcs1Ref },
    { what: `RSA-${bits} PSS sha256`, js: pssJs, reference: pssRef },
  ];
}

function ed25519(): Row[] {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const phSig = ed25519ph.sign(msg, seed);
  const pureSig = sign(null, msg, privateKey);
  // hashedrekord: Ed25519ph over the SHA-512 digest (pure JS; node cannot do Ed25519ph);
  // dsse: pure Ed25519 over the PAE goes straight to node:crypto.
  const [ph, pure] = rates(
    () => verifyDigest(publicKey, 'sha512', digest('sha512'), phSig),
    () => verify(null, msg, publicKey, pureSig),
  );
  return [
    { what: 'Ed25519ph over sha512 digest', js: ph },
    { what: 'Ed25519 (node, dsse path)', js: NaN, reference: pure },
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
  return { what: 'admitEntry hashedrekord P-256 (parse, verify, JCS)', js: NaN, ours: rates(() => admitEntry(entry).body.length > 0)[0] };
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

const cell = (n: number | undefined, w: number) => (n === undefined || Number.isNaN(n) ? '-' : fmt(n)).padStart(w);
console.log(`verify benchmark: median of ${runs} runs x ${msPerRun} ms; ${machine()}; load ${loadavg()[0].toFixed(1)}; native addon ${nativeVerifyEcdsa ? 'loaded' : 'absent'}`);
console.log(`${'operation'.padEnd(52)} ${'pure JS/s'.padStart(10)} ${'verifyDigest/s'.padStart(15)} ${'node:crypto/s'.padStart(14)}`);
for (const r of rows) console.log(`${r.what.padEnd(52)} ${cell(r.js, 10)} ${cell(r.ours, 15)} ${cell(r.reference, 14)}`);
console.log('pure JS and verifyDigest verify over a given digest (src/kinds/prehashed.ts); verifyDigest uses the native');
console.log('addon for ECDSA when built (CAIRN_NO_NATIVE=1 disables it); node:crypto hashes the message, for reference only.');
