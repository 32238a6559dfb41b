/**
 * A minimal Rekor v1 read API over a Log, written from shared/specs/rekor-openapi.yaml (LogInfo,
 * ConsistencyProof, LogEntry with verification.inclusionProof), so the Rekor client is tested
 * against the contract rather than against src/api/rekor*.ts, which another engineer is writing.
 * `tamper` lets a test make the server lie.
 */
import express from 'express';
import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import type { Log } from '../../src/log/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

export interface Tamper {
  /** Replace the signed tree head note. */
  sth?: (note: string) => string;
  /** Replace consistency proof hashes. */
  proof?: (hashes: string[]) => string[];
}

export async function serveFakeRekor(log: Log, tamper: Tamper = {}): Promise<string> {
  const app = express();
  app.get('/api/v1/log', (_req, res) => {
    const cp = log.latest();
    res.json({ rootHash: hex(cp.rootHash), treeSize: cp.size, signedTreeHead: tamper.sth ? tamper.sth(cp.rekor) : cp.rekor, treeID: log.treeId });
  });
  app.get('/api/v1/log/proof', (req, res) => {
    const first = Number(req.query.firstSize ?? 1);
    const last = Number(req.query.lastSize);
    if (!(first >= 1 && last >= first && last <= log.size)) return void res.status(400).json({ code: 400, message: 'bad sizes' });
    const hashes = log.consistencyProof(first, last).map(hex);
    res.json({ rootHash: hex(log.rootAt(last)), hashes: tamper.proof ? tamper.proof(hashes) : hashes });
  });
  app.get('/api/v1/log/entries/:uuid', (req, res) => {
    const e = log.entryByLeafHash(Buffer.from(req.params.uuid.slice(-64), 'hex'));
    if (!e) return void res.status(404).json({ code: 404, message: 'not found' });
    const cp = log.latest();
    res.json({
      [hex(e.leafHash)]: {
        logID: hex(log.key.logId),
        logIndex: e.index,
        body: Buffer.from(e.body).toString('base64'),
        integratedTime: e.integratedTime,
        verification: {
          inclusionProof: { logIndex: e.index, treeSize: cp.size, rootHash: hex(cp.rootHash), hashes: log.inclusionProof(e.index, cp.size).map(hex), checkpoint: cp.rekor },
        },
      },
    });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  return `http://127.0.0.1:${addr.port}`;
}
