// Real sigstore clients against a running Cairn with its TSA: @sigstore/sign writes through Rekor
// v2 (RekorWitness majorApiVersion 2, hashedrekord and DSSE) and timestamps through TSAWitness;
// @sigstore/verify checks the bundles with the TrustedRoot `cairn trust-root` prints. v1 bundles
// verify with the same root; tampered bundles fail with the client's own errors.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness, TSAWitness, type Signer } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { main } from '../../src/cli/main.js';
import type { Log } from '../../src/log/index.js';
import { rekorV2LogId } from '../../src/note/index.js';
import { issueCertificate, openTsa, toPem, type TimestampAuthority } from '../../src/tsa/index.js';
import { TEST_ORIGIN, openTestLog, tempDir } from '../helpers/test-log.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const BASE = `https://${TEST_ORIGIN}`;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

async function serve(log: Log, tsa: TimestampAuthority): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(log, { publicUrl: 'http://127.0.0.1', tsa }).listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** setup opens a log and its TSA in one data directory, serves both, and returns `cairn trust-root`'s output. */
async function setup(keyType: 'ed25519' | 'ecdsa-p256' = 'ed25519') {
  const dir = tempDir();
  const log = openTestLog({ dataDir: dir, keyType });
  const tsa = openTsa({ dataDir: dir, name: TEST_ORIGIN });
  const url = await serve(log, tsa);
  return { log, tsa, url, root: await trustRoot(dir) };
}

