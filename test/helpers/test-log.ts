import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Log, type LogConfig } from '../../src/log/index.js';
import { leafHash } from '../../src/merkle/index.js';
import { openNote, parseCheckpoint, c2spVerifier, rekorVerifier } from '../../src/note/index.js';
import { referenceRoot } from './reference-root.js';

const dirs: string[] = [];
const logs: Log[] = [];

afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** tempDir returns a fresh directory removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cairn-test-'));
  dirs.push(d);
  return d;
}

export const TEST_ORIGIN = 'test.cairn.example/log';

/** openTestLog opens a log in a temp directory (or cfg.dataDir), closed after the test. */
export function openTestLog(cfg: Partial<LogConfig> = {}): Log {
  const log = Log.open({ dataDir: cfg.dataDir ?? tempDir(), origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'NORMAL', ...cfg });
  logs.push(log);
  return log;
}

/** body returns a distinct entry body for i. */
export function body(i: number, salt = ''): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ kind: 'test', i, salt }));
}

/**
 * checkLog re-verifies the log as an outside client would: every body hashes to its leaf, the
 * leaves hash to the latest checkpoint's root (by a reference written from RFC 6962), and both
 * signed notes verify with the log's public key.
 */
export function checkLog(log: Log): void {
  const cp = log.latest();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < cp.size; i++) {
    const e = log.entryByIndex(i);
    if (!e) throw new Error(`entry ${i} missing`);
    if (!Buffer.from(leafHash(e.body)).equals(Buffer.from(e.leafHash))) throw new Error(`entry ${i} leaf hash mismatch`);
    leaves.push(e.leafHash);
  }
  const want = referenceRoot(leaves);
  if (!Buffer.from(want).equals(Buffer.from(cp.rootHash))) throw new Error(`root mismatch at size ${cp.size}`);
  const pem = log.key.publicKeyPem;
  for (const [note, v] of [[cp.c2sp, c2spVerifier(log.origin, pem)], [cp.rekor, rekorVerifier(log.origin, pem)]] as const) {
    const opened = openNote(note, [v]);
    const parsed = parseCheckpoint(opened.text);
    if (parsed.size !== cp.size || !Buffer.from(parsed.rootHash).equals(Buffer.from(cp.rootHash)) || parsed.origin !== log.origin) {
      throw new Error('checkpoint body does not match');
    }
  }
}
