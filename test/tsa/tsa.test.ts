// The timestamp authority checked by an independent implementation: OpenSSL's `ts` command
// makes the queries and verifies the replies (RFC 3161 + RFC 5816 ESS signing certificate).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { SignedData } from '@peculiar/asn1-cms';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { parseOptions } from '../../src/cli/config.js';
import { SERVE_OPTIONS, serve, type Running } from '../../src/cli/serve.js';
import { isCairnError } from '../../src/errors.js';
import { issueCertificate, openTsa, randomSerial, TSA_CHAIN_FILE, TSA_KEY_FILE, toPem, type TimestampAuthority } from '../../src/tsa/index.js';
import { TEST_ORIGIN, openTestLog, tempDir } from '../helpers/test-log.js';

function setup() {
  const dir = tempDir();
  const tsa = openTsa({ dataDir: dir, name: TEST_ORIGIN });
  const root = join(dir, 'root.pem');
  const leaf = join(dir, 'leaf.pem');
  writeFileSync(root, toPem(tsa.chain[1]));
  writeFileSync(leaf, toPem(tsa.chain[0]));
  const app = createApp(openTestLog(), { publicUrl: 'http://127.0.0.1', tsa });
  return { dir, tsa, app, root, leaf };
}

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

async function post(app: ReturnType<typeof setup>['app'], body: Buffer | string, type: string) {
  return request(app).post('/api/v1/timestamp').set('Content-Type', type).buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  }).send(body);
}

