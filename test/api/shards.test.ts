// Log rotation under load, through the HTTP API: uploads run while the log is rotated twice;
// every acknowledged upload is then found exactly once, by virtual index, by entry ID (with and
// without its tree ID), by search, and in its shard's tiles, with proofs, checkpoints and SETs
// that verify with that shard's own key. Bad shard references get 4xx JSON.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { Shards, verifyEntryTimestamp } from '../../src/log/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { c2spVerifier, openCheckpoint, publicKeyFromSpki, rekorVerifier } from '../../src/note/index.js';
import { createPublicKey } from 'node:crypto';
import { TEST_ORIGIN, tempDir } from '../helpers/test-log.js';
import { SpecReader, specBundle, specTilePath } from '../tiles/spec-reader.js';
import { newSigner, proposedEntry } from './entries-gen.js';

const open: { shards: Shards; server: Server }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await new Promise((r) => o.server.close(r));
    await o.shards.close();
  }
});

async function serveShards(dataDir: string): Promise<{ shards: Shards; url: string }> {
  const shards = Shards.open({ dataDir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'NORMAL' });
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(shards, { publicUrl: 'http://cairn.test' }).listen(0, '127.0.0.1', () => resolve(s));
  });
  open.push({ shards, server });
  return { shards, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Ack {
  id: string;
  logIndex: number;
  body: string;
}

const json = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init);
  return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as never };
};
const post = (url: string, body: unknown) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('log rotation and shards', () => {
  it('rotates twice under concurrent uploads; every acknowledged entry is readable and provable once, through every API', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const { shards, url } = await serveShards(dataDir);
    const signer = newSigner();
    const acks: Ack[] = [];
    const failures: string[] = [];
    let stop = false;
    const uploader = async () => {
      while (!stop) {
        const r = await post(`${url}/api/v1/log/entries`, proposedEntry(signer));
        if (r.status !== 201) failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        else {
          const [[id, e]] = Object.entries(r.body as Record<string, { logIndex: number; body: string }>);
          acks.push({ id, logIndex: e.logIndex, body: e.body });
        }
      }
    };
    const until = async (n: number) => {
      while (acks.length < n) await new Promise((r) => setTimeout(r, 5));
    };
    const workers = Array.from({ length: 6 }, uploader);
    await until(40);
    const rotated = await shards.rotate();
    await until(acks.length + 40);
    await shards.rotate({ name: 'third' });
    await until(acks.length + 40);
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(shards.list.map((s) => s.record.name)).toEqual(['1', '2', 'third']);
    expect(rotated.record.origin).toBe(`${TEST_ORIGIN}/shards/2`);
    // Every acknowledged upload is there exactly once: the virtual indexes are 0..n-1, no gaps, no repeats.
    expect(shards.size).toBe(acks.length);
    expect(acks.map((a) => a.logIndex).sort((a, b) => a - b)).toEqual(acks.map((_, i) => i));
    const [first, second, third] = shards.list; // records as they are now (frozen ones carry their end)
    expect(first.record.frozen!.size).toBeGreaterThan(0);
    expect(second.record.indexOffset).toBe(first.record.frozen!.size);
    expect(second.record.frozen!.size).toBeGreaterThan(0);
    expect(third.log.size).toBeGreaterThan(0);
    expect(third.record.indexOffset).toBe(second.record.indexOffset + second.record.frozen!.size);
    expect(third.record.frozen).toBeUndefined();

    const info = (await json(`${url}/api/v1/log`)).body as { treeID: string; inactiveShards: { treeID: string; treeSize: number; rootHash: string; signedTreeHead: string }[] };
    expect(info.treeID).toBe(third.log.treeId);
    expect(info.inactiveShards.map((s) => [s.treeID, s.treeSize])).toEqual([first, second].map((s) => [s.log.treeId, s.record.frozen!.size]));

    const keyOf = (pem: string) => publicKeyFromSpki(new Uint8Array(createPublicKey(pem).export({ type: 'spki', format: 'der' })));
    for (const a of acks) {
      const shard = shards.list.find((s) => s.record.indexOffset <= a.logIndex && a.logIndex < s.record.indexOffset + s.log.size)!;
      const uuid = a.id.slice(16);
      expect(a.id.slice(0, 16)).toBe(BigInt(shard.log.treeId).toString(16).padStart(16, '0'));
      const byIndex = (await json(`${url}/api/v1/log/entries?logIndex=${a.logIndex}`)).body as Record<string, never>;
      const byId = (await json(`${url}/api/v1/log/entries/${a.id}`)).body as Record<string, never>;
      const byUuid = (await json(`${url}/api/v1/log/entries/${uuid}`)).body as Record<string, never>;
      expect(Object.keys(byIndex)).toEqual([a.id]);
      expect(byId).toEqual(byIndex);
      expect(byUuid).toEqual(byIndex);
      const e = byIndex[a.id] as { body: string; logIndex: number; logID: string; integratedTime: number; verification: { signedEntryTimestamp: string; inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string } } };
      expect(e.body).toBe(a.body);
      expect(e.logIndex).toBe(a.logIndex);
      // The proof, checkpoint and SET are the shard's own: its tree, its origin, its key.
      const p = e.verification.inclusionProof;
      expect(p.logIndex).toBe(a.logIndex - shard.record.indexOffset);
      verifyInclusion(Buffer.from(uuid, 'hex'), p.logIndex, p.treeSize, p.hashes.map((h) => Buffer.from(h, 'hex')), Buffer.from(p.rootHash, 'hex'));
      const cp = openCheckpoint(p.checkpoint, [rekorVerifier(shard.record.origin, shard.log.key.publicKeyPem)]).checkpoint;
      expect([cp.size, Buffer.from(cp.rootHash).toString('hex')]).toEqual([p.treeSize, p.rootHash]);
      const set = Buffer.from(e.verification.signedEntryTimestamp, 'base64');
      expect(e.logID).toBe(shard.log.logIdHex);
      expect(verifyEntryTimestamp(keyOf(shard.log.key.publicKeyPem), { body: e.body, integratedTime: e.integratedTime, logID: e.logID, logIndex: a.logIndex }, set)).toBe(true);
      expect(leafHash(Buffer.from(e.body, 'base64'))).toEqual(new Uint8Array(Buffer.from(uuid, 'hex')));
    }

    // Search spans every shard and answers entry IDs carrying each shard's tree ID.
    const found = (await post(`${url}/api/v1/index/retrieve`, { publicKey: { format: 'x509', content: Buffer.from(signer.pem).toString('base64') } })).body as string[];
    expect(found.sort()).toEqual(acks.map((a) => a.id).sort());
    const some = [acks[0], acks[acks.length - 1], acks[60]];
    const retrieved = (await post(`${url}/api/v1/log/entries/retrieve`, { entryUUIDs: some.map((a) => a.id.slice(16)), logIndexes: some.map((a) => a.logIndex) })).body as Record<string, unknown>[];
    expect(retrieved.map((r) => Object.keys(r)[0])).toEqual([...some, ...some].map((a) => a.id));

    // Each shard's tiles rebuild its own signed root, under its prefix; its bundles hold its bodies.
    for (const s of shards.list) {
      const prefix = `${url}/shards/${s.record.name}`;
      const note = await (await fetch(`${prefix}/checkpoint`)).text();
      const { checkpoint } = openCheckpoint(note, [c2spVerifier(s.record.origin, s.log.key.publicKeyPem)]);
      expect(checkpoint.size).toBe(s.log.size);
      const get = async (path: string) => new Uint8Array(await (await fetch(`${prefix}/${path}`)).arrayBuffer());
      expect(await new SpecReader(get, checkpoint.size).root()).toEqual(new Uint8Array(checkpoint.rootHash));
      const bodies: string[] = [];
      for (let n = 0; n * 256 < checkpoint.size; n++) {
        for (const b of specBundle(await get(specTilePath('entries', n, Math.min(256, checkpoint.size - n * 256))))) bodies.push(Buffer.from(b).toString('base64'));
      }
      const mine = acks.filter((a) => a.logIndex >= s.record.indexOffset && a.logIndex < s.record.indexOffset + s.log.size).sort((x, y) => x.logIndex - y.logIndex);
      expect(bodies).toEqual(mine.map((a) => a.body));
      // Consistency proofs in a frozen shard, named by its tree ID.
      const size = s.log.size;
      const proof = (await json(`${url}/api/v1/log/proof?firstSize=1&lastSize=${size}&treeID=${s.log.treeId}`)).body as { hashes: string[]; rootHash: string };
      expect(proof.rootHash).toBe(Buffer.from(checkpoint.rootHash).toString('hex'));
      verifyConsistency(1, size, proof.hashes.map((h) => Buffer.from(h, 'hex')), await s.log.rootAt(1), checkpoint.rootHash);
      expect((await fetch(`${url}/api/v1/log/publicKey?treeID=${s.log.treeId}`).then((r) => r.text())).trim()).toBe(s.log.key.publicKeyPem.trim());
    }
    // The root tile paths stay the first shard's (caches hold them as immutable).
    expect(await (await fetch(`${url}/checkpoint`)).text()).toBe(await (await fetch(`${url}/shards/1/checkpoint`)).text());

    // Reopened, the set is the same: frozen shards stay frozen and readable.
    const names = shards.list.map((s) => [s.record.name, s.log.treeId, s.log.size]);
    const o = open.pop()!;
    await new Promise((r) => o.server.close(r));
    await o.shards.close();
    const again = await serveShards(dataDir);
    expect(again.shards.list.map((s) => [s.record.name, s.log.treeId, s.log.size])).toEqual(names);
    expect(again.shards.list.map((s) => s.log.frozen)).toEqual([true, true, false]);
    const last = acks.find((a) => a.logIndex === 0)!;
    expect(Object.keys((await json(`${again.url}/api/v1/log/entries/${last.id}`)).body)).toEqual([last.id]);
  });

  it('answers bad shard references with 4xx JSON, and refuses writes to a frozen shard', async () => {
    const { shards, url } = await serveShards(tempDir());
    const signer = newSigner();
    const first = (await post(`${url}/api/v1/log/entries`, proposedEntry(signer))).body as Record<string, unknown>;
    const [id] = Object.keys(first);
    await shards.rotate();
    const cases: [string, number, RegExp][] = [
      [`/api/v1/log/entries/7fffffffffffffff${id.slice(16)}`, 404, /not a shard of this log/],
      [`/api/v1/log/entries/${id.slice(0, 20)}`, 400, /hexadecimal/],
      [`/api/v1/log/entries/ffffffffffffffff${id.slice(16)}`, 400, /not a valid TreeID/],
      ['/api/v1/log/proof?lastSize=1&treeID=12345', 400, /no log range found for tree ID 12345/],
      ['/api/v1/log/publicKey?treeID=abc', 400, /invalid tree ID/],
      ['/shards/nope/checkpoint', 404, /no shard named "nope"/],
      ['/shards/nope/tile/0/000.p/1', 404, /no shard named "nope"/],
      ['/api/v1/log/entries?logIndex=99', 404, /no entry at log index 99/],
    ];
    for (const [path, status, message] of cases) {
      const r = await json(url + path);
      expect([path, r.status, r.type]).toEqual([path, status, expect.stringMatching(/^application\/json/)]);
      expect((r.body as { message: string }).message).toMatch(message);
    }
    // The entry ID routes to the frozen shard; the bare UUID is found there too.
    expect(Object.keys((await json(`${url}/api/v1/log/entries/${id}`)).body)).toEqual([id]);
    expect(Object.keys((await json(`${url}/api/v1/log/entries/${id.slice(16)}`)).body)).toEqual([id]);
    // A Rekor v2 upload to the frozen shard's own URL is refused; at the root it goes to the active shard.
    const v2 = await post(`${url}/shards/1/api/v2/log/entries`, {});
    expect(v2.status).toBe(400);
    const frozenRefusal = await shards.list[0].log.append({ kind: 'hashedrekord/0.0.1', body: new Uint8Array([1]), indexKeys: [] }).catch((e: { code: string }) => e.code);
    expect(frozenRefusal).toBe('FROZEN');
    const unknown = await post(`${url}/shards/nope/api/v2/log/entries`, {});
    expect([unknown.status, (unknown.body as { code: number }).code]).toEqual([404, 5]);
  });
});
