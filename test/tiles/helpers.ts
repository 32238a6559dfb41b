import { request as httpRequest, type Server } from 'node:http';
import { afterEach } from 'vitest';
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
