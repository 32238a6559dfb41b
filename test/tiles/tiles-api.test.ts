import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { c2spVerifier, openCheckpoint } from '../../src/note/index.js';
import { TileClient, httpFetcher } from '../../src/client/index.js';
import { bytesEqual, entriesPath, leafHash, parseTilePath, tilePath, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { body, TEST_ORIGIN } from '../helpers/test-log.js';
import { referenceRoot } from '../helpers/reference-root.js';
import { get, growTo, rawGet, startServer } from './helpers.js';
import { SpecReader, specBundle, specIndex, specLeafHash, specTilePath, specWidth } from './spec-reader.js';

// One log grown once through many sizes (70,000 leaves: level-1 and level-2 tiles exist), shared by
// the tests below. Each size stopped at is a batch boundary, so the log signed a checkpoint there.
const SIZES = [1, 2, 3, 7, 255, 256, 257, 511, 512, 513, 1000, 4097, 65535, 65536, 65537, 70000];
const FINAL = SIZES[SIZES.length - 1];

let dir: string;
let log: Log;
let url: string;
let close: () => Promise<void>;
const roots = new Map<number, Uint8Array>(); // size → root verified from the signed checkpoint at the time

const fetchPath = async (path: string): Promise<Uint8Array> => {
  const r = await get(`${url}/${path}`);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
  return r.body;
};

async function signedCheckpoint() {
  const r = await get(`${url}/checkpoint`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  return openCheckpoint(r.body, [c2spVerifier(TEST_ORIGIN, log.key.publicKeyPem)]).checkpoint;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-tiles-'));
  log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'OFF', maxBatch: 8192, maxQueue: 1 << 20 });
  ({ url, close } = await startServer(log));
});

