import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceSelector, SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openTsa } from '../../src/tsa/index.js';
import { openTestLog, tempDir } from '../helpers/test-log.js';

/** run runs a cairn command and returns its exit code and what it printed. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  const error = vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('cairn trust-root', () => {
  it.each(['ed25519', 'ecdsa-p256'] as const)('names the %s log key under the key IDs v1 and v2 entries carry, and the TSA chain', async (keyType) => {
    const dir = tempDir();
    const origin = 'log.example.com/cairn';
    const log = openTestLog({ dataDir: dir, keyType, origin });
    const tsa = openTsa({ dataDir: dir, name: origin });
    const r = await run(['trust-root', '--url', `https://${origin}`, '--data', dir]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.mediaType).toBe('application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    const root = TrustedRoot.fromJSON(json);
    const ids = root.tlogs.map((t) => Buffer.from(t.logId!.keyId).toString('hex'));
    const v1 = createHash('sha256').update(log.key.spkiDer).digest('hex');
    const v2 = createHash('sha256').update(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.from([0x01]), log.key.rawPublicKey])).digest('hex');
    expect(ids).toEqual(keyType === 'ed25519' ? [v1, v2] : [v1]);
    for (const t of root.tlogs) {
      expect(t.baseUrl).toBe(`https://${origin}`);
      expect(Buffer.from(t.publicKey!.rawBytes!)).toEqual(Buffer.from(log.key.spkiDer));
    }
    expect(root.timestampAuthorities).toHaveLength(1);
    expect(root.timestampAuthorities[0].certChain!.certificates.map((c) => Buffer.from(c.rawBytes))).toEqual(tsa.chain.map((c) => Buffer.from(c)));
    expect(root.timestampAuthorities[0].uri).toBe(`https://${origin}/api/v1/timestamp`);
    // Valid from the key file's creation, in whole seconds (v1 integrated times are seconds).
    const start = root.tlogs[0].publicKey!.validFor!.start!.getTime();
    expect(start % 1000).toBe(0);
    expect(start).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - start).toBeLessThan(60_000);
  });

  it('takes a public key file, leaves the TSA out with --no-tsa, and refuses a missing URL or key', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: tempDir() });
    const pub = join(dir, 'pub.pem');
    writeFileSync(pub, log.key.publicKeyPem);
    const r = await run(['trust-root', '--url', 'https://test.cairn.example/log', '--key', pub, '--no-tsa', '--data', dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).timestampAuthorities).toEqual([]);
    expect((await run(['trust-root', '--data', dir])).code).toBe(2);
    expect((await run(['trust-root', '--url', 'https://x', '--data', tempDir()])).err).toMatch(/does not exist/);
    // A URL that does not hold the origin is printed with a warning: sigstore-js would not match it.
    const w = await run(['trust-root', '--url', 'https://elsewhere.example', '--origin', 'test.cairn.example/log', '--key', pub, '--no-tsa']);
    expect(w.code).toBe(0);
    expect(w.err).toMatch(/does not contain the origin/);
  });
});

describe('cairn signing-config', () => {
  it('names the Rekor v2 URL first, then v1, and the TSA', async () => {
    const r = await run(['signing-config', '--url', 'http://localhost:3000/', '--valid-from', '2026-01-01T00:00:00Z']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.mediaType).toBe('application/vnd.dev.sigstore.signingconfig.v0.2+json');
    const cfg = SigningConfig.fromJSON(json);
    expect(cfg.rekorTlogUrls.map((s) => [s.url, s.majorApiVersion])).toEqual([
      ['http://localhost:3000', 2],
      ['http://localhost:3000', 1],
    ]);
    expect(cfg.tsaUrls.map((s) => s.url)).toEqual(['http://localhost:3000/api/v1/timestamp']);
    expect(cfg.rekorTlogConfig?.selector).toBe(ServiceSelector.ANY);
    expect(cfg.tsaUrls[0].validFor?.start?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const noTsa = JSON.parse((await run(['signing-config', '--url', 'http://x', '--no-tsa'])).out);
    expect(noTsa.tsaUrls).toEqual([]);
    expect((await run(['signing-config'])).code).toBe(2);
  });
});
