// `cairn serve --workers 2` on a log that already has entries: the workers' start-up check must not
// need the key index only the writing process has (they crashed and respawned in a loop before).
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { body } from '../helpers/test-log.js';

const ORIGIN = 'cairn.test';

function status(url: string): Promise<{ status: number; worker?: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, worker: res.headers['x-cairn-worker'] as string | undefined }));
    }).on('error', reject);
  });
}

describe('cairn serve --workers 2 on a non-empty log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-workers-start-'));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts workers that answer reads themselves, with no worker dying', async () => {
    const log = Log.open({ dataDir: dir, origin: ORIGIN, heartbeatMs: 0 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
    await log.close();
    server = await startServer({ dataDir: dir, heartbeat: 0, args: ['--workers', '2', '--origin', ORIGIN, '--log-level', 'info'] });
    const workers = new Set<string>();
    for (let i = 0; i < 40 && workers.size < 2; i++) {
      const r = await status(`${server.url}/tile/0/000`);
      expect(r.status).toBe(200);
      if (r.worker) workers.add(r.worker);
    }
    expect(workers.size).toBe(2);
    expect(server.output()).not.toMatch(/cannot look up leaf hashes|worker died|exited/);
  }, 60_000);
});