afterAll(async () => {
  await close();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tlog-tiles read API', () => {
  it('serves tiles that rebuild to the signed root at every size, by a reader written from the spec', async () => {
    const leaves: Uint8Array[] = [];
    for (const size of SIZES) {
      await growTo(log, size);
      const cp = await signedCheckpoint();
      expect(cp.size).toBe(size);
      const got = await new SpecReader(fetchPath, size).root();
      expect(Buffer.from(got).toString('hex'), `size ${size}`).toBe(Buffer.from(cp.rootHash).toString('hex'));
      roots.set(size, cp.rootHash);
      if (size <= 4097) {
        while (leaves.length < size) leaves.push(specLeafHash(body(leaves.length)));
        expect(Buffer.from(referenceRoot(leaves)).equals(Buffer.from(cp.rootHash))).toBe(true);
      }
    }
  });

  it('still serves the partial tiles of every earlier checkpoint, and they rebuild its root', async () => {
    for (const size of SIZES) {
      expect(log.checkpointAt(size)).toBeDefined();
      const got = await new SpecReader(fetchPath, size).root();
      expect(Buffer.from(got).equals(Buffer.from(roots.get(size)!)), `size ${size}`).toBe(true);
    }
  });

  it('serves bundles whose entries hash to the level-0 tile hashes, and level 1 and 2 tiles per the spec formula', async () => {
    const count = Math.ceil(FINAL / 256);
    const fetched = await Promise.all(
      Array.from({ length: count }, async (_, n) => {
        const w = specWidth(FINAL, 0, n);
        return Promise.all([fetchPath(specTilePath('entries', n, w)), fetchPath(specTilePath(0, n, w))]);
      }),
    );
    const leaves: Uint8Array[] = [];
    const wrong: number[] = [];
    fetched.forEach(([b, t], n) => {
      const entries = specBundle(b);
      if (entries.length !== specWidth(FINAL, 0, n)) wrong.push(n);
      const hashes = entries.map(specLeafHash);
      if (!Buffer.concat(hashes).equals(Buffer.from(t))) wrong.push(n);
      if (!Buffer.from(entries[entries.length - 1]).equals(Buffer.from(body(n * 256 + entries.length - 1)))) wrong.push(n);
      leaves.push(...hashes);
    });
    expect(wrong, 'bundles that do not match their level-0 tile').toEqual([]);
    expect(leaves.length).toBe(FINAL);
    // Level 1: hash i of tile 1/n is MTH(D[(n*256+i)*256 : (n*256+i+1)*256]).
    const l1 = await fetchPath(specTilePath(1, 0));
    expect(l1.length).toBe(8192);
    for (const i of [0, 1, 100, 255]) {
      const want = referenceRoot(leaves.slice(i * 256, (i + 1) * 256));
      expect(Buffer.from(l1.subarray(i * 32, i * 32 + 32)).equals(Buffer.from(want)), `1/000 hash ${i}`).toBe(true);
    }
    const l1p = await fetchPath(specTilePath(1, 1, 17)); // floor(70000/256) mod 256 = 17
    expect(Buffer.from(l1p.subarray(16 * 32)).equals(Buffer.from(referenceRoot(leaves.slice(272 * 256, 273 * 256))))).toBe(true);
    // Level 2: one partial tile of width 1 holding MTH(D[0:65536]).
    const l2 = await fetchPath(specTilePath(2, 0, 1));
    expect(Buffer.from(l2).equals(Buffer.from(referenceRoot(leaves.slice(0, 65536))))).toBe(true);
    expect((await get(`${url}/tile/3/000.p/1`)).status).toBe(404);
  });

  it('sets content types and caching: immutable full tiles and bundles, short-lived partials, no-store errors', async () => {
    const full = await get(`${url}/tile/0/000`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const bundle = await get(`${url}/tile/entries/000`);
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(bundle.headers.get('content-type')).toBe('application/octet-stream');
    const partial = await get(`${url}/tile/0/273.p/112`);
    expect(partial.status).toBe(200);
    expect(partial.body.length).toBe(112 * 32);
    expect(partial.headers.get('cache-control')).toMatch(/max-age=([1-9]|[1-9][0-9]|[1-2][0-9]{2}|300)(,|$)/);
    const missing = await get(`${url}/tile/0/274`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    const cp = await get(`${url}/checkpoint`);
    expect(cp.headers.get('cache-control')).toMatch(/no-cache|no-store/);
  });

  it('gzips bundles for clients that accept it and sends identity to those that do not', async () => {
    const gz = await rawGetWith('/tile/entries/001', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await rawGet(url, '/tile/entries/001');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(specBundle(plain.body).length).toBe(256);
  });

  it('serves a partial narrower than the tree has as the exact prefix, and 404s one wider than the tree has', async () => {
    const tile = await fetchPath('tile/0/273.p/112');
    const narrow = await fetchPath('tile/0/273.p/5');
    expect(Buffer.from(narrow).equals(Buffer.from(tile.subarray(0, 5 * 32)))).toBe(true);
    expect((await get(`${url}/tile/0/273.p/113`)).status).toBe(404);
    expect((await get(`${url}/tile/0/273.p/255`)).status).toBe(404);
    expect((await get(`${url}/tile/entries/273.p/113`)).status).toBe(404);
    expect((await get(`${url}/tile/1/001.p/18`)).status).toBe(404);
    expect((await get(`${url}/tile/1/001`)).status).toBe(404);
    expect((await get(`${url}/tile/2/000`)).status).toBe(404);
    // A full tile's prefix, as an old checkpoint's partial: the bytes it had then.
    const full0 = await fetchPath('tile/0/000');
    expect(Buffer.from(await fetchPath('tile/0/000.p/7')).equals(Buffer.from(full0.subarray(0, 7 * 32)))).toBe(true);
    const b = specBundle(await fetchPath('tile/entries/000.p/3'));
    expect(b.map((e) => Buffer.from(e).toString())).toEqual([0, 1, 2].map((i) => Buffer.from(body(i)).toString()));
  });

  it('rejects malformed, non-canonical and overflowing paths with a JSON 400, and unknown ones with 404', async () => {
    const bad = [
      '/tile/0/0', '/tile/0/00', '/tile/0/0000', '/tile/0/x000/001', '/tile/0/x000/000', '/tile/00/000', '/tile/01/000',
      '/tile/64/000', '/tile/-1/000', '/tile/0/000.p/0', '/tile/0/000.p/256', '/tile/0/000.p/007', '/tile/0/000.p/',
      '/tile/0/000.p/5/1', '/tile/0/000/', '/tile/0/x1000/000', '/tile/0/x001/x00/000', '/tile/0/001x/000', '/tile/0/x001',
      '/tile/0/../checkpoint', '/tile/0/%2e%2e/000', '/tile/0/%30%30%30', '/tile/entries/../0/000', '/tile/entries/x000/005',
      '/tile/0/x999/x999/x999/x999/x999/x999/999', '/tile/0/000.P/5', '/tile/0/+00', '/tile/0/1e2', '/tile/0/%2000',
      '/tile/', '/tile/0/', '/tile/entries/', '/tile/entries/000.p/256', '/tile/x/000',
    ];
    for (const path of bad) {
      const r = await rawGet(url, path);
      expect([400, 404], path).toContain(r.status);
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.body.toString()), path).toMatchObject({ code: 400 });
    }
    for (const path of ['/tile', '/TILE/0/000', '/tiles/0/000']) {
      const r = await rawGet(url, path);
      expect(r.status, path).toBe(404);
      expect(JSON.parse(r.body.toString())).toMatchObject({ code: 404 });
    }
    // Multi-element indexes in canonical form parse, and are simply not in the tree.
    for (const path of ['/tile/0/x001/000', '/tile/1/x999/999', '/tile/entries/x001/x234/067', '/tile/0/x001/x234/067.p/9']) {
      expect((await rawGet(url, path)).status, path).toBe(404);
    }
    // The largest index that is still a safe integer parses, and is simply not in the tree.
    const r = await rawGet(url, '/tile/0/x009/x007/x199/x254/x740/991');
    expect(r.status).toBe(404);
  });

  it('is read correctly by src/client at sizes with level-1 and level-2 tiles (the shared big log)', async () => {
    const client = new TileClient(httpFetcher(url));
    const cp = log.latest();
    await client.verifyTiles(0, FINAL, cp.rootHash); // every tile, chained to the signed root
    for (const s of [65536, 65537, FINAL]) expect(bytesEqual(await client.rootAt(s), roots.get(s)!), `root ${s}`).toBe(true);
    for (const i of [0, 65535, 65536, FINAL - 1]) verifyInclusion(leafHash(body(i)), i, FINAL, await client.inclusionProof(i, FINAL), cp.rootHash);
    verifyConsistency(65535, FINAL, await client.consistencyProof(65535, FINAL), roots.get(65535)!, cp.rootHash);
  });
});

function rawGetWith(path: string, headers: Record<string, string>) {
  const u = new URL(url);
  return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    }, reject);
  });
}

describe('path encoding', () => {
  it('agrees between the spec-written encoder and src/merkle, including multi-element and huge indexes', () => {
    expect(specIndex(1234067)).toBe('x001/x234/067'); // the spec's own example
    const cases = [0, 1, 999, 1000, 1001, 65535, 999999, 1000000, 1234067, 2 ** 32, Number.MAX_SAFE_INTEGER];
    for (const n of cases) {
      for (const w of [1, 17, 255, 256]) {
        expect(tilePath({ level: 3, index: n, width: w })).toBe(specTilePath(3, n, w));
        expect(entriesPath(n, w)).toBe(specTilePath('entries', n, w));
        expect(parseTilePath(specTilePath(3, n, w))).toEqual({ level: 3, index: n, width: w, entries: false });
      }
    }
  });
});

