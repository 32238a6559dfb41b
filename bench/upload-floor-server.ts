// The upload floor: the least a durable hashedrekord upload server does, with nothing of Cairn.
// node:http; the body parsed as JSON; the ECDSA signature checked over the given digest by the
// native addon, as Cairn's admission does; the body appended to a file and
// fdatasync'd in groups (one write and one flush a group; the next group gathers meanwhile);
// 201 with the leaf hash and index once its group is flushed. No Merkle tree, no SET, no
// checkpoint, no search keys, no SQLite: what no log can skip. bench/upload-floor.ts runs it.
// The check runs on the server's one thread, or with VERIFY_THREAD=1 on a worker thread (one
// message each way an upload, as Cairn's admission pool does), so that both cores can work.
//
//   node --import tsx bench/upload-floor-server.ts PORT DIR
import { createHash } from 'node:crypto';
import { fdatasync, openSync, writev } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { NATIVE_ADDON_PATH, addon } from '../src/native.js';

if (!addon) throw new Error('upload floor: the native addon is not built (npm install builds it)');
const verifyHere = addon.verifyDigest;
type Check = [spki: Uint8Array, digest: Uint8Array, sig: Uint8Array];

/** A worker thread that answers [id, ok] for each [id, spki, digest, sig]. */
const VERIFIER = `
const { parentPort, workerData } = require('node:worker_threads');
const { verifyDigest } = require(workerData);
parentPort.on('message', ([id, spki, digest, sig]) => parentPort.postMessage([id, verifyDigest(spki, digest, sig, 'sha256')]));
`;
let verify: (c: Check) => Promise<boolean> = (c) => Promise.resolve(verifyHere(...c, 'sha256'));
if (process.env.VERIFY_THREAD === '1') {
  const worker = new Worker(VERIFIER, { eval: true, workerData: NATIVE_ADDON_PATH });
  const waiting = new Map<number, (ok: boolean) => void>();
  let next = 0;
  worker.on('message', ([id, ok]: [number, boolean]) => {
    waiting.get(id)!(ok);
    waiting.delete(id);
  });
  verify = (c) => new Promise((resolve) => {
    const id = next++;
    waiting.set(id, resolve);
    worker.postMessage([id, ...c]);
  });
}
const [port, dir] = [Number(process.argv[2]), process.argv[3]];
const fd = openSync(join(dir, 'entries'), 'a');
let size = 0;
let gathering: { res: ServerResponse; line: Buffer; leaf: string }[] = [];
let flushing = false;

/** pemDer returns the DER inside a PEM block (the upload's publicKey.content is base64 of PEM text). */
function pemDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** flush writes and flushes the group gathered so far, answers it, then the next if any gathered. */
function flush(): void {
  const group = gathering;
  gathering = [];
  flushing = true;
  writev(fd, group.map((g) => g.line), (err) => {
    if (err) throw err;
    fdatasync(fd, (err2) => {
      if (err2) throw err2;
      for (const g of group) reply(g.res, 201, { uuid: g.leaf, logIndex: size++ });
      flushing = false;
      if (gathering.length) flush();
    });
  });
}

createServer({ keepAlive: true }, (req, res) => {
  if (req.method === 'GET') return reply(res, 200, { treeSize: size });
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    let ok = false;
    try {
      const e = JSON.parse(body.toString('utf8')) as { spec: { data: { hash: { value: string } }; signature: { content: string; publicKey: { content: string } } } };
      const pem = Buffer.from(e.spec.signature.publicKey.content, 'base64').toString('latin1');
      ok = await verify([pemDer(pem), Buffer.from(e.spec.data.hash.value, 'hex'), Buffer.from(e.spec.signature.content, 'base64')]);
    } catch {
      ok = false;
    }
    if (!ok) return reply(res, 400, { code: 400, message: 'bad upload' });
    const leaf = createHash('sha256').update(Buffer.of(0)).update(body).digest('hex');
    const line = Buffer.concat([body, Buffer.of(10)]);
    gathering.push({ res, line, leaf });
    if (!flushing) flush();
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
