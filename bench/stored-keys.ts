// CPU of deriving a stored hashedrekord body's search keys (kinds storedSearchKeys), per entry:
// what the index worker would pay instead of reading keys stored beside the entry (issue 16).
//
//   npx tsx bench/stored-keys.ts
import { join } from 'node:path';
import { generateKeyPairSync, createHash, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { admitEntry, storedSearchKeys } from '../src/kinds/index.js';
const art = Buffer.from('x');
const hex = createHash('sha256').update(art).digest('hex');
function entry(pem: string, key: any) {
  return { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { signature: { content: sign('sha256', art, key).toString('base64'), publicKey: { content: Buffer.from(pem).toString('base64') } }, data: { hash: { algorithm: 'sha256', value: hex } } } };
}
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const F = join(import.meta.dirname, '..', 'test', 'kinds', 'fixtures') + '/';
const cases: [string, any][] = [
  ['p256 key', admitEntry(entry(publicKey.export({ type: 'spki', format: 'pem' }) as string, privateKey))],
  ['p256 cert', admitEntry(entry(readFileSync(F + 'leaf-p256.pem', 'utf8'), readFileSync(F + 'leaf-p256.key', 'utf8')))],
];
const real = JSON.parse(readFileSync(F + 'rekor-entries.json', 'utf8'))[0];
cases.push(['real fulcio cert', { kind: 'hashedrekord/0.0.1', body: Buffer.from(real.canonicalizedBody, 'base64') }]);
for (const [name, a] of cases) {
  const n = 20000;
  for (let i = 0; i < 2000; i++) storedSearchKeys(a.kind, a.body);
  const t = performance.now();
  for (let i = 0; i < n; i++) storedSearchKeys(a.kind, a.body);
  console.log(`stored-keys ${name}: ${(((performance.now() - t) * 1000) / n).toFixed(1)} µs/entry, body ${a.body.length} B`);
}
