// `cairn export --follow` beside a server that rotates: the frozen shard's directory gets its final
// checkpoint, the new shard appears under shards/<name>/, and every file equals what the server serves.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rotateCommand } from '../../src/cli/rotate.js';
import { parseCheckpoint, splitNote } from '../../src/note/index.js';
import { newSigner, proposedEntry } from '../api/entries-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-log.js';
import { runCommand } from '../tiles/helpers.js';

const running: ServerProcess[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.kill();
});

const upload = (url: string) =>
  fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposedEntry(newSigner())) });

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

function sizeAt(path: string): number {
  try {
    return parseCheckpoint(splitNote(readFileSync(path, 'utf8')).text).size;
  } catch {
    return -1;
  }
}

describe('cairn export --follow across a rotation', () => {
  it('keeps every shard\'s directory equal to what the server serves', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const out = join(tempDir(), 'static');
    // No heartbeat: the checkpoints compared byte for byte must not be re-signed meanwhile.
    const server = await startServer({ dataDir, heartbeat: 0, args: ['--no-tsa', '--admit-workers', '0'] });
    running.push(server);
    for (let i = 0; i < 3; i++) expect((await upload(server.url)).status).toBe(201);

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--data', dataDir, '--to', out, '--follow', '--interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const waitFor = async (path: string, size: number, what: () => Promise<boolean> = async () => true): Promise<void> => {
      for (const t0 = Date.now(); sizeAt(path) !== size || !(await what()); ) {
        if (Date.now() - t0 > 30_000) throw new Error(`${path} never reached size ${size}:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor(join(out, 'checkpoint'), 3);
      const rotated = await runCommand(rotateCommand, ['--data', dataDir, '--name', 'h2']);
      expect([rotated.code, rotated.err]).toEqual([0, '']);
      for (let i = 0; i < 2; i++) expect((await upload(server.url)).status).toBe(201);
      // The frozen shard's final checkpoint (re-signed at freezing) replaces the one exported before.
      const frozenNote = await (await fetch(`${server.url}/checkpoint`)).text();
      await waitFor(join(out, 'shards', 'h2', 'checkpoint'), 2, async () => readFileSync(join(out, 'checkpoint'), 'utf8') === frozenNote);

      const exported = files(out);
      expect(exported).toContain('shards/h2/tile/0/000.p/2');
      expect(exported).toContain('tile/0/000.p/3');
      for (const f of exported) {
        const served = await fetch(`${server.url}/${f}`);
        expect(served.status, f).toBe(200);
        expect(Buffer.from(await served.arrayBuffer()).equals(readFileSync(join(out, f))), f).toBe(true);
      }
      child.kill('SIGTERM');
      expect(await exited, text).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
