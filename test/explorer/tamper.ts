// A test-only man in the middle: a proxy in front of a Cairn server that can alter what the
// explorer reads, so Verify can be shown to fail at the right step. It lives in the tests, not in
// src/: production code has no switch that serves wrong data.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign } from 'node:crypto';

/** Tamper says what the proxy changes in entry responses. */
export type Tamper =
  | 'none'
  /** flips a byte of the first inclusion proof hash */
  | 'proof'
  /** replaces the proof's checkpoint signature with one by another key under the log's key ID */
  | 'checkpoint';

type Anon = { verification: { inclusionProof: { hashes: string[]; checkpoint: string } } };

function alter(mode: Tamper, anon: Anon, otherKey: ReturnType<typeof generateKeyPairSync>['privateKey']): void {
  const p = anon.verification.inclusionProof;
  if (mode === 'proof') {
    const h = p.hashes[0];
    p.hashes[0] = (h[0] === '0' ? '1' : '0') + h.slice(1);
  } else if (mode === 'checkpoint') {
    const split = p.checkpoint.lastIndexOf('\n\n');
    const text = p.checkpoint.slice(0, split + 1);
    const [, , sig] = /^\u2014 (\S+) (\S+)$/.exec(p.checkpoint.slice(split + 2, -1))!;
    const keyId = Buffer.from(sig, 'base64').subarray(0, 4);
    const forged = sign(null, Buffer.from(text), otherKey);
    p.checkpoint = `${text}\n\u2014 ${text.split('\n')[0]} ${Buffer.concat([keyId, forged]).toString('base64')}\n`;
  }
}

const ENTRY_READS = /^\/api\/v1\/log\/entries(\/|\?|$)/;

/** tamperProxy serves upstream's answers, altered by proxy.mode for entry reads. */
export async function tamperProxy(upstream: string): Promise<{ url: string; mode: Tamper; server: Server }> {
  const otherKey = generateKeyPairSync('ed25519').privateKey;
  const state = { url: '', mode: 'none' as Tamper, server: undefined as unknown as Server };
  state.server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const up = await fetch(upstream + req.url, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' },
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
    });
    let body = Buffer.from(await up.arrayBuffer());
    const read = (req.method === 'GET' && ENTRY_READS.test(req.url ?? '')) || (req.method === 'POST' && req.url === '/api/v1/log/entries/retrieve');
    if (state.mode !== 'none' && read && up.ok) {
      const j = JSON.parse(body.toString()) as Record<string, Anon> | Record<string, Anon>[];
      for (const m of Array.isArray(j) ? j : [j]) for (const anon of Object.values(m)) alter(state.mode, anon, otherKey);
      body = Buffer.from(JSON.stringify(j));
    }
    const headers: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) headers[k] = v;
    });
    res.writeHead(up.status, headers).end(body);
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}
