// Real sigstore clients against a running Cairn: @sigstore/sign uploads a hashedrekord through its
// Rekor v1 client, @sigstore/verify checks the bundle's tlog entry (SET, inclusion proof,
// checkpoint) with Cairn's key as the only trusted log.
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness, type Signer } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import type { Log } from '../../src/log/index.js';
import { TEST_ORIGIN, openTestLog } from '../helpers/test-log.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(log: Log): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(log, { publicUrl: 'http://127.0.0.1' }).listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const HINT = 'artifact-key';

function artifactSigner() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const signer: Signer = {
    sign: async (data: Buffer) => ({ signature: sign('sha256', data, privateKey), key: { $case: 'publicKey', publicKey: pem, hint: HINT } }),
  };
  return { signer, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** verifier trusts logKeyPem as the one transparency log, named by baseUrl, and the artifact key by hint. */
function verifier(logKeyPem: string, logKeyType: 'ed25519' | 'ecdsa-p256', artifactSpki: Buffer, baseUrl = `https://${TEST_ORIGIN}`, timestampThreshold = 1) {
  const spki = createPublicKey(logKeyPem).export({ type: 'spki', format: 'der' });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl,
        hashAlgorithm: 1, // SHA2_256
        // PublicKeyDetails: PKIX_ECDSA_P256_SHA_256 = 5, PKIX_ED25519 = 7
        publicKey: { rawBytes: spki, keyDetails: logKeyType === 'ed25519' ? 7 : 5, validFor: { start: new Date(0) } },
        logId: { keyId: createHash('sha256').update(spki).digest() },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const keys = { [HINT]: { rawBytes: artifactSpki, keyDetails: 5, validFor: { start: new Date(0) } } };
  return new Verifier(toTrustMaterial(trustedRoot as never, keys as never), { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold });
}

describe('sigstore-js against Cairn', () => {
  it.each(['ed25519', 'ecdsa-p256'] as const)('uploads a hashedrekord and verifies the bundle (log key %s)', async (keyType) => {
    const log = openTestLog({ keyType });
    const url = await serve(log);
    const { signer, spki } = artifactSigner();
    const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: url })] });
    const artifact = Buffer.from(`artifact for ${keyType}`);
    const bundle = await builder.create({ data: artifact });

    const entry = bundle.verificationMaterial.tlogEntries[0];
    expect(entry.logIndex).toBe('0');
    expect(entry.inclusionPromise?.signedEntryTimestamp.length).toBeGreaterThan(0);
    expect(entry.inclusionProof?.checkpoint?.envelope).toBe(log.checkpointAt(1)!.rekor);
    expect(log.size).toBe(1);

    const signed = verifier(log.key.publicKeyPem, keyType, spki).verify(toSignedEntity(bundle, artifact));
    expect(signed.key).toBeDefined();

    // The same bundle must not verify against another log key, another artifact, or a forged SET.
    const other = openTestLog({ keyType });
    expect(() => verifier(other.key.publicKeyPem, keyType, spki).verify(toSignedEntity(bundle, artifact))).toThrow();
    expect(() => verifier(log.key.publicKeyPem, keyType, spki).verify(toSignedEntity(bundle, Buffer.from('other')))).toThrow();
    const forged = structuredClone(bundle);
    forged.verificationMaterial.tlogEntries[0].integratedTime = String(Number(entry.integratedTime) + 1);
    forged.verificationMaterial.tlogEntries[0].inclusionProof = undefined;
    expect(() => verifier(log.key.publicKeyPem, keyType, spki).verify(toSignedEntity(forged, artifact))).toThrow(/inclusion promise/);
  });

  it('verifies the inclusion proof and checkpoint alone (no SET), and refuses a checkpoint named for another log', async () => {
    const log = openTestLog();
    const url = await serve(log);
    const { signer, spki } = artifactSigner();
    const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: url })] });
    await builder.create({ data: Buffer.from('first') });
    const artifact = Buffer.from('second');
    const bundle = await builder.create({ data: artifact });
    bundle.verificationMaterial.tlogEntries[0].inclusionPromise = undefined;
    // Without a SET there is no log timestamp, so the verifier is told to need none.
    const base = `https://${TEST_ORIGIN}`;
    verifier(log.key.publicKeyPem, 'ed25519', spki, base, 0).verify(toSignedEntity(bundle, artifact));
    expect(() => verifier(log.key.publicKeyPem, 'ed25519', spki, 'https://elsewhere.example', 0).verify(toSignedEntity(bundle, artifact))).toThrow(/checkpoint/);
    const badProof = structuredClone(bundle);
    badProof.verificationMaterial.tlogEntries[0].inclusionProof!.hashes[0][0] ^= 1;
    expect(() => verifier(log.key.publicKeyPem, 'ed25519', spki, base, 0).verify(toSignedEntity(badProof, artifact))).toThrow(/root hash/);
  });

  it('fetches the existing entry on a 409 through the Location header (fetchOnConflict)', async () => {
    const log = openTestLog();
    const url = await serve(log);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const data = Buffer.from('same artifact');
    const content = {
      $case: 'messageSignature' as const,
      messageSignature: { messageDigest: { algorithm: 1, digest: createHash('sha256').update(data).digest() }, signature: sign('sha256', data, privateKey) },
    };
    const witness = new RekorWitness({ rekorBaseURL: url, fetchOnConflict: true });
    const a = await witness.testify(content as never, pem);
    const b = await witness.testify(content as never, pem);
    expect(log.size).toBe(1);
    expect(b.tlogEntries[0].logIndex).toBe(a.tlogEntries[0].logIndex);
    expect(b.tlogEntries[0].canonicalizedBody).toEqual(a.tlogEntries[0].canonicalizedBody);
    const noFetch = new RekorWitness({ rekorBaseURL: url });
    await expect(noFetch.testify(content as never, pem)).rejects.toThrow(/equivalent entry already exists/);
  });

  it('uploads a DSSE attestation as an intoto 0.0.2 entry (entryType "intoto", legacyCompatibility) and verifies the bundle', async () => {
    const log = openTestLog({ keyType: 'ecdsa-p256' });
    const url = await serve(log);
    const { signer, spki } = artifactSigner();
    const builder = new DSSEBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: url, entryType: 'intoto' })] });
    const digest = createHash('sha256').update('the artifact').digest('hex');
    const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'a', digest: { sha256: digest } }], predicateType: 'https://example.com/p', predicate: {} };
    const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' });

    const entry = bundle.verificationMaterial.tlogEntries[0];
    expect(entry.kindVersion).toEqual({ kind: 'intoto', version: '0.0.2' });
    const body = JSON.parse(entry.canonicalizedBody.toString());
    expect(body.spec.content.envelope.payload).toBeUndefined(); // the payload is not stored
    verifier(log.key.publicKeyPem, 'ecdsa-p256', spki).verify(toSignedEntity(bundle));

    // Found by the statement's subject digest.
    const post = (path: string, json: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }).then((r) => r.json());
    const uuids = (await post('/api/v1/index/retrieve', { hash: `sha256:${digest}` })) as string[];
    expect(uuids).toHaveLength(1);
    const found = (await post('/api/v1/log/entries/retrieve', { entryUUIDs: uuids })) as Record<string, { body: string }>[];
    expect(Buffer.from(Object.values(found[0])[0].body, 'base64').equals(entry.canonicalizedBody)).toBe(true);

    // A bundle whose envelope signature differs from the logged one does not verify.
    const forged = structuredClone(bundle);
    forged.content.dsseEnvelope.signatures[0].sig[5] ^= 1;
    expect(() => verifier(log.key.publicKeyPem, 'ecdsa-p256', spki).verify(toSignedEntity(forged))).toThrow();
  });
});
