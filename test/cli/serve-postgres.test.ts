/**
 * `cairn serve --database`: two nodes in this process serve one log in PostgreSQL. Uploads through
 * either node get 201 with an inclusion proof to that node's checkpoint, a duplicate through the
 * other node gets 409 with the same UUID, reads agree on both, /readyz and /metrics say who leads,
 * a node with another key or origin is refused, and after the leader stops the other node
 * sequences. A fresh database per file; skipped without PostgreSQL (not in CI).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/config.js';
import { SERVE_OPTIONS, serve, type Running } from '../../src/cli/serve.js';
import { WITNESS_OPTIONS, runWitness } from '../../src/cli/witness.js';
import { isCairnError } from '../../src/errors.js';
import { auditPostgres } from '../../src/log/index.js';
import { leafHash, verifyInclusion } from '../../src/merkle/index.js';
import { c2spVerifier, generateKey, loadPrivateKey, openCheckpoint, parseVerifierKey, verifierKeyString } from '../../src/note/index.js';
import { readFileSync } from 'node:fs';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { TEST_ORIGIN, tempDir } from '../helpers/test-log.js';

const url = await testDatabase();
// The nodes' shared key lives for the whole file (tempDir's folders go after each test).
const keyFile = join(mkdtempSync(join(tmpdir(), 'cairn-pg-serve-')), 'log-key.pem');
writeFileSync(keyFile, generateKey('ed25519'), { mode: 0o600 });
afterAll(() => rmSync(join(keyFile, '..'), { recursive: true, force: true }));

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function node(schema: string, extra: string[] = []): Promise<Running> {
  const args = ['--port', '0', '--database', `${url}?schema=${schema}`, '--key', keyFile, '--origin', TEST_ORIGIN, '--heartbeat', '0', '--lease-ms', '1000', '--no-tsa', ...extra];
  const { values } = parseOptions(SERVE_OPTIONS, args, {});
  const r = await serve(values, pino({ level: 'silent' }));
  running.push(r);
  return r;
}

interface LogEntryJson {
  logIndex: number;
  verification: { inclusionProof: { treeSize: number; rootHash: string; hashes: string[]; logIndex: number } };
}

async function upload(r: Running, entry: unknown): Promise<{ status: number; uuid: string; e: LogEntryJson }> {
  const res = await fetch(`${r.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry) });
  const json = (await res.json()) as Record<string, LogEntryJson>;
  const uuid = res.status === 201 ? Object.keys(json)[0] : String(res.headers.get('location')?.split('/').pop());
  return { status: res.status, uuid, e: json[uuid] };
}

async function readyz(r: Running): Promise<{ status: string; role?: string }> {
  return (await fetch(`${r.url}/readyz`)).json() as Promise<{ status: string; role?: string }>;
}

async function leaderGauge(r: Running): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return Number(/^cairn_sequencer_leader (\d)/m.exec(text)?.[1]);
}

async function until(what: string, f: () => Promise<boolean>, ms = 8000): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (!url) describe.skip('cairn serve --database (no PostgreSQL)', () => it('skipped', () => {}));
else
  describe('cairn serve --database', () => {
    it('serves one log from two nodes: uploads through either, 409 across nodes, one leader, failover on stop', async () => {
      const schema = testSchema();
      const a = await node(schema);
      const b = await node(schema);
      await until('a leader', async () => (await readyz(a)).role === 'leader');
      expect(await readyz(b)).toMatchObject({ status: 'ready', role: 'follower' });
      expect([await leaderGauge(a), await leaderGauge(b)]).toEqual([1, 0]);

      const signer = newSigner();
      const entries = Array.from({ length: 6 }, () => hashedrekord(signer));
      const answers = await Promise.all(entries.map((e, i) => upload(i % 2 ? b : a, e)));
      for (const [i, { status, e }] of answers.entries()) {
        expect(status).toBe(201);
        // The proof is to the answering node's checkpoint, whose root that node serves.
        const p = e.verification.inclusionProof;
        const proof = p.hashes.map((h) => Buffer.from(h, 'hex'));
        const r = i % 2 ? b : a;
        const leaf = await (await fetch(`${r.url}/api/v1/log/entries?logIndex=${e.logIndex}`)).json();
        expect(Object.keys(leaf as object)[0]).toBe(answers[i].uuid);
        const body = Buffer.from((Object.values(leaf as object)[0] as { body: string }).body, 'base64');
        expect(() => verifyInclusion(leafHash(body), p.logIndex, p.treeSize, proof, Buffer.from(p.rootHash, 'hex'))).not.toThrow();
      }
      expect(new Set(answers.map((x) => x.e.logIndex)).size).toBe(6);

      // The same entry again, through the node that did not take it: 409 naming the stored entry.
      const dup = await upload(b, entries[0]);
      expect(dup.status).toBe(409);
      expect(dup.uuid).toBe(answers[0].uuid);

      // Both nodes serve the same tree (the follower catches up on the commit notice).
      await until('b at size 6', async () => (await (await fetch(`${b.url}/api/v1/log`)).json() as { treeSize: number }).treeSize === 6);
      const [la, lb] = await Promise.all([a, b].map(async (r) => (await fetch(`${r.url}/api/v1/log`)).json()));
      expect((lb as { rootHash: string }).rootHash).toBe((la as { rootHash: string }).rootHash);

      // The leader stops (SIGTERM's path): the follower takes over and sequences.
      await a.stop();
      running.splice(running.indexOf(a), 1);
      await until('b leads', async () => (await readyz(b)).role === 'leader');
      const after = await upload(b, hashedrekord(signer));
      expect(after.status).toBe(201);
      expect(after.e.logIndex).toBe(6);
      await b.stop();
      running.splice(running.indexOf(b), 1);
      const audit = await auditPostgres({ url: url!, schema });
      expect(audit.problem).toBeUndefined();
      expect(audit.size).toBe(7);
    });

    it('gets both nodes\' checkpoints cosigned by a witness (every node asks for its own)', async () => {
      const schema = testSchema();
      const logVkey = verifierKeyString(TEST_ORIGIN, loadPrivateKey(readFileSync(keyFile, 'utf8')));
      const w = await runWitness(parseOptions(WITNESS_OPTIONS, ['--port', '0', '--data', tempDir(), '--name', 'w1.test.example/witness', '--log', `${TEST_ORIGIN}=${logVkey}`], {}).values, () => {});
      try {
        const witness = ['--witness', `w1.test.example/witness=${w.witness.vkey}@${w.url}`];
        const a = await node(schema, witness);
        const b = await node(schema, witness);
        const signer = newSigner();
        for (let i = 0; i < 3; i++) expect((await upload(i % 2 ? a : b, hashedrekord(signer))).status).toBe(201);
        const verifiers = [c2spVerifier(TEST_ORIGIN, loadPrivateKey(readFileSync(keyFile, 'utf8'))), parseVerifierKey(w.witness.vkey)];
        for (const r of [a, b]) {
          await until(`a cosigned checkpoint of size 3 from ${r.url}`, async () => {
            const opened = openCheckpoint(await (await fetch(`${r.url}/checkpoint`)).text(), verifiers);
            return opened.checkpoint.size === 3 && opened.verified.length === 2;
          });
        }
        expect(w.witness.latest(TEST_ORIGIN)?.size).toBe(3);
      } finally {
        for (const r of running.splice(0)) await r.stop();
        await w.stop();
      }
    });

    it('refuses a node started with another key or origin, and --database without --key', async () => {
      const schema = testSchema();
      await node(schema);
      const other = join(tempDir(), 'other.pem');
      writeFileSync(other, generateKey('ed25519'), { mode: 0o600 });
      const wrongKey = await node(schema, ['--key', other]).catch((e: unknown) => e);
      expect(isCairnError(wrongKey, 'CONFIG')).toBe(true);
      expect((wrongKey as Error).message).toMatch(/different signing key/);
      const wrongOrigin = await node(schema, ['--origin', 'other.example/log']).catch((e: unknown) => e);
      expect((wrongOrigin as Error).message).toMatch(/created with origin/);
      const { values } = parseOptions(SERVE_OPTIONS, ['--port', '0', '--database', `${url}?schema=${schema}`, '--origin', TEST_ORIGIN], {});
      const noKey = await serve(values, pino({ level: 'silent' })).catch((e: unknown) => e);
      expect((noKey as Error).message).toMatch(/--database needs --key/);
    });
  });
