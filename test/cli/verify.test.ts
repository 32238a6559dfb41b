import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyConsistencyCommand } from '../../src/cli/verify-consistency.js';
import { verifyInclusionCommand } from '../../src/cli/verify-inclusion.js';
import { KEY_FILE, type Log } from '../../src/log/index.js';
import { leafHash } from '../../src/merkle/index.js';
import { generateKey, loadPrivateKey, verifierKeyString } from '../../src/note/index.js';
import { serveFakeRekor } from '../client/fake-rekor.js';
import { body, openTestLog, tempDir, TEST_ORIGIN } from '../helpers/test-log.js';
import { growTo, runCommand, serveLog } from '../tiles/helpers.js';
import { dirOf } from '../helpers/sqlite.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function file(name: string, content: string | Uint8Array): string {
  const p = join(tempDir(), name);
  writeFileSync(p, content);
  return p;
}

async function grownLog(size: number, opts: Parameters<typeof openTestLog>[0] = {}): Promise<Log> {
  const log = openTestLog(opts);
  await growTo(log, size);
  return log;
}

describe('cairn verify-inclusion', () => {
  it('accepts a good offline proof in every file format and either checkpoint convention', async () => {
    const log = await grownLog(300);
    const cp = log.latest();
    const key = verifierKeyString(TEST_ORIGIN, log.key);
    const pem = file('log.pem', log.key.publicKeyPem);
    const proof = log.inclusionProof(123, 300);
    const formats = [
      JSON.stringify(proof.map(hex)),
      proof.map((h) => Buffer.from(h).toString('base64')).join('\n') + '\n',
      JSON.stringify({ logIndex: 123, treeSize: 300, rootHash: hex(cp.rootHash), hashes: proof.map(hex), checkpoint: cp.rekor }),
      JSON.stringify({ [hex(leafHash(body(123)))]: { logIndex: 123, verification: { inclusionProof: { logIndex: 123, treeSize: 300, hashes: proof.map(hex) } } } }),
    ];
    for (const [i, f] of formats.entries()) {
      const index = i >= 2 ? [] : ['--index', '123']; // the Rekor JSON says which index
      const r = await runCommand(verifyInclusionCommand, ['--key', i % 2 ? pem : key, '--entry', file('e', body(123)), '--checkpoint', file('cp', i % 2 ? cp.rekor : cp.c2sp), '--proof', file('p', f), ...index]);
      expect(r.code, `format ${i}: ${r.err}`).toBe(0);
      expect(r.out).toMatch(/OK: leaf [0-9a-f]{64} is entry 123 of test.cairn.example\/log at tree size 300/);
    }
    const byHash = await runCommand(verifyInclusionCommand, ['--key', key, '--leaf-hash', '0000000000000001' + hex(leafHash(body(123))), '--index', '123', '--checkpoint', file('cp', cp.c2sp), '--proof', file('p', formats[0])]);
    expect(byHash.code, byHash.err).toBe(0);
  });

  it('rejects a wrong entry, index, proof, tree size or key', async () => {
    const log = await grownLog(300);
    const cp = file('cp', log.latest().c2sp);
    const key = verifierKeyString(TEST_ORIGIN, log.key);
    const proof = log.inclusionProof(123, 300).map(hex);
    const entry = file('e', body(123));
    const run = (...a: string[]) => runCommand(verifyInclusionCommand, ['--key', key, '--checkpoint', cp, ...a]);
    const bad = [...proof];
    bad[2] = (bad[2][0] === 'f' ? '0' : 'f') + bad[2].slice(1);
    for (const [why, args] of [
      ['another entry', ['--entry', file('e2', body(124)), '--index', '123', '--proof', file('p', JSON.stringify(proof))]],
      ['another index', ['--entry', entry, '--index', '122', '--proof', file('p', JSON.stringify(proof))]],
      ['a changed hash', ['--entry', entry, '--index', '123', '--proof', file('p', JSON.stringify(bad))]],
      ['a short proof', ['--entry', entry, '--index', '123', '--proof', file('p', JSON.stringify(proof.slice(1)))]],
      ['another tree size', ['--entry', entry, '--proof', file('p', JSON.stringify({ logIndex: 123, treeSize: 299, hashes: proof }))]],
    ] as const) {
      const r = await run(...args);
      expect(r.code, why).toBe(1);
      expect(r.err, why).toMatch(/FAILED/);
    }
    const other = verifierKeyString(TEST_ORIGIN, loadPrivateKey(generateKey('ed25519')));
    const r = await runCommand(verifyInclusionCommand, ['--key', other, '--checkpoint', cp, '--entry', entry, '--index', '123', '--proof', file('p', JSON.stringify(proof))]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/signature/);
    expect((await run('--entry', entry, '--index', '123')).code).toBe(2); // neither --proof nor --url
  });

  it('fetches the proof from tiles or from the Rekor API, against the current or a given checkpoint', async () => {
    const log = await grownLog(600);
    const old = log.latest();
    await growTo(log, 900);
    const key = verifierKeyString(TEST_ORIGIN, log.key);
    const url = await serveLog(log);
    const entry = file('e', body(500));
    let r = await runCommand(verifyInclusionCommand, ['--key', key, '--entry', entry, '--index', '500', '--url', url]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/tree size 900/);
    r = await runCommand(verifyInclusionCommand, ['--key', key, '--entry', entry, '--index', '500', '--url', url, '--checkpoint', file('cp', old.c2sp)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/tree size 600/);
    r = await runCommand(verifyInclusionCommand, ['--key', key, '--entry', entry, '--index', '501', '--url', url]);
    expect(r.code).toBe(1);
    const pem = file('log.pem', log.key.publicKeyPem);
    const rekor = await serveFakeRekor(log);
    r = await runCommand(verifyInclusionCommand, ['--key', pem, '--entry', entry, '--url', rekor, '--api', 'rekor']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/entry 500 .* tree size 900/);
    r = await runCommand(verifyInclusionCommand, ['--key', pem, '--leaf-hash', 'ab'.repeat(32), '--url', rekor, '--api', 'rekor']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no entry/);
  });
});

describe('cairn verify-consistency', () => {
  it('accepts a good proof offline and online, and rejects bad ones', async () => {
    const log = await grownLog(100);
    const c100 = log.latest();
    await growTo(log, 700);
    const c700 = log.latest();
    const key = verifierKeyString(TEST_ORIGIN, log.key);
    const proof = log.consistencyProof(100, 700).map(hex);
    const old = file('old', c100.c2sp);
    const cur = file('new', c700.c2sp);
    const run = (...a: string[]) => runCommand(verifyConsistencyCommand, ['--key', key, ...a]);
    let r = await run('--old', old, '--new', cur, '--proof', file('p', JSON.stringify(proof)));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/OK: .* size 700 extends size 100/);
    r = await run('--old', old, '--new', cur, '--proof', file('p', JSON.stringify({ rootHash: hex(c700.rootHash), hashes: proof })));
    expect(r.code, r.err).toBe(0);
    const bad = [...proof];
    bad[0] = (bad[0][0] === 'f' ? '0' : 'f') + bad[0].slice(1);
    r = await run('--old', old, '--new', cur, '--proof', file('p', JSON.stringify(bad)));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAILED/);
    r = await run('--old', cur, '--new', old, '--proof', file('p', JSON.stringify(proof)));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ROLLBACK/);
    r = await run('--old', old, '--new', cur, '--proof', file('p', JSON.stringify(log.consistencyProof(99, 700).map(hex))));
    expect(r.code).toBe(1);

    const url = await serveLog(log);
    r = await run('--old', old, '--url', url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/size 700 extends size 100/);
    const rekor = await serveFakeRekor(log);
    r = await run('--old', file('old', c100.rekor), '--url', rekor, '--api', 'rekor');
    expect(r.code, r.err).toBe(0);
  });

  it('catches a fork and a split view between two logs under one key', async () => {
    const a = await grownLog(50);
    const b = await grownLog(50, { keyFile: join(dirOf(a), KEY_FILE) });
    await growTo(b, 50); // already there; b's leaves are the same so far
    const key = verifierKeyString(TEST_ORIGIN, a.key);
    const aOld = file('a50', a.latest().c2sp);
    await growTo(a, 80);
    await growTo(b, 80, 'fork');
    const bUrl = await serveLog(b);
    // b is a genuine extension of the common 50 leaves: consistent.
    let r = await runCommand(verifyConsistencyCommand, ['--key', key, '--old', aOld, '--url', bUrl]);
    expect(r.code, r.err).toBe(0);
    // a at 80 is not a prefix-compatible view of b at 80: a split view.
    r = await runCommand(verifyConsistencyCommand, ['--key', key, '--old', file('a80', a.latest().c2sp), '--url', bUrl]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/SPLIT VIEW/);
    await growTo(b, 90, 'fork');
    r = await runCommand(verifyConsistencyCommand, ['--key', key, '--old', file('a80', a.latest().c2sp), '--url', bUrl]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAILED/);
  });
});
