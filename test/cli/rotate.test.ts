// `cairn rotate` against a running server (through the control socket: only the owner can reach
// it) and a stopped one (the data directory opened directly); `cairn verify-db` checks every shard
// and names damage in a frozen one.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupCommand } from '../../src/cli/backup.js';
import { controlPath } from '../../src/cli/control.js';
import { exportCommand } from '../../src/cli/export.js';
import { rotateCommand } from '../../src/cli/rotate.js';
import { signingConfigCommand } from '../../src/cli/signing-config.js';
import { verifyDbCommand } from '../../src/cli/verify-db.js';
import { readManifest } from '../../src/log/index.js';
import { newSigner, proposedEntry } from '../api/entries-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-log.js';
import { replaceBody } from '../helpers/sqlite.js';
import { runCommand } from '../tiles/helpers.js';

const running: ServerProcess[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.kill();
});

const upload = (url: string, signer = newSigner()) =>
  fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposedEntry(signer)) });

describe('cairn rotate', () => {
  it('rotates a running server through its control socket and a stopped log directly; verify-db checks every shard', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir, args: ['--no-tsa', '--admit-workers', '0'] });
    running.push(server);
    for (let i = 0; i < 3; i++) expect((await upload(server.url)).status).toBe(201);
    // The socket sits in a directory only its owner can enter.
    expect(statSync(join(dataDir, 'control')).mode & 0o777).toBe(0o700);
    expect(statSync(controlPath(dataDir)).mode & 0o777).toBe(0o600);

    const online = await runCommand(rotateCommand, ['--data', dataDir, '--name', 'h2']);
    expect([online.code, online.err]).toEqual([0, '']);
    expect(online.out).toMatch(/froze shard 1 .* at size 3 in the running server/);
    const info = (await (await fetch(`${server.url}/api/v1/log`)).json()) as { treeID: string; inactiveShards: { treeSize: number }[] };
    expect(info.inactiveShards.map((s) => s.treeSize)).toEqual([3]);
    const r = await upload(server.url);
    expect(r.status).toBe(201);
    expect(Object.values((await r.json()) as Record<string, { logIndex: number }>)[0].logIndex).toBe(3);
    // A second rotation while the server runs is refused for a taken name, with the server's reason.
    const taken = await runCommand(rotateCommand, ['--data', dataDir, '--name', 'h2']);
    expect([taken.code, taken.err]).toEqual([2, expect.stringMatching(/already named "h2"/)]);

    await server.kill('SIGTERM');
    const offline = await runCommand(rotateCommand, ['--data', dataDir]);
    expect(offline.code).toBe(0);
    expect(offline.out).toMatch(/froze shard h2 .* at size 1\n/);
    expect(readManifest(dataDir)!.shards.map((s) => [s.name, s.indexOffset, s.frozen?.size])).toEqual([['1', 0, 3], ['h2', 3, 1], ['3', 4, undefined]]);

    const config = await runCommand(signingConfigCommand, ['--url', 'http://log.test', '--data', dataDir]);
    const urls = (JSON.parse(config.out) as { rekorTlogUrls: { url: string; majorApiVersion: number; validFor: { end?: string } }[] }).rekorTlogUrls;
    expect(urls.map((u) => [u.url, u.majorApiVersion, u.validFor.end !== undefined])).toEqual([
      ['http://log.test/shards/3', 2, false],
      ['http://log.test/shards/h2', 2, true],
      ['http://log.test/shards/1', 2, true],
      ['http://log.test', 1, false],
    ]);

    const ok = await runCommand(verifyDbCommand, ['--data', dataDir]);
    expect([ok.code, ok.out]).toEqual([0, expect.stringMatching(/shard 1 \(frozen\): 3 entries[\s\S]*shard h2 \(frozen\): 1 entries[\s\S]*3 shards, 4 entries/)]);

    // export writes every shard as the server lays them out; backup copies every shard and the list.
    const out = tempDir();
    expect((await runCommand(exportCommand, ['--data', dataDir, '--to', out])).code).toBe(0);
    expect(readFileSync(join(out, 'checkpoint'), 'utf8')).toMatch(/\n3\n/);
    expect(readFileSync(join(out, 'shards', 'h2', 'checkpoint'), 'utf8')).toMatch(/\/shards\/h2\n1\n/);
    const saved = join(tempDir(), 'b.db');
    const b = await runCommand(backupCommand, ['--data', dataDir, '--to', saved]);
    expect(b.code).toBe(0);
    const copies = readdirSync(dirname(saved));
    expect(copies.filter((f) => /^b\.db\.shards-[0-9a-f]{16}$/.test(f))).toHaveLength(2);
    expect(copies).toContain('b.db.shards.json');

    // Damage in the frozen first shard: a stored body changed.
    const db = new Database(join(dataDir, 'cairn.db'));
    replaceBody(db, 1, Buffer.from('{"tampered":true}'));
    db.close();
    const bad = await runCommand(verifyDbCommand, ['--data', dataDir]);
    expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/FAILED: shard 1 \(frozen\): .*entry 1/)]);
  });
});
