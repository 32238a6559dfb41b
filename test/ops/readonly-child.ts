// Child process for the read-only readiness test: a log whose database file and directory are
// made read-only (chmod) while it runs. Run as a user chmod applies to (as root, the test drops
// the capabilities that bypass permissions with setpriv). Prints one JSON line with the /readyz
// answers before, during and after, and whether this process could bypass file permissions.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/api/index.js';
import { DB_FILE, Log } from '../../src/log/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-ro-'));
const log = Log.open({ dataDir: dir, origin: 'test.cairn.example/log', heartbeatMs: 0 });
const server = createApp(log, { publicUrl: 'http://127.0.0.1' }).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
const readyz = async () => {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
};
const db = join(dir, DB_FILE);
const before = await readyz();
for (const f of [db, db + '-wal', db + '-shm']) chmodSync(f, 0o444);
chmodSync(dir, 0o555);
const during = await readyz();
chmodSync(dir, 0o755);
for (const f of [db, db + '-wal', db + '-shm']) chmodSync(f, 0o644);
const after = await readyz();
server.close();
await log.close();
rmSync(dir, { recursive: true, force: true });
// CAP_DAC_OVERRIDE is bit 1 of the effective capability set.
const capEff = BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'));
const bypassesPermissions = process.getuid!() === 0 && (capEff & 2n) !== 0n;
process.stdout.write(JSON.stringify({ uid: process.getuid!(), bypassesPermissions, before, during, after }) + '\n');
