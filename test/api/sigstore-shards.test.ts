// sigstore-js (@sigstore/sign, @sigstore/verify) and rotation: a bundle made on a shard still
// verifies after that shard is frozen, with the trust root `cairn trust-root` prints for the
// shard set (every shard's key, with its validity window), beside a bundle from the new shard.
import { generateKeyPairSync, sign } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MessageSignatureBundleBuilder, RekorWitness, type Signer } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { readTrustInputs, trustedRoot } from '../../src/cli/trust-root.js';
import { Shards } from '../../src/log/index.js';
import { tempDir } from '../helpers/test-log.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

const HINT = 'artifact-key';

describe('sigstore-js and shards', () => {
  it('verifies a bundle from a frozen shard and one from the active shard with the shard set\'s trust root', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    // The origin is the public URL without scheme, so each shard's URL contains its origin.
    const publicUrl = 'https://log.cairn.test';
    const shards = Shards.open({ dataDir, origin: 'log.cairn.test', heartbeatMs: 0, synchronous: 'NORMAL' });
    const server = await new Promise<Server>((resolve) => {
      const s = createApp(shards, { publicUrl }).listen(0, '127.0.0.1', () => resolve(s));
    });
    cleanup.push(async () => {
      await new Promise((r) => server.close(r));
      await shards.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const signer: Signer = { sign: async (data: Buffer) => ({ signature: sign('sha256', data, privateKey), key: { $case: 'publicKey', publicKey: pem, hint: HINT } }) };
    const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: url })] });
    const before = Buffer.from('signed on the first shard');
    await builder.create({ data: Buffer.from('an earlier one') });
    const old = await builder.create({ data: before });
    await shards.rotate();
    const after = Buffer.from('signed on the second shard');
    const fresh = await builder.create({ data: after });
    expect(old.verificationMaterial.tlogEntries[0].logIndex).toBe('1');
    expect(fresh.verificationMaterial.tlogEntries[0].logIndex).toBe('2'); // virtual: after the 2 of the frozen shard
    expect(fresh.verificationMaterial.tlogEntries[0].inclusionProof!.logIndex).toBe('0');

    const root = trustedRoot(readTrustInputs({ url: publicUrl, data: dataDir, 'no-tsa': true }));
    const tlogs = root.tlogs as { baseUrl: string; publicKey: { validFor: { start: string; end?: string } } }[];
    expect([...new Set(tlogs.map((t) => t.baseUrl))]).toEqual([publicUrl, `${publicUrl}/shards/2`]);
    expect(tlogs[0].publicKey.validFor.end).toBeDefined();
    expect(tlogs[tlogs.length - 1].publicKey.validFor.end).toBeUndefined();

    const keys = { [HINT]: { rawBytes: publicKey.export({ type: 'spki', format: 'der' }), keyDetails: 5, validFor: { start: new Date(0) } } };
    const verifier = (r: Record<string, unknown>) => new Verifier(toTrustMaterial(TrustedRoot.fromJSON(r), keys as never), { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
    verifier(root).verify(toSignedEntity(old, before));
    verifier(root).verify(toSignedEntity(fresh, after));
    // Without the frozen shard's key the old bundle fails; the SET signs the virtual index, so a changed one fails too.
    expect(() => verifier({ ...root, tlogs: tlogs.filter((t) => t.baseUrl !== publicUrl) }).verify(toSignedEntity(old, before))).toThrow();
    const moved = structuredClone(fresh);
    moved.verificationMaterial.tlogEntries[0].logIndex = '0';
    expect(() => verifier(root).verify(toSignedEntity(moved, after))).toThrow(/inclusion promise/);
  });
});
