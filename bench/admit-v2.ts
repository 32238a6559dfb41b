// Admission of one upload, Rekor v1 against Rekor v2, in process: the same ECDSA P-256
// hashedrekord (key, digest, signature) as a v1 proposed entry through admitBody and as a
// hashedRekordRequestV002 through admitV2Body (JSON parse, validation, signature check, JCS).
//
//   npx tsx bench/admit-v2.ts [RUNS=5] [N=5000]
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { admitBody } from '../src/api/admission.js';
import { admitV2Body } from '../src/api/admission-v2.js';
import { fmt, machine, median } from './lib.js';

const RUNS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 5000);
const enc = new TextEncoder();
const keys = Array.from({ length: 64 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const v1: Uint8Array[] = [];
const v2: Uint8Array[] = [];
for (let i = 0; i < N; i++) {
  const k = keys[i % keys.length];
  const artifact = randomBytes(32);
  const digest = createHash('sha256').update(artifact).digest();
  const content = sign('sha256', artifact, k.privateKey).toString('base64');
  const pem = Buffer.from(k.publicKey.export({ type: 'spki', format: 'pem' })).toString('base64');
  const der = k.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  v1.push(enc.encode(JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } }, signature: { content, publicKey: { content: pem } } } })));
  v2.push(enc.encode(JSON.stringify({ hashedRekordRequestV002: { digest: digest.toString('base64'), signature: { content, verifier: { publicKey: { rawBytes: der }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } } } })));
}
const us = (f: () => void) => {
  const t = performance.now();
  f();
  return ((performance.now() - t) * 1000) / N;
};
console.log(`admit bench: ${RUNS} runs x ${fmt(N)} uploads, ${machine()}`);
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < RUNS; r++) {
  a.push(us(() => v1.forEach((x) => admitBody(x))));
  b.push(us(() => v2.forEach((x) => admitV2Body(x))));
  console.log(`  run ${r + 1}: v1 ${a[r].toFixed(1)} µs, v2 ${b[r].toFixed(1)} µs an upload`);
}
console.log(`median: v1 ${median(a).toFixed(1)} µs, v2 ${median(b).toFixed(1)} µs an upload (v2/v1 ${(median(b) / median(a)).toFixed(2)})`);
