/**
 * The control socket: how `cairn rotate` reaches a running server. A Unix socket at
 * <data>/control/cairn.sock, in a directory of mode 0700 (the socket itself 0600), so only the
 * data directory's owner can connect; it is never on the network. One JSON line in, one JSON
 * line out. The server creates it once it holds the data directory's writer lock, so a socket
 * file found at start is a stale one and is replaced.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CairnError } from '../errors.js';

export const CONTROL_DIR = 'control';
export const CONTROL_SOCKET = 'cairn.sock';
/** MAX_LINE bounds a request or answer: a few fields, never megabytes. */
const MAX_LINE = 64 * 1024;

/** ControlRequest is what a control client asks. */
export interface ControlRequest {
  op: 'rotate';
  args?: Record<string, unknown>;
}

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

/** controlPath returns the socket's path for a data directory. */
export function controlPath(dataDir: string): string {
  return join(dataDir, CONTROL_DIR, CONTROL_SOCKET);
}

/** startControl listens on the data directory's control socket; close() removes it. */
export async function startControl(dataDir: string, handle: ControlHandler): Promise<{ close: () => Promise<void> }> {
  const dir = join(dataDir, CONTROL_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = controlPath(dataDir);
  rmSync(path, { force: true });
  const server: Server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => {}); // a client that went away: nothing to answer
    conn.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_LINE) return conn.end(JSON.stringify({ ok: false, error: 'request too large' }) + '\n');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      conn.pause();
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
        if (typeof req !== 'object' || req === null || req.op !== 'rotate') throw new Error('unknown op');
      } catch {
        return conn.end(JSON.stringify({ ok: false, error: 'a request is one JSON line {"op":"rotate","args":{…}}' }) + '\n');
      }
      handle(req).then(
        (result) => conn.end(JSON.stringify({ ok: true, result }) + '\n'),
        (e: unknown) => conn.end(JSON.stringify({ ok: false, error: (e as Error).message }) + '\n'),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        rmSync(path, { force: true });
      }),
  };
}

/**
 * requestControl sends req to the server running on dataDir and resolves with its result, or
 * with undefined when no server listens there (no socket, or a stale one). A server's refusal
 * is a CairnError.
 */
export function requestControl(dataDir: string, req: ControlRequest, timeoutMs = 60_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(controlPath(dataDir));
    let buf = '';
    let connected = false;
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new CairnError('UNAVAILABLE', `the server on ${dataDir} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => {
      connected = true;
      conn.write(JSON.stringify(req) + '\n');
    });
    conn.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_LINE) conn.destroy(new Error('answer too large'));
    });
    conn.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected && (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')) resolve(undefined);
      else reject(new CairnError('UNAVAILABLE', `control socket: ${e.message}`));
    });
    conn.on('end', () => {
      clearTimeout(timer);
      try {
        const a = JSON.parse(buf) as { ok: boolean; result?: unknown; error?: string };
        if (a.ok) resolve(a.result);
        else reject(new CairnError('CONFIG', a.error ?? 'refused'));
      } catch {
        reject(new CairnError('UNAVAILABLE', 'the server gave no answer'));
      }
    });
  });
}
