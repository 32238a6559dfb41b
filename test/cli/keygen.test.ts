import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { isCairnError } from '../../src/errors.js';
import { Log, loadOrCreateKey } from '../../src/log/index.js';
import { generateKey, loadPrivateKey, verifierKeyString } from '../../src/note/index.js';
import { tempDir } from '../helpers/test-log.js';

afterEach(() => vi.restoreAllMocks());

function capture(): { out: () => string; err: () => string } {
  const out = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  const text = (m: typeof out) => m.mock.calls.map((c) => c.join(' ')).join('\n');
  return { out: () => text(out), err: () => text(err) };
}

describe('cairn keygen', () => {
  for (const type of ['ed25519', 'ecdsa-p256'] as const) {
    it(`writes a ${type} PKCS#8 key with mode 0600 and prints its public key, log ID and verifier key`, async () => {
      const file = join(tempDir(), 'log.pem');
      const io = capture();
      expect(await main(['keygen', '--out', file, '--type', type, '--origin', 'log.example.com/cairn'])).toBe(0);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const pem = readFileSync(file, 'utf8');
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const key = loadPrivateKey(pem);
      expect(key.type).toBe(type);
      const out = io.out();
      expect(out).toContain(`log ID: ${Buffer.from(key.logId).toString('hex')}`);
      expect(out).toContain(`note verifier key: ${verifierKeyString('log.example.com/cairn', key)}`);
      expect(out).toContain(key.publicKeyPem.trim());
      expect(out).not.toContain('PRIVATE KEY');
      // The key serves a log.
      const log = Log.open({ dataDir: tempDir(), origin: 'log.example.com/cairn', keyFile: file, heartbeatMs: 0 });
      expect(Buffer.from(log.key.logId)).toEqual(Buffer.from(key.logId));
      await log.close();
    });
  }

  it('refuses to overwrite an existing file', async () => {
    const file = join(tempDir(), 'log.pem');
    writeFileSync(file, 'precious', { mode: 0o600 });
    const io = capture();
    expect(await main(['keygen', '--out', file])).toBe(2);
    expect(io.err()).toBe(`cairn keygen: ${file} already exists; refusing to overwrite a key (choose another --out or remove it yourself)`);
    expect(readFileSync(file, 'utf8')).toBe('precious');
  });

  it('needs --out, and says how to get the verifier key without --origin', async () => {
    const io = capture();
    expect(await main(['keygen'])).toBe(2);
    expect(io.err()).toContain('--out FILE is required');
    const file = join(tempDir(), 'k.pem');
    expect(await main(['keygen', '--out', file])).toBe(0);
    expect(io.out()).toContain('pass --origin to print it');
    expect(await main(['keygen', '--out', join(tempDir(), 'x.pem'), '--origin', 'has space'])).toBe(2);
    expect(io.err()).toContain('--origin: "has space" is not a valid note key name');
  });
});

describe('key file permissions', () => {
  it('refuses a key readable by group or others, naming the fix', () => {
    // Mode bits are checked from stat(), so this holds even when the tests run as root.
    const dir = tempDir();
    const file = join(dir, 'key.pem');
    writeFileSync(file, generateKey('ed25519'), { mode: 0o600 });
    chmodSync(file, 0o640);
    let err: unknown;
    try {
      loadOrCreateKey(dir, file, 'ed25519');
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err, 'CONFIG')).toBe(true);
    expect((err as Error).message).toBe(`key file ${file} is readable by others (mode 640); fix it with: chmod 600 ${file}`);
    chmodSync(file, 0o600);
    expect(loadOrCreateKey(dir, file, 'ed25519').key.type).toBe('ed25519');
  });
});
