import { request as httpRequest, type Server } from 'node:http';
import { afterEach, vi } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { parseOptions } from '../../src/cli/config.js';
import { isCairnError } from '../../src/errors.js';
import { createApp, type AppOptions } from '../../src/api/index.js';
import type { Log } from '../../src/log/index.js';
import { body } from '../helpers/test-log.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** serveLog serves log's HTTP API on 127.0.0.1 at an ephemeral port (closed after the test); returns its base URL. */
export async function serveLog(log: Log, opts: Partial<AppOptions> = {}): Promise<string> {
  const { url, server } = await startServer(log, opts);
  servers.push(server);
  return url;
}

/** startServer is serveLog without the automatic close, for servers shared by several tests. */
export async function startServer(log: Log, opts: Partial<AppOptions> = {}): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const app = createApp(log, { publicUrl: 'http://127.0.0.1', ...opts });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { url: `http://127.0.0.1:${addr.port}`, server, close };
}

/** rawGet sends path exactly as given (fetch would normalize "..", case and escapes). */
export function rawGet(base: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * growTo appends entries until the log has `size` leaves, submitting all at once (the sequencer
 * batches them) instead of awaiting each. Entry i's body is body(i, salt).
 */
export async function growTo(log: Log, size: number, salt = ''): Promise<void> {
  const subs: Promise<unknown>[] = [];
  for (let i = log.size; i < size; i++) subs.push(log.append({ body: body(i, salt), kind: 'test', indexKeys: [] }));
  await Promise.all(subs);
  if (log.size !== size) throw new Error(`log grew to ${log.size}, want ${size}`);
}

/** get fetches url and returns status, headers and the raw (decoded) body. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

/**
 * runCommand runs a CLI command as main() would (options from argv only, coded errors → exit 1,
 * CONFIG → 2) and captures what it prints.
 */
export async function runCommand(cmd: Command, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const { values, rest } = parseOptions(cmd.options, argv, {});
    return { code: await cmd.run(values, rest), out: out.join('\n'), err: err.join('\n') };
  } catch (e) {
    if (!isCairnError(e)) throw e;
    err.push(`cairn ${cmd.name}: ${e.message}`);
    return { code: e.code === 'CONFIG' ? 2 : 1, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
