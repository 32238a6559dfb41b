// What parsing verification material with @peculiar/asn1-x509 would cost on the upload path,
// against the hand-written DER reader src/kinds uses (kinds/der.ts via pki.ts parseVerifier).
//
//   npx tsx bench/asn1-parse.ts [RUNS=5] [N=20000]
import { generateKeyPairSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectAlternativeName, SubjectPublicKeyInfo, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { parseVerifier } from '../src/kinds/pki.js';
import { issueCertificate, toPem } from '../src/tsa/index.js';
import { fmt, machine, median } from './lib.js';

const RUNS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 20000);

const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const now = new Date();
const certDer = issueCertificate({ subject: 's', issuer: 'ca', publicKey: k.publicKey, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, ca: false, eku: '1.3.6.1.5.5.7.3.3', notBefore: now, notAfter: new Date(now.getTime() + 3600_000) });
const spkiDer = new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' }));
const keyPem = new TextEncoder().encode(k.publicKey.export({ type: 'spki', format: 'pem' }) as string);
const certPem = new TextEncoder().encode(toPem(certDer));

function rate(f: () => void): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) f();
  return N / ((performance.now() - t) / 1000);
}

const cases: [string, () => void][] = [
  ['kinds parseVerifier(public key PEM)', () => parseVerifier(keyPem, 'k')],
  ['@peculiar SubjectPublicKeyInfo', () => AsnConvert.parse(spkiDer, SubjectPublicKeyInfo)],
  ['kinds parseVerifier(certificate PEM)', () => parseVerifier(certPem, 'c')],
  [
    '@peculiar Certificate + SAN extension',
    () => {
      const c = AsnConvert.parse(certDer, Certificate);
      const san = c.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectAltName);
      if (san) AsnConvert.parse(san.extnValue, SubjectAlternativeName);
    },
  ],
];
console.log(`asn1 parse bench: ${RUNS} runs x ${fmt(N)}, ${machine()}`);
const results = cases.map(() => [] as number[]);
for (let r = 0; r < RUNS; r++) cases.forEach(([, f], i) => results[i].push(rate(f)));
cases.forEach(([name], i) => console.log(`  ${name}: median ${fmt(median(results[i]))}/s (${(1e6 / median(results[i])).toFixed(1)} µs)`));
