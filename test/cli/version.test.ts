// Issue 18.6: an operator can tell which build answers: `cairn --version`, `cairn version`, the
// start-up line, /readyz and the cairn_build_info metric all give package.json's version.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-log.js';
import { metricValue } from '../ops/helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function cairn(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'cairn.js'), ...args], { cwd: ROOT }, (err, stdout) => resolve({ code: err ? Number(err.code) : 0, stdout }));
  });
}

describe('the build version', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ dataDir: tempDir(), heartbeat: 0 });
  });
  afterAll(() => server?.kill('SIGTERM'));

  it.each([['--version'], ['version']])('cairn %s prints it and exits 0', async (arg) => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(await cairn(arg)).toEqual({ code: 0, stdout: `cairn ${VERSION}\n` });
  });

  it('is in the start-up line, /readyz and cairn_build_info', async () => {
    const startLine = server.output().split('\n').find((l) => l.includes('serving '))!;
    expect(startLine).toContain(`(cairn ${VERSION})`);
    expect(JSON.parse(startLine)).toMatchObject({ version: VERSION });
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { version: string };
    expect(ready.version).toBe(VERSION);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(metrics, 'cairn_build_info', `version="${VERSION}",node="${process.versions.node}"`)).toBe(1);
  });
});
