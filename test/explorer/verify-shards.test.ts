// The explorer's Verify (web/src/verify.ts) on a log that has rotated, run in Node against a real
// server: an entry of a frozen shard and one of the active shard both pass every step (their
// logIndex is virtual, their proof's index is in their own tree), and a shifted index fails.
import { afterEach, describe, expect, it } from 'vitest';
import { rotateCommand } from '../../src/cli/rotate.js';
import { api } from '../../web/src/api.js';
import { importLogKey } from '../../web/src/keys.js';
import { parseCheckpoint, parseNote, type Checkpoint } from '../../web/src/note.js';
import { verify } from '../../web/src/verify.js';
import { newSigner, proposedEntry } from '../api/entries-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-log.js';
import { runCommand } from '../tiles/helpers.js';

const running: ServerProcess[] = [];
const realFetch = globalThis.fetch;
afterEach(async () => {
  globalThis.fetch = realFetch;
  for (const s of running.splice(0)) await s.kill();
});

const upload = (url: string) =>
  realFetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposedEntry(newSigner())) });

describe('explorer Verify across shards', () => {
  it('verifies entries of a frozen shard and of the active one; refuses a shifted index', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir, heartbeat: 0, args: ['--no-tsa', '--admit-workers', '0'] });
    running.push(server);
    for (let i = 0; i < 3; i++) expect((await upload(server.url)).status).toBe(201);
    expect((await runCommand(rotateCommand, ['--data', dataDir, '--name', 'h2'])).code).toBe(0);
    for (let i = 0; i < 2; i++) expect((await upload(server.url)).status).toBe(201);

    // The page's relative URLs resolve against the server that serves it.
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => realFetch(new URL(String(input), `${server.url}/`), init)) as typeof fetch;
    const key = await importLogKey(await api.publicKey());
    // The page follows the active tree: /checkpoint stays the frozen first shard's.
    const active = await api.activeTree();
    expect(active.offset).toBe(3);
    const note = parseNote(active.note);
    if (typeof note === 'string') throw new Error(note);
    const first = parseCheckpoint(note.text) as Checkpoint;
    expect(first.size).toBe(2);
    expect((parseCheckpoint((parseNote(await api.checkpoint()) as { text: string }).text) as Checkpoint).size).toBe(3);

    for (const index of [0, 2, 3, 4]) {
      const e = await api.entryByIndex(index);
      const steps = await verify(e, { key, first }, () => {});
      expect(steps.map((s) => [s.id, s.ok, s.ok ? '' : s.detail]), `entry ${index}`).toEqual(['leaf', 'inclusion', 'checkpoint', 'set', 'consistency'].map((id) => [id, true, '']));
      if (index < 3) expect(steps.find((s) => s.id === 'consistency')!.detail).toMatch(/frozen shard's final tree/);
    }

    const e = await api.entryByIndex(3);
    const shifted = await verify({ ...e, anon: { ...e.anon, logIndex: 0 } }, { key, first }, () => {});
    expect(shifted.filter((s) => !s.ok).map((s) => s.id)).toEqual(['inclusion', 'set']);
    expect(shifted.find((s) => s.id === 'inclusion')!.detail).toMatch(/the proof is for index 0 after 3 entries in earlier shards, the entry is at 0/);
  });
});