/** trustRoot runs `cairn trust-root` on a data directory and returns the JSON it prints. */
async function trustRoot(dir: string): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  try {
    expect(await main(['trust-root', '--url', BASE, '--data', dir, '--valid-from', '2020-01-01T00:00:00Z'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out.join('\n'));
}

/** artifactSigner returns a P-256 signer whose certificate a fresh test CA issued. */
function artifactSigner() {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + 3600_000);
  const caDer = issueCertificate({ subject: 'test CA', issuer: 'test CA', publicKey: ca.publicKey, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, ca: true, notBefore, notAfter });
  const leafDer = issueCertificate({
    subject: 'signer',
    issuer: 'test CA',
    publicKey: key.publicKey,
    issuerKey: ca.privateKey,
    issuerPublicKey: ca.publicKey,
    ca: false,
    eku: CODE_SIGNING,
    notBefore,
    notAfter,
  });
  const signer: Signer = {
    sign: async (data: Buffer) => ({ signature: sign('sha256', data, key.privateKey), key: { $case: 'x509Certificate', certificate: toPem(leafDer) } }),
  };
  return { signer, caDer, privateKey: key.privateKey as KeyObject };
}

/** verifier trusts root (a printed TrustedRoot) plus the artifact CA. */
function verifier(root: Record<string, unknown>, caDer: Uint8Array) {
  const withCa = {
    ...root,
    certificateAuthorities: [{ subject: {}, certChain: { certificates: [{ rawBytes: Buffer.from(caDer).toString('base64') }] }, validFor: { start: '2020-01-01T00:00:00Z' } }],
  };
  return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(withCa)), { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
}

function builders(url: string, signer: Signer, majorApiVersion = 2) {
  const witnesses = [new RekorWitness({ rekorBaseURL: url, majorApiVersion }), new TSAWitness({ tsaBaseURL: url })];
  return { message: new MessageSignatureBundleBuilder({ signer, witnesses }), dsse: new DSSEBundleBuilder({ signer, witnesses }) };
}

describe('sigstore-js against Cairn: Rekor v2 and the TSA', () => {
  it.each(['ed25519', 'ecdsa-p256'] as const)('signs a hashedrekord through v2 + TSA and verifies it (log key %s)', async (keyType) => {
    const { log, url, root } = await setup(keyType);
    const { signer, caDer } = artifactSigner();
    const artifact = Buffer.from(`artifact for ${keyType}`);
    const bundle = await builders(url, signer).message.create({ data: artifact });

    const entry = bundle.verificationMaterial.tlogEntries[0];
    expect(entry.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    expect(entry.integratedTime).toBe('0');
    expect(entry.inclusionPromise).toBeUndefined();
    expect(Buffer.from(entry.logId.keyId)).toEqual(Buffer.from(rekorV2LogId(log.origin, log.key)));
    const cp = log.checkpointAt(1)!;
    expect(entry.inclusionProof?.checkpoint?.envelope).toBe(keyType === 'ed25519' ? cp.c2sp : cp.rekor);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);

    const signed = verifier(root, caDer).verify(toSignedEntity(bundle, artifact));
    expect(signed.key).toBeDefined();
    // The entry is a leaf of the one tree: v1 reads return it.
    const v1 = (await (await fetch(`${url}/api/v1/log/entries?logIndex=0`)).json()) as Record<string, unknown>;
    expect(Buffer.from((Object.values(v1)[0] as { body: string }).body, 'base64')).toEqual(Buffer.from(entry.canonicalizedBody));
  });

  it('signs a DSSE envelope through v2 + TSA and verifies it', async () => {
    const { url, root } = await setup();
    const { signer, caDer } = artifactSigner();
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'a', digest: { sha256: 'ab'.repeat(32) } }] }));
    const bundle = await builders(url, signer).dsse.create({ data: statement, type: 'application/vnd.in-toto+json' });
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    verifier(root, caDer).verify(toSignedEntity(bundle));
  });

  it('verifies v1 bundles with the same trust root', async () => {
    const { url, root } = await setup('ed25519');
    const { signer, caDer } = artifactSigner();
    const artifact = Buffer.from('v1 artifact');
    const { message } = builders(url, signer, 1);
    const bundle = await message.create({ data: artifact });
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion.version).toBe('0.0.1');
    verifier(root, caDer).verify(toSignedEntity(bundle, artifact));
  });

  it('refuses tampered bundles with the client\'s own errors', async () => {
    const { url, root } = await setup();
    const { signer, caDer } = artifactSigner();
    const { message } = builders(url, signer);
    const artifact = Buffer.from('first');
    const bundle = await message.create({ data: artifact });
    const other = await message.create({ data: Buffer.from('second') });
    const v = verifier(root, caDer);
    v.verify(toSignedEntity(bundle, artifact));

    // Another log's key: its trust root does not verify this log's checkpoint.
    const elsewhere = await setup();
    expect(() => verifier(elsewhere.root, caDer).verify(toSignedEntity(bundle, artifact))).toThrow(/timestamp could not be verified|invalid checkpoint signature/);
    const otherLogOnly = { ...elsewhere.root, timestampAuthorities: root.timestampAuthorities };
    expect(() => verifier(otherLogOnly, caDer).verify(toSignedEntity(bundle, artifact))).toThrow(/invalid checkpoint signature/);

    const extended = structuredClone(bundle);
    extended.verificationMaterial.tlogEntries[0].inclusionProof!.hashes.push(Buffer.alloc(32));
    expect(() => v.verify(toSignedEntity(extended, artifact))).toThrow(/invalid hash count/);
    const twoEntries = await message.create({ data: Buffer.from('third') });
    const badHash = structuredClone(twoEntries);
    const hashes = badHash.verificationMaterial.tlogEntries[0].inclusionProof!.hashes;
    expect(hashes.length).toBeGreaterThan(0);
    hashes[0][0] ^= 1;
    expect(() => v.verify(toSignedEntity(badHash, Buffer.from('third')))).toThrow(/calculated root hash does not match inclusion proof/);

    const noTimestamp = structuredClone(bundle);
    noTimestamp.verificationMaterial.timestampVerificationData!.rfc3161Timestamps = [];
    expect(() => v.verify(toSignedEntity(noTimestamp, artifact))).toThrow(/expected 1 timestamps, got 0/);

    const swapped = structuredClone(bundle);
    swapped.verificationMaterial.timestampVerificationData = structuredClone(other.verificationMaterial.timestampVerificationData);
    expect(() => v.verify(toSignedEntity(swapped, artifact))).toThrow(/timestamp could not be verified/);
  });

  it('answers a duplicate with 409, x-log-index and the rekor-tiles error shape', async () => {
    const { url } = await setup();
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = Buffer.from('dup');
    const digest = createHash('sha256').update(data).digest();
    const request = {
      hashedRekordRequestV002: {
        digest: digest.toString('base64'),
        signature: {
          content: sign('sha256', data, spki.privateKey).toString('base64'),
          verifier: { publicKey: { rawBytes: spki.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
        },
      },
    };
    const post = () => fetch(`${url}/api/v2/log/entries`, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
    const first = await post();
    expect(first.status).toBe(201);
    const created = (await first.json()) as { logIndex: string };
    expect(created.logIndex).toBe('0');
    const again = await post();
    expect(again.status).toBe(409);
    expect(again.headers.get('x-log-index')).toBe('0');
    expect(await again.json()).toMatchObject({ code: 6, details: [] });
  });
});
