import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EMPTY_ROOT } from '../../src/merkle/index.js';
import {
  c2spSigner,
  c2spVerifier,
  formatCheckpoint,
  generateKey,
  loadPrivateKey,
  openCheckpoint,
  parseVerifierKey,
  signNote,
  verifierKeyString,
  verifyCosignature,
} from '../../src/note/index.js';
import { openDb } from '../../src/storage/index.js';
import { WITNESS_KEY_FILE, Witness, parseLogSpec } from '../../src/witness/index.js';
import { openTestLog, tempDir, TEST_ORIGIN } from '../helpers/test-log.js';
import { WITNESS_NAME, bodyOf, grow, keyFile, post, requestBody, specCheck, startWitness } from './helpers.js';

const originHash = (o: string) => createHash('sha256').update(o).digest('hex');

async function stateOf(url: string, origin = TEST_ORIGIN): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/${originHash(origin)}/checkpoint`);
  return { status: res.status, text: await res.text() };
}

describe('cairn witness: add-checkpoint', () => {
  it('cosigns a growing log round after round; cosignatures verify with our code and from the spec', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    const vkey = w.witness.vkey;
    expect(vkey.startsWith(`${WITNESS_NAME}+`)).toBe(true);
    expect(statSync(join(w.dataDir, WITNESS_KEY_FILE)).mode & 0o777).toBe(0o600);

    let old = 0;
    // Round 0 is the empty tree (size 0, old 0); the last round resubmits the same size.
    for (const n of [0, 1, 6, 250, 7, 0]) {
      await grow(log, n);
      const cp = log.latest();
      const t0 = Math.floor(Date.now() / 1000);
      const r = await post(w.url, requestBody(log, old));
      expect(r.status, r.text).toBe(200);
      expect(r.type).toMatch(/^text\/plain/);
      const lines = r.text.split(/(?<=\n)/);
      expect(lines).toHaveLength(1);
      expect(lines[0].startsWith(`\u2014 ${WITNESS_NAME} `)).toBe(true);
      const text = bodyOf(cp.c2sp);
      const t1 = verifyCosignature(text, lines[0], WITNESS_NAME, parseVerifierKeyRaw(vkey));
      const t2 = specCheck(text, lines[0], vkey);
      expect(t1).toBe(t2);
      expect(t2).toBeGreaterThanOrEqual(t0);
      expect(t2).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      // A cosignature is for this checkpoint only.
      expect(() => specCheck(text.replace(`\n${cp.size}\n`, `\n${cp.size + 1}\n`), lines[0], vkey)).toThrow();
      expect(w.witness.latest(TEST_ORIGIN)?.size).toBe(cp.size);
      old = cp.size;
    }
    expect(old).toBe(264);

    // The monitoring endpoint serves the checkpoint with the log's signature and the cosignature.
    const m = await stateOf(w.url);
    expect(m.status).toBe(200);
    const opened = openCheckpoint(m.text, [c2spVerifier(log.origin, log.key), parseVerifierKey(vkey)]);
    expect(opened.checkpoint.size).toBe(264);
    expect(opened.verified).toHaveLength(2);
    expect((await stateOf(w.url, 'other.example/log')).status).toBe(404);
  });

  it('verifies ECDSA log signatures (signed-note type 0x02)', async () => {
    const log = openTestLog({ keyType: 'ecdsa-p256' });
    const w = await startWitness([log]);
    await grow(log, 3);
    const r = await post(w.url, requestBody(log, 0));
    expect(r.status, r.text).toBe(200);
    specCheck(bodyOf(log.latest().c2sp), r.text, w.witness.vkey);
  });

  it('answers a stale old size with 409 and its size as text/x.tlog.size, state unchanged', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    await grow(log, 5);
    expect((await post(w.url, requestBody(log, 0))).status).toBe(200);
    await grow(log, 4);
    for (const old of [0, 3, 7]) {
      const r = await post(w.url, requestBody(log, old));
      expect(r.status).toBe(409);
      expect(r.type).toBe('text/x.tlog.size');
      expect(r.text).toBe('5\n');
    }
    expect(w.witness.latest(TEST_ORIGIN)?.size).toBe(5);
    // The client learns 5 from the 409 and succeeds with a proof from there.
    expect((await post(w.url, requestBody(log, 5))).status).toBe(200);
    expect(w.witness.latest(TEST_ORIGIN)?.size).toBe(9);
  });

  it('refuses to roll back to an older checkpoint', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    await grow(log, 4);
    const older = log.latest();
    await grow(log, 4);
    expect((await post(w.url, requestBody(log, 0))).status).toBe(200);
    const before = w.witness.latest(TEST_ORIGIN)!;
    // Old size = the recorded 8 but the checkpoint is size 4: old exceeds the checkpoint size.
    const back = await post(w.url, `old 8\n\n${older.c2sp}`);
    expect(back.status).toBe(400);
    // Claiming the older size as the old size: not what the witness holds.
    const stale = await post(w.url, `old 4\n\n${older.c2sp}`);
    expect(stale.status).toBe(409);
    expect(stale.text).toBe('8\n');
    expect(w.witness.latest(TEST_ORIGIN)).toEqual(before);
  });

  it('refuses a fork: same key and origin, different leaves', async () => {
    const key = keyFile();
    const a = openTestLog({ keyFile: key });
    const b = openTestLog({ keyFile: key });
    expect(verifierKeyString(a.origin, a.key)).toBe(verifierKeyString(b.origin, b.key));
    const w = await startWitness([a]);
    await grow(a, 5, 'a');
    expect((await post(w.url, requestBody(a, 0))).status).toBe(200);
    const before = w.witness.latest(TEST_ORIGIN)!;

    await grow(b, 5, 'b');
    // Same size, different root.
    const same = await post(w.url, requestBody(b, 5));
    expect(same.status).toBe(422);
    await grow(b, 3, 'b');
    // B's proof from 5 to 8 leads to B's size-5 root, not the one the witness cosigned.
    const bigger = await post(w.url, requestBody(b, 5));
    expect(bigger.status).toBe(422);
    // Pretending to be new to the witness does not help.
    const fresh = await post(w.url, requestBody(b, 0));
    expect(fresh.status).toBe(409);
    expect(fresh.text).toBe('5\n');
    expect(w.witness.latest(TEST_ORIGIN)).toEqual(before);

    // A proof from size 0 and a size-0 checkpoint with a non-empty root are inconsistent too.
    const c = openTestLog({ keyFile: key, origin: 'other.test.example/log' });
    const w2 = await startWitness([c]);
    await grow(c, 2);
    const proofLine = Buffer.from(EMPTY_ROOT).toString('base64');
    expect((await post(w2.url, `old 0\n${proofLine}\n\n${c.latest().c2sp}`)).status).toBe(422);
    const signer = c2spSigner(c.origin, c.key);
    const badEmpty = signNote(formatCheckpoint({ origin: c.origin, size: 0, rootHash: new Uint8Array(32).fill(7) }), [signer]);
    expect((await post(w2.url, `old 0\n\n${badEmpty}`)).status).toBe(422);
    expect(w2.witness.latest(c.origin)).toBeUndefined();
  });

  it('404s an unknown origin and 403s a checkpoint without a valid trusted signature', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    await grow(log, 3);
    const body = bodyOf(log.latest().c2sp);

    const stranger = loadPrivateKey(generateKey('ed25519'));
    const otherOrigin = formatCheckpoint({ origin: 'unknown.example/log', size: 3, rootHash: log.latest().rootHash });
    expect((await post(w.url, `old 0\n\n${signNote(otherOrigin, [c2spSigner('unknown.example/log', stranger)])}`)).status).toBe(404);

    // Known origin, signed by an untrusted key only.
    expect((await post(w.url, `old 0\n\n${signNote(body, [c2spSigner(log.origin, stranger)])}`)).status).toBe(403);
    // Trusted name and key ID, signature bytes corrupted: a malformed note per signed-note, 403.
    const good = signNote(body, [c2spSigner(log.origin, log.key)]);
    const sigStart = good.lastIndexOf(' ') + 1;
    const sig = Buffer.from(good.slice(sigStart, -1), 'base64');
    sig[10] ^= 1;
    expect((await post(w.url, `old 0\n\n${good.slice(0, sigStart)}${sig.toString('base64')}\n`)).status).toBe(403);
    // A valid trusted signature next to one from an unknown key is fine: unknown keys are ignored.
    const both = signNote(body, [c2spSigner('someone.else/key', stranger), c2spSigner(log.origin, log.key)]);
    expect((await post(w.url, `old 0\n\n${both}`)).status).toBe(200);
  });

  it('400s malformed requests and keeps its state', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    await grow(log, 4);
    expect((await post(w.url, requestBody(log, 0))).status).toBe(200);
    const before = w.witness.latest(TEST_ORIGIN)!;
    await grow(log, 4);
    const note = log.latest().c2sp;
    const proof = log.consistencyProof(4, 8).map((h) => Buffer.from(h).toString('base64') + '\n');
    const hash = proof[0];
    const cases: [string, string | Uint8Array][] = [
      ['empty', ''],
      ['no old line', `\n${note}`],
      ['leading zero', `old 04\n${proof.join('')}\n${note}`],
      ['negative', `old -4\n\n${note}`],
      ['size not a number', `old four\n\n${note}`],
      ['two spaces', `old  4\n${proof.join('')}\n${note}`],
      ['CRLF', `old 4\r\n${proof.join('')}\r\n${note}`],
      ['proof line not base64', `old 4\n!!!!\n\n${note}`],
      ['proof hash too short', `old 4\n${Buffer.alloc(31).toString('base64')}\n\n${note}`],
      ['proof hash not canonical', `old 4\n${hash.slice(0, 42)}B=\n\n${note}`],
      ['64 proof lines', `old 4\n${hash.repeat(64)}\n${note}`],
      ['no blank line', `old 4\n${proof.join('')}${note}`],
      ['no checkpoint', `old 4\n${proof.join('')}\n`],
      ['checkpoint without signatures', `old 4\n${proof.join('')}\n${bodyOf(note)}`],
      ['checkpoint body malformed', `old 4\n${proof.join('')}\n${note.replace('\n8\n', '\n08\n')}`],
      ['not UTF-8', Buffer.concat([Buffer.from(`old 4\n${proof.join('')}\n`), Buffer.from([0xff, 0xfe]), Buffer.from(note)])],
      ['old size above the checkpoint size', `old 9\n\n${note}`],
    ];
    for (const [what, body] of cases) {
      const r = await post(w.url, body);
      expect(r.status, what).toBe(400);
    }
    expect(w.witness.latest(TEST_ORIGIN)).toEqual(before);
    // 63 lines are allowed by the format; this proof then fails to verify.
    expect((await post(w.url, `old 4\n${hash.repeat(63)}\n${note}`)).status).toBe(422);
    expect((await post(w.url, `old 4\n${proof.join('')}\n${note}`)).status).toBe(200);
  });

  it('takes only POST and answers unknown paths with 404', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    const get = await fetch(`${w.url}/add-checkpoint`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${w.url}/nope`)).status).toBe(404);
    expect((await stateOf(w.url)).status).toBe(404);
  });

  it('cosigns at most one of two racing requests from the same old size', async () => {
    const log = openTestLog();
    const w = await startWitness([log]);
    await grow(log, 3);
    const first = requestBody(log, 0);
    await grow(log, 3);
    const second = requestBody(log, 0);
    const rs = await Promise.all([post(w.url, first), post(w.url, second)]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 409]);
    const won = rs[0].status === 200 ? 3 : 6;
    expect(w.witness.latest(TEST_ORIGIN)?.size).toBe(won);
    expect(rs.find((r) => r.status === 409)?.text).toBe(`${won}\n`);
  });

  it('keeps one state per origin', async () => {
    const a = openTestLog();
    const b = openTestLog({ origin: 'second.test.example/log' });
    const w = await startWitness([a, b]);
    await grow(a, 3);
    await grow(b, 7);
    expect((await post(w.url, requestBody(a, 0))).status).toBe(200);
    expect((await post(w.url, requestBody(b, 0))).status).toBe(200);
    await grow(a, 1);
    expect((await post(w.url, requestBody(a, 0))).text).toBe('3\n');
    expect((await post(w.url, requestBody(a, 3))).status).toBe(200);
    expect([w.witness.latest(a.origin)?.size, w.witness.latest(b.origin)?.size]).toEqual([4, 7]);
    // A checkpoint signed by b's key under a's origin is not a's.
    const forged = signNote(bodyOf(a.latest().c2sp), [c2spSigner(a.origin, b.key)]);
    expect((await post(w.url, `old 4\n\n${forged}`)).status).toBe(403);
  });

  it('keeps its state and key across a restart', async () => {
    const log = openTestLog();
    const dir = tempDir();
    const w1 = await startWitness([log], dir);
    await grow(log, 6);
    expect((await post(w1.url, requestBody(log, 0))).status).toBe(200);
    const vkey = w1.witness.vkey;
    await w1.stop();

    const w2 = await startWitness([log], dir);
    expect(w2.witness.vkey).toBe(vkey);
    const r = await post(w2.url, requestBody(log, 0));
    expect(r.status).toBe(409);
    expect(r.text).toBe('6\n');
    await grow(log, 2);
    const ok = await post(w2.url, requestBody(log, 6));
    expect(ok.status).toBe(200);
    specCheck(bodyOf(log.latest().c2sp), ok.text, vkey);
  });

  it('never stamps a cosignature earlier than the previous one, nor with time 0', async () => {
    const log = openTestLog();
    const clock = [1_700_000_100, 1_700_000_000, 0];
    const dbs = [openDb(join(tempDir(), 'w.db')), openDb(join(tempDir(), 'w.db'))];
    onTestFinished(() => dbs.forEach((d) => d.close()));
    const witness = new Witness({
      db: dbs[0],
      name: WITNESS_NAME,
      key: loadPrivateKey(generateKey('ed25519')),
      logs: [parseLogSpec(verifierKeyString(log.origin, log.key))],
      now: () => clock.shift()!,
    });
    const times: number[] = [];
    let old = 0;
    for (const n of [2, 3, 4]) {
      await grow(log, n);
      const r = witness.addCheckpoint(Buffer.from(requestBody(log, old)));
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      times.push(specCheck(bodyOf(log.latest().c2sp), r.cosignatures, witness.vkey));
      old = log.size;
    }
    expect(times).toEqual([1_700_000_100, 1_700_000_100, 1_700_000_100]);
    const fresh = new Witness({
      db: dbs[1],
      name: WITNESS_NAME,
      key: loadPrivateKey(generateKey('ed25519')),
      logs: [parseLogSpec(verifierKeyString(log.origin, log.key))],
      now: () => 0,
    });
    const r = fresh.addCheckpoint(Buffer.from(requestBody(log, 0)));
    expect(r.status).toBe(200);
    if (r.status === 200) expect(specCheck(bodyOf(log.latest().c2sp), r.cosignatures, fresh.vkey)).toBe(1);
  });
});

/** parseVerifierKeyRaw returns the 32-byte Ed25519 key of a cosignature/v1 vkey. */
function parseVerifierKeyRaw(vkey: string): Uint8Array {
  return new Uint8Array(Buffer.from(vkey.slice(vkey.indexOf('+', vkey.indexOf('+') + 1) + 1), 'base64').subarray(1));
}