describe('TSA: POST /api/v1/timestamp, verified by openssl ts -verify', () => {
  it.each([
    ['sha256 with certificate and nonce', ['-sha256', '-cert'], false],
    ['sha384 without certificate (chain given to openssl)', ['-sha384'], true],
    ['sha512 without nonce', ['-sha512', '-cert', '-no_nonce'], false],
  ])('DER query: %s', async (_name, queryArgs, untrusted) => {
    const { dir, app, root, leaf } = setup();
    const data = join(dir, 'data.txt');
    writeFileSync(data, 'artifact signature bytes');
    const tsq = join(dir, 'req.tsq');
    execFileSync('openssl', ['ts', '-query', '-data', data, ...queryArgs, '-out', tsq], { stdio: 'pipe' });
    const res = await post(app, readFileSync(tsq), 'application/timestamp-query');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/timestamp-reply');
    const tsr = join(dir, 'resp.tsr');
    writeFileSync(tsr, res.body as Buffer);
    const extra = untrusted ? ['-untrusted', leaf] : [];
    const v = openssl(['ts', '-verify', '-in', tsr, '-queryfile', tsq, '-CAfile', root, ...extra]);
    expect(v.out).toMatch(/Verification: OK/);
    expect(v.ok).toBe(true);
    // The reply binds the data: other data does not verify.
    writeFileSync(data, 'other bytes');
    expect(openssl(['ts', '-verify', '-in', tsr, '-data', data, '-CAfile', root, '-untrusted', leaf]).ok).toBe(false);
    const text = openssl(['ts', '-reply', '-in', tsr, '-text']).out;
    expect(text).toMatch(/Status: Granted/);
    expect(text).toMatch(/Policy OID: 1\.3\.6\.1\.4\.1\.57264\.2/);
  });

  it('JSON query as @sigstore/sign sends it (with nonce and certificates)', async () => {
    const { dir, app, root } = setup();
    const data = join(dir, 'sig.bin');
    writeFileSync(data, 'a signature');
    const artifactHash = execFileSync('openssl', ['dgst', '-sha256', '-binary', data]).toString('base64');
    const res = await post(app, JSON.stringify({ artifactHash, hashAlgorithm: 'sha256', nonce: 123456789, certificates: true }), 'application/json');
    expect(res.status).toBe(201);
    const tsr = join(dir, 'resp.tsr');
    writeFileSync(tsr, res.body as Buffer);
    const v = openssl(['ts', '-verify', '-in', tsr, '-data', data, '-CAfile', root]);
    expect(v.out).toMatch(/Verification: OK/);
    const resp = AsnConvert.parse(res.body as Buffer, TimeStampResp);
    const signed = AsnConvert.parse(resp.timeStampToken!.content, SignedData);
    const tst = AsnConvert.parse(signed.encapContentInfo.eContent!.single!.buffer, TSTInfo);
    expect(Buffer.from(tst.nonce!).readUIntBE(0, tst.nonce!.byteLength)).toBe(123456789);
    expect(signed.certificates).toHaveLength(1);
  });

  it('serves the chain as PEM, leaf first', async () => {
    const { app, tsa, dir } = setup();
    const res = await request(app).get('/api/v1/timestamp/certchain').expect(200);
    expect(res.text).toBe(readFileSync(join(dir, TSA_CHAIN_FILE), 'utf8'));
    expect(res.text).toBe(tsa.certChainPem());
    const certs = res.text.match(/-----BEGIN CERTIFICATE-----/g);
    expect(certs).toHaveLength(2);
    const leafText = openssl(['x509', '-noout', '-text', '-in', join(dir, 'leaf.pem')]).out;
    expect(leafText).toMatch(/Extended Key Usage: critical\s+Time Stamping/);
  });

  const badJson: [string, unknown, RegExp][] = [
    ['an unknown field', { artifactHash: 'A'.repeat(43) + '=', hashAlgorithm: 'sha256', extra: 1 }, /unknown field "extra"/],
    ['SHA-1', { artifactHash: Buffer.alloc(20).toString('base64'), hashAlgorithm: 'sha1' }, /unsupported hash algorithm/],
    ['a wrong digest length', { artifactHash: Buffer.alloc(20).toString('base64'), hashAlgorithm: 'sha256' }, /is 20 bytes/],
    ['a digest that is not base64', { artifactHash: '!!', hashAlgorithm: 'sha256' }, /base64/],
    ['a missing hash algorithm', { artifactHash: Buffer.alloc(32).toString('base64') }, /hashAlgorithm must be/],
    ['a negative nonce', { artifactHash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'sha256', nonce: -1 }, /nonce/],
    ['another policy', { artifactHash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'sha256', tsaPolicyOID: '1.2.3.4' }, /unsupported TSA policy/],
    ['certificates not a boolean', { artifactHash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'sha256', certificates: 'yes' }, /certificates/],
    ['a JSON array', [], /must be a JSON object/],
  ];
  it.each(badJson)('refuses a JSON request with %s (400)', async (_name, body, message) => {
    const { app } = setup();
    const res = await request(app).post('/api/v1/timestamp').set('Content-Type', 'application/json').send(JSON.stringify(body)).expect(400);
    expect(res.body.code).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('refuses malformed DER, SHA-1, bad JSON, empty and oversized requests, and keeps serving', async () => {
    const { app, dir } = setup();
    const data = join(dir, 'd');
    writeFileSync(data, 'x');
    const sha1 = join(dir, 'sha1.tsq');
    execFileSync('openssl', ['ts', '-query', '-data', data, '-sha1', '-out', sha1], { stdio: 'pipe' });
    const cases: [Buffer | string, string, number, RegExp][] = [
      [Buffer.from('3003020101', 'hex'), 'application/timestamp-query', 400, /not a DER TimeStampReq/],
      [Buffer.from('garbage'), 'application/timestamp-query', 400, /not a DER TimeStampReq/],
      [readFileSync(sha1), 'application/timestamp-query', 400, /unsupported hash algorithm/],
      ['{not json', 'application/json', 400, /not valid JSON/],
      [Buffer.alloc(0), 'application/timestamp-query', 400, /empty/],
      [Buffer.alloc(20_000, 0x30), 'application/timestamp-query', 413, /too large|longer than/],
    ];
    for (const [body, type, status, message] of cases) {
      const res = await request(app).post('/api/v1/timestamp').set('Content-Type', type).send(body);
      expect(res.status, String(message)).toBe(status);
      expect(res.body.message).toMatch(message);
    }
    const ok = await post(app, JSON.stringify({ artifactHash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'sha256' }), 'application/json');
    expect(ok.status).toBe(201);
  });
});

describe('TSA serial numbers', () => {
  it.each([
    ['00 00', '01 00'],
    ['00 ff', '01 ff'],
    ['80 00', '01 00'],
    ['ff 12', '7f 12'],
    ['12 34', '12 34'],
  ])('randomSerial turns %s into the minimal positive %s', (from, to) => {
    expect(Buffer.from(randomSerial(2, Buffer.from(from.replace(' ', ''), 'hex'))).toString('hex')).toBe(to.replace(' ', ''));
  });

  it('tokens carry 20-byte serials and certificates parse', () => {
    const { tsa } = setup();
    const req = { hash: 'sha256' as const, digest: new Uint8Array(32), certReq: false };
    for (let i = 0; i < 64; i++) {
      const resp = AsnConvert.parse(tsa.timestamp(req), TimeStampResp);
      const tst = AsnConvert.parse(AsnConvert.parse(resp.timeStampToken!.content, SignedData).encapContentInfo.eContent!.single!.buffer, TSTInfo);
      const serial = new Uint8Array(tst.serialNumber);
      expect(serial.length).toBe(20);
      expect(serial[0] >= 1 && serial[0] <= 0x7f).toBe(true);
    }
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 64; i++) {
      const der = issueCertificate({ subject: 's', issuer: 's', publicKey: k.publicKey, issuerKey: k.privateKey, issuerPublicKey: k.publicKey, ca: true, notBefore: new Date(0), notAfter: new Date(1e12) });
      expect(() => new X509Certificate(der)).not.toThrow();
    }
  });
});

describe('TSA key and chain files', () => {
  it('generates once into the data directory and loads the same chain after', () => {
    const dir = tempDir();
    const a = openTsa({ dataDir: dir, name: 'x' });
    const b = openTsa({ dataDir: dir, name: 'x' });
    expect(b.certChainPem()).toBe(a.certChainPem());
    expect((readFileSync(join(dir, TSA_KEY_FILE)).length)).toBeGreaterThan(0);
  });

  it('refuses half a configuration, a key that does not match the chain, a non-ECDSA key and a readable key', () => {
    const dir = tempDir();
    openTsa({ dataDir: dir, name: 'x' });
    const other = tempDir();
    openTsa({ dataDir: other, name: 'y' });
    const expectConfig = (f: () => unknown, msg: RegExp) => {
      try {
        f();
      } catch (e) {
        expect(isCairnError(e, 'CONFIG')).toBe(true);
        expect((e as Error).message).toMatch(msg);
        return;
      }
      throw new Error('expected CONFIG');
    };
    expectConfig(() => openTsa({ dataDir: tempDir(), name: 'x', keyFile: join(dir, TSA_KEY_FILE) }), /go together/);
    expectConfig(() => openTsa({ dataDir: tempDir(), name: 'x', keyFile: join(dir, TSA_KEY_FILE), chainFile: join(other, TSA_CHAIN_FILE) }), /does not match/);
    const rsa = join(tempDir(), 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expectConfig(() => openTsa({ dataDir: tempDir(), name: 'x', keyFile: rsa, chainFile: join(dir, TSA_CHAIN_FILE) }), /must be ECDSA/);
    chmodSync(join(dir, TSA_KEY_FILE), 0o644);
    expectConfig(() => openTsa({ dataDir: dir, name: 'x' }), /readable by others/);
  });

  it('uses --tsa-key/--tsa-cert-chain when given, and serves no TSA with --no-tsa', async () => {
    const running: Running[] = [];
    try {
      const keys = tempDir();
      const given: TimestampAuthority = openTsa({ dataDir: keys, name: 'given' });
      const start = async (args: string[]) => {
        const { values } = parseOptions(SERVE_OPTIONS, ['--port', '0', '--data', tempDir(), '--origin', TEST_ORIGIN, '--heartbeat', '0', '--admit-workers', '0', ...args], {});
        const r = await serve(values, pino({ level: 'silent' }));
        running.push(r);
        return r;
      };
      const withKey = await start(['--tsa-key', join(keys, TSA_KEY_FILE), '--tsa-cert-chain', join(keys, TSA_CHAIN_FILE)]);
      expect(await (await fetch(`${withKey.url}/api/v1/timestamp/certchain`)).text()).toBe(given.certChainPem());
      const off = await start(['--no-tsa']);
      expect((await fetch(`${off.url}/api/v1/timestamp/certchain`)).status).toBe(404);
    } finally {
      for (const r of running) await r.stop();
    }
  });
});
