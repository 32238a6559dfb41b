import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { runWitness, type RunningWitness } from '../../src/cli/witness.js';
import type { Log } from '../../src/log/index.js';
import { generateKey, verifierKeyString } from '../../src/note/index.js';
import { body, tempDir } from '../helpers/test-log.js';

export const WITNESS_NAME = 'witness.test.example/w1';

const running: { stop: () => Promise<void> }[] = [];

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop().catch(() => {});
});

/** stopAfterTest stops r after the test unless the test already did. */
export function stopAfterTest<T extends { stop: () => Promise<void> }>(r: T): T {
  let done: Promise<void> | undefined;
  const stop = r.stop.bind(r);
  r.stop = () => (done ??= stop());
  running.push(r);
  return r;
}

/** startWitness runs `cairn witness` in-process on 127.0.0.1, port 0, trusting the given logs. */
export async function startWitness(logs: readonly Log[], dataDir = tempDir(), name = WITNESS_NAME): Promise<RunningWitness & { dataDir: string }> {
  const specs = [...new Set(logs.map((l) => `${l.origin}=${verifierKeyString(l.origin, l.key)}`))];
  const w = await runWitness({ port: 0, host: '127.0.0.1', data: dataDir, name, log: specs.join(',') }, () => {});
  return { ...stopAfterTest(w), dataDir };
}

/** keyFile writes a fresh Ed25519 PKCS#8 key (mode 0600) and returns its path. */
export function keyFile(dir = tempDir()): string {
  const p = join(dir, 'shared-key.pem');
  writeFileSync(p, generateKey('ed25519'), { mode: 0o600 });
  return p;
}

/** grow appends n distinct entries to log and waits for them to be integrated. */
export async function grow(log: Log, n: number, salt = ''): Promise<void> {
  const start = log.size;
  await Promise.all(Array.from({ length: n }, (_, i) => log.append({ body: body(start + i, salt), kind: 'test', indexKeys: [] })));
}

/** requestBody builds an add-checkpoint body for log's latest checkpoint from old size oldSize. */
export function requestBody(log: Log, oldSize: number, note = log.latest().c2sp): string {
  const proof = log.consistencyProof(oldSize, log.latest().size);
  return `old ${oldSize}\n${proof.map((h) => Buffer.from(h).toString('base64') + '\n').join('')}\n${note}`;
}

/** post sends an add-checkpoint request and returns status, content type and body text. */
export async function post(url: string, body: string | Uint8Array): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** bodyOf returns the text (checkpoint body) of a signed note. */
export function bodyOf(note: string): string {
  return note.slice(0, note.lastIndexOf('\n\n') + 1);
}

/**
 * specCheck verifies a cosignature/v1 line from first principles (c2sp.org/tlog-cosignature),
 * sharing no code with src/note: the key ID is SHA-256(name || 0x0A || 0x04 || key)[:4], the
 * signature is a big-endian u64 timestamp then Ed25519 over "cosignature/v1\ntime <t>\n" || body.
 * vkey is "<name>+<hex key ID>+base64(0x04 || key)". Returns the timestamp; throws on any mismatch.
 */
export function specCheck(checkpointBody: string, line: string, vkey: string): number {
  // The name and key ID hold no '+'; the base64 key may.
  const [, name, hexId, b64] = /^([^+]*)\+([^+]*)\+(.*)$/.exec(vkey)!;
  const material = Buffer.from(b64, 'base64');
  if (material[0] !== 0x04 || material.length !== 33) throw new Error('vkey is not a cosignature/v1 key');
  const pub = material.subarray(1);
  const wantId = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), Buffer.from([0x04]), pub])).digest().subarray(0, 4);
  if (wantId.toString('hex') !== hexId) throw new Error('vkey key ID mismatch');
  const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)\n?$/.exec(line);
  if (!m || m[1] !== name) throw new Error(`not a signature line by ${name}: ${line}`);
  const raw = Buffer.from(m[2], 'base64');
  if (raw.length !== 4 + 8 + 64) throw new Error(`cosignature is ${raw.length} bytes, want 76`);
  if (!raw.subarray(0, 4).equals(wantId)) throw new Error('signature key ID mismatch');
  const time = raw.readBigUInt64BE(4);
  if (time === 0n) throw new Error('zero timestamp');
  const msg = Buffer.concat([Buffer.from(`cosignature/v1\ntime ${time}\n`), Buffer.from(checkpointBody, 'utf8')]);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });
  if (!nodeVerify(null, msg, key, raw.subarray(12))) throw new Error('Ed25519 signature does not verify');
  return Number(time);
}
