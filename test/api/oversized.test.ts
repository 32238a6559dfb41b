// Issue 18.1: a client that sends too much must always read the whole 413 JSON answer, whatever
// client it is, whether it declares the length or sends chunks, on every route, and the server
// keeps serving without logging anything. Before the lingering close, the server closed the socket
// with the unread body in its buffer, the kernel answered with a reset, and clients saw a cut-off
// body or EPIPE. The server runs in a process of its own, as a user's would: in the test's own
// process the timing hid the reset.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const MIB = 1024 * 1024;
const ATTEMPTS = 20;
const CURL = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));

interface Answer {
  status: number;
  body: string;
}

/** A body of n bytes that starts like JSON, so nothing but its size is wrong with it. */
function bigBody(n: number): Buffer {
  const b = Buffer.alloc(n, 0x78);
  b.write('{"pad":"');
  b.write('"}', n - 2);
  return b;
}

function viaFetch(url: string, body: Buffer, chunked: boolean): Promise<Answer> {
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers: { 'content-type': 'application/json' } };
  if (chunked) {
    // A stream has no length: fetch sends it chunked.
    init.body = new ReadableStream({
      start(c) {
        for (let i = 0; i < body.length; i += 64 * 1024) c.enqueue(body.subarray(i, i + 64 * 1024));
        c.close();
      },
    });
    init.duplex = 'half';
  } else {
    init.body = body;
  }
  return fetch(url, init).then(async (r) => ({ status: r.status, body: await r.text() }));
}

function viaHttp(url: string, body: Buffer, chunked: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = body.length;
    const req = httpRequest(url, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 256 * 1024) req.write(body.subarray(i, i + 256 * 1024));
    req.end();
  });
}

function viaCurl(url: string, file: string, chunked: boolean): Promise<Answer> {
  const args = ['-sS', '-X', 'POST', '-H', 'content-type: application/json', '--data-binary', `@${file}`, '-w', '\n%{http_code}', url];
  if (chunked) args.splice(3, 0, '-H', 'transfer-encoding: chunked');
  return new Promise((resolve, reject) => {
    execFile(CURL!, args, { maxBuffer: 4 * MIB }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl failed: ${stderr || err.message}`));
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
  });
}

/** expect413 checks the answer is the complete JSON error, not a prefix of it. */
function expect413(a: Answer, limit: number, what: string): void {
  expect(a.status, what).toBe(413);
  const parsed = JSON.parse(a.body) as { code: number; message: string };
  expect(parsed.code, what).toBe(413);
  expect(parsed.message, what).toMatch(new RegExp(`^request body too large.*${limit}`));
}

describe.each([
  { name: 'default --max-body (1 MiB), 10 MiB bodies', args: [] as string[], limit: MIB, size: 10 * MIB },
  { name: '--max-body 65536, 3 MiB bodies', args: ['--max-body', '65536'], limit: 65536, size: 3 * MIB },
])('oversized uploads, $name', ({ args, limit, size }) => {
  let server: ServerProcess;
  let url: string;
  const body = bigBody(size);
  const dir = mkdtempSync(join(tmpdir(), 'cairn-oversized-'));
  const file = join(dir, 'big.json');

  beforeAll(async () => {
    writeFileSync(file, body);
    server = await startServer({ dataDir: join(dir, 'data'), heartbeat: 0, args });
    url = server.url;
  });
  afterAll(async () => {
    await server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const clients = [
    { client: 'fetch', send: (u: string, chunked: boolean) => viaFetch(u, body, chunked) },
    { client: 'node:http', send: (u: string, chunked: boolean) => viaHttp(u, body, chunked) },
    ...(CURL ? [{ client: 'curl', send: (u: string, chunked: boolean) => viaCurl(u, file, chunked) }] : []),
  ];
  const modes = [
    { mode: 'Content-Length', chunked: false },
    { mode: 'chunked', chunked: true },
  ];
  for (const { client, send } of clients) {
    for (const { mode, chunked } of modes) {
      it(`${client}, ${mode}: every attempt reads the whole 413 JSON`, async () => {
        for (let i = 0; i < ATTEMPTS; i++) expect413(await send(`${url}/api/v1/log/entries`, chunked), limit, `${client} ${mode} attempt ${i}`);
      });
    }
  }

  it.each(['/api/v1/index/retrieve', '/api/v1/log/entries/retrieve', '/api/v2/log/entries', '/no/such/route'])('%s answers the same 413 to each client', async (path) => {
    for (const { client, send } of clients) {
      for (const { mode, chunked } of modes) expect413(await send(url + path, chunked), limit, `${client} ${mode} ${path}`);
    }
  });

  it('keeps serving, and logged nothing for the refused bodies', async () => {
    const treeSize = async () => ((await (await fetch(`${url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
    expect(await treeSize()).toBe(0);
    const r = await fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(newSigner())) });
    expect(r.status).toBe(201);
    expect(((await r.json()) as Record<string, { logIndex: number }>)[r.headers.get('etag')!].logIndex).toBe(0);
    expect(await treeSize()).toBe(1);
  });
});
